"""`voxtwin assemble`: a saved library stacked or laid out along G-code, planned or written to zarr."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import zarr

import voxtwin as vt
from voxtwin.cli import main

DATA = Path(__file__).parent / "data"


@pytest.fixture
def library_dir(tmp_path: Path, rng: np.random.Generator) -> Path:
    lib = vt.BlockLibrary((5, 5, 5), 100.0)
    for kind in ("inner", "outer"):
        for a in (0, 45, 90, 135):
            lib.add_array(f"{kind}_{a}", rng.integers(0, 3, (5, 5, 5), dtype=np.uint8), angle=a, kind=kind)
    return lib.save(tmp_path / "lib")


def test_stack_to_zarr_matches_the_api(library_dir: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "qi.zarr"
    assert main(["assemble", str(library_dir), str(out), "--stack", "quasi_isotropic", "--layer-shape", "2", "3",
                 "--seed", "5", "--quiet"]) == 0
    assert "2×3×8 blocks" in capsys.readouterr().out
    asm = vt.Assembly.stacked(vt.BlockLibrary.load(library_dir), vt.stacking("qi"), layer_shape=(2, 3), seed=5)
    assert np.array_equal(zarr.open_group(str(out), mode="r")["labels"][...], asm.to_numpy())


def test_gcode_plan_only_and_errors(library_dir: Path, tmp_path: Path, capsys) -> None:
    assert main(["assemble", str(library_dir), "--gcode", str(DATA / "box_5x4x1.5.prusaslicer.gcode")]) == 0
    assert "10×8×3 blocks" in capsys.readouterr().out
    assert main(["assemble", str(library_dir), "--stack", "0,30"]) == 1  # no 30° block
    assert "no inner block" in capsys.readouterr().err
    assert main(["assemble", str(tmp_path / "nowhere"), "--stack", "qi"]) == 1
