"""The pipeline's simulate stage on 2 MPI ranks (`simulation.mpi_ranks`, `voxtwin run --mpi`) against
the same stage on one process: every homogenization (stacks and layers, composite voxels and fine
voxels read slab-wise from the assembly store) equal to 1e-10 relative; and the settings that make
the stage resumable do not depend on the rank count."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr

from voxtwin import simulate_mpi as store_mpi
from voxtwin.pipeline.config import load_config
from voxtwin.pipeline.context import Context
from voxtwin.pipeline.rundir import RunDir
from voxtwin.pipeline.stages import simulate as stage

MPI_RTOL = 1e-10  # the criterion: FFTW-MPI transforms round differently from the serial ones
SHAPE = (13, 12, 16)  # 13 x-planes: 7 + 6 planes on two ranks; two layers of 8 along z

needs_mpi = pytest.mark.skipif(not store_mpi.mpi_built() or shutil.which("mpirun") is None,
                               reason="voxtwin built without the MPI solver, or no mpirun")


def cross_ply(shape: tuple[int, int, int]) -> np.ndarray:
    """Two layers along z: fibres (label 1) along x in the lower, along y in the upper, and a pore (2)."""
    x, y, z = np.meshgrid(*(np.arange(n) + 0.5 for n in shape), indexing="ij")
    labels = np.zeros(shape, np.uint8)
    half = shape[2] // 2
    for c in (2.0, 6.0):  # fibre centres (voxels) within each layer's thickness
        for cy in (3.0, 9.0):
            labels[((y - cy) ** 2 + (z - c) ** 2 <= 2.0**2) & (z < half)] = 1
        for cx in (3.0, 9.5):
            labels[((x - cx) ** 2 + (z - half - c) ** 2 <= 2.0**2) & (z >= half)] = 1
    labels[(x - 6) ** 2 + (y - 6) ** 2 + (z - 8) ** 2 <= 1.5**2] = 2
    return labels


def config(output: Path, factor: int, ranks: int) -> dict[str, dict[str, Any]]:
    return load_config({"run": {"output": str(output), "device": "cpu", "progress": False},
                        "twins": {"voxel_size": 4.0}, "assembly": {"axis": "z"}, "composite": {"factor": factor},
                        "simulation": {"tol": 1e-7, "fields": False, "mpi_ranks": ranks}})


def run_stage(folder: Path, factor: int, ranks: int) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The simulate stage on a run folder holding one assembly store; its full-precision results and report."""
    run = RunDir(folder)
    store = folder / "volumes" / "assembly_cross.zarr"
    if not store.exists():
        zarr.open_group(str(store), mode="w").create_array("labels", data=cross_ply(SHAPE), chunks=(4, 12, 16))
        run.write_json("assemblies", {"cross": {"store": run.rel(store), "layer angles (degrees)": [0.0, 90.0]}})
    ctx = Context(config(folder, factor, ranks), run, progress=False)
    out = stage.run(ctx)
    with np.load(run.path / out.outputs["stiffness"]) as f:
        return {k: f[k] for k in f.files}, out.summary


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


@needs_mpi
@pytest.mark.slow  # one mpirun launch per factor: ~15-25 s on 2 busy cores
@pytest.mark.parametrize("factor", [1, 2], ids=["fine voxels from the store", "composite voxels"])
def test_simulate_stage_on_two_ranks_equals_serial(tmp_path: Path, factor: int) -> None:
    serial, serial_report = run_stage(tmp_path, factor, 1)
    mpi, mpi_report = run_stage(tmp_path, factor, 2)
    assert (tmp_path / "simulate_mpi" / "results.json").is_file()  # it did go through mpirun
    assert mpi_report["cross"]["MPI ranks"] == 2 and "MPI ranks" not in serial_report["cross"]
    assert sorted(serial) == sorted(mpi) == sorted(f"{k}/{w}" for k in ("cross", "cross/layer0", "cross/layer1")
                                                    for w in ("C", "alpha"))
    for key in serial:
        assert np.all(np.isfinite(serial[key])), key
        assert rel_err(mpi[key], serial[key]) <= MPI_RTOL, key
    assert mpi_report["cross"]["converged"] and mpi_report["cross"]["iterations"] == serial_report["cross"]["iterations"]
    # The comparison can fail: the two layers (fibres along x, along y) differ far beyond MPI_RTOL.
    assert rel_err(mpi["cross/layer0/C"], mpi["cross/layer1/C"]) > 1e-2


def test_rank_count_is_not_a_setting_of_the_stage(tmp_path: Path) -> None:
    one, two = config(tmp_path, 2, 1), config(tmp_path, 2, 2)
    assert stage.settings(one) == stage.settings(two)  # a run done on one process is reused on two
    changed = copy.deepcopy(two)
    changed["simulation"]["tol"] = 1e-6
    assert stage.settings(changed) != stage.settings(two)


@pytest.mark.parametrize("ranks", [0, 1.5, True])
def test_bad_rank_count_is_refused(tmp_path: Path, ranks: object) -> None:
    with pytest.raises((TypeError, ValueError), match="simulation.mpi_ranks"):
        config(tmp_path, 2, ranks)  # type: ignore[arg-type]


def test_mpi_ranks_with_cuda_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="mpi_ranks.*cuda"):
        load_config({"run": {"output": str(tmp_path), "device": "cuda"}, "simulation": {"mpi_ranks": 2}})


def test_run_override_and_command_line_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from voxtwin.cli import main as cli_main
    from voxtwin.pipeline import run

    with pytest.raises(ValueError, match="simulation.mpi_ranks"):  # the override is checked like the file
        run({"run": {"output": str(tmp_path)}}, mpi_ranks=0)
    with pytest.raises(SystemExit):
        cli_main(["run", "--help"])
    assert "--mpi N" in capsys.readouterr().out
