"""`voxtwin demo`: seed 000's workflow on the built-in example, start to finish.

A synthetic micro-CT of a basalt-fibre/PLA composite is segmented by a U-Net trained in
annotate → train → segment rounds, characterized, twinned into 0/45/90/135° building blocks with
the closed-loop feedback, assembled into helicoidal, quasi-isotropic and unidirectional stacks
(seed 000 Fig. 4), downsampled to 4×4×4 composite voxels and homogenized. The report shows the
modulus roses (Fig. 4k,l), layer profiles (Fig. 4j), the S history, slices and stress fields.
"""

from __future__ import annotations

import copy
from typing import Any

# Sized for about five minutes on two CPU cores (no GPU).
DEMO: dict[str, dict[str, Any]] = {
    "run": {"name": "demo", "seed": 0},
    "input": {"scan": "builtin"},
    "segmentation": {
        "method": "unet", "annotations": "simulated", "rounds": 3, "strokes": 20,
        # A small network and short training, so the demo fits a laptop; seed 000's values are the defaults.
        "features": 8, "window": 24, "epochs": 2, "steps_per_epoch": 50, "batch_size": 4,
    },
    # Seed 000's 0.5 mm blocks at 4 µm. The twins start from nominal (datasheet-like) fibres, 13 µm ×
    # 70 µm with a 30° spread, which the closed loop corrects towards the scan (seed 000 Fig. 3c).
    "twins": {"angles": [0.0, 45.0, 90.0, 135.0], "block_shape": [125, 125, 125], "voxel_size": 4.0,
              "start": "nominal", "nominal_diameter": 13.0, "nominal_length": 70.0, "nominal_spread_deg": 30.0},
    "assembly": {"layer_shape": [2, 2], "axis": "z"},
    "composite": {"factor": 4},
    "simulation": {"temperature_from_C": 50.0, "temperature_to_C": 25.0, "load_angle_deg": 90.0},
}

# The same workflow at a size the test suite can afford (about a minute on two cores).
SMALL: dict[str, dict[str, Any]] = copy.deepcopy(DEMO)
SMALL["run"]["name"] = "demo-small"
SMALL["builtin"] = {"shape": [80, 80, 48]}
SMALL["segmentation"].update({"rounds": 2, "epochs": 1, "steps_per_epoch": 40})
SMALL["twins"]["block_shape"] = [48, 48, 48]  # 192 µm: still holds whole 100 µm fibres
SMALL["simulation"]["tol"] = 1e-4


def demo_config(size: str = "full", output: str | None = None) -> dict[str, dict[str, Any]]:
    """The demo's configuration (``size`` "full" or "small"), writing into ``output`` when given."""
    if size not in ("full", "small"):
        raise ValueError(f"`size` must be 'full' or 'small', got size={size!r}")
    config = copy.deepcopy(DEMO if size == "full" else SMALL)
    if output is not None:
        config["run"]["output"] = str(output)
    return config
