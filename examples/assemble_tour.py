"""Digital assembly (seed 000, step 5): helicoidal and quasi-isotropic stacks of unit twins, a module
block saved and reused, a text character laid out along a slicer's drawing path, and a resumable zarr
store written chunk by chunk.

    python examples/assemble_tour.py [OUTPUT_DIR]

Blocks here are 50³ voxels at 10 µm (0.5 mm, seed 000's block edge) so the tour runs in seconds;
seed 000 uses 125³ voxels at 4 µm (``BlockLibrary.from_spec(spec)`` with its defaults).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

import voxtwin as vt

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"


def main(out: Path) -> None:
    spec = vt.FibreSpec(volume_fraction=0.10, diameter=15.0, length=100.0,
                        orientation=vt.orientation.Aligned((1.0, 0.0, 0.0), spread_deg=10.0))
    lib = vt.BlockLibrary.from_spec(spec, angles=(0, 45, 90, 135), block_shape=(50, 50, 50), voxel_size=10.0)
    print(lib)

    for name in ("helicoidal", "quasi_isotropic"):
        asm = vt.Assembly.stacked(lib, sequence=vt.stacking(name), layer_shape=(4, 4), axis="z", seed=1)
        angles = asm.layout()["angle"][0, 0, :]
        print(f"\n{name}: layer angles {angles.tolist()}")
        print(asm.summary())

    # A module block: a 2×2 layer of 45° blocks, named, saved, reloaded, stacked twice (new seeds each time)
    layer = vt.Assembly(lib, (2, 2, 1))
    layer[...] = "inner_45"
    layer.module("B45", save=out / "B45.json")  # registered in lib, and written as JSON
    print(f"\nreloaded from disk: {vt.Module.load(out / 'B45.json')}")
    stack = vt.Assembly(lib, seed=2).stack(["B45", "B45"], axis="z")
    print(f"\nmodule B45 stacked twice: {stack.grid_shape} blocks, seeds all distinct: "
          f"{len(np.unique(stack.layout()['seed'])) == stack.n_blocks}")

    # The letter K of seed 000 along PrusaSlicer's drawing path
    plan = vt.gcode.read(DATA / "letter_K_9x9x1.5.prusaslicer.gcode")
    print(f"\n{plan}")
    k = vt.gcode.to_assembly(plan, lib, cell_size_um=500.0, seed=3)
    print(k.summary())
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from voxtwin.assemble import plot_layer

        fig, axes = plt.subplots(1, 2, figsize=(11, 5.5))
        for layer_index, ax in enumerate(axes):
            plot_layer(k, layer_index, ax=ax)
        fig.tight_layout()
        fig.savefig(out / "letter_K_layout.png", dpi=100)
        print(f"layout picture: {out / 'letter_K_layout.png'}")
    except ImportError:
        print("matplotlib not installed: no picture")

    store = k.to_zarr(out / "letter_K.zarr", progress=True)
    labels = store["labels"]
    fibre = np.count_nonzero(labels[...] == 1) / np.count_nonzero(labels[...] != k.air_label)
    print(f"wrote {out / 'letter_K.zarr'}: {labels.shape} voxels, fibre fraction of the material {fibre:.3f}")
    print("running to_zarr again resumes (here: nothing left to do):", end=" ")
    k.to_zarr(out / "letter_K.zarr", progress=False)
    print("done")


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="voxtwin_assemble_"))
    target.mkdir(parents=True, exist_ok=True)
    main(target)
