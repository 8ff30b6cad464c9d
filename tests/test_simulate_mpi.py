"""The solver across MPI processes (mpirun + mpi4py, the `mpi` extra) on zarr stores, against the
serial solver: laminates exact, a fibre block's C and the fields of a thermal-shrinkage solve equal
to serial within 1e-10 relative (float64) on 1, 2 and 3 ranks (3: uneven slabs), every rank the
same C, and a rank out of memory stopping every rank. Skipped when the MPI solver is not built."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import zarr

import voxtwin as vt
from voxtwin import simulate_mpi

pytestmark = pytest.mark.skipif(not simulate_mpi.mpi_built() or shutil.which("mpirun") is None,
                                reason="voxtwin built without the MPI solver, or no mpirun")
pytest.importorskip("mpi4py")

HERE = Path(__file__).resolve().parent
TOL = 1e-12
MPI_RTOL = 1e-10  # the criterion; FFTW-MPI rounds differently from the serial transforms
EXACT_RTOL = 1e-4
PLA = vt.Isotropic(3.4, 0.33, alpha=68e-6, name="pla")
T300 = vt.TransverselyIsotropic(230.0, 15.0, 15.0, 0.2, 0.07, alpha1=-0.7e-6, alpha2=12e-6, axis=(1.0, 0.7, 0.4))
MATERIALS = {0: PLA, 1: T300, 2: vt.VOID}
SHAPE = (13, 10, 8)  # 13 x-planes: 7 + 6 on two ranks, 5 + 5 + 3 on three


def rel_err(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / np.max(np.abs(b)))


def fibre_block(shape: tuple[int, int, int]) -> np.ndarray:
    """Tilted fibres (label 1, a general anisotropic law) through a matrix, with a pore (label 2)."""
    x, y, z = np.meshgrid(*(np.arange(n) + 0.5 for n in shape), indexing="ij")
    labels = np.zeros(shape, np.uint8)
    for cx, cy, slope in ((3.0, 2.5, 0.3), (9.0, 7.0, -0.2), (6.0, 5.0, 0.1)):
        dx = (x - cx - slope * z + shape[0] / 2) % shape[0] - shape[0] / 2
        dy = (y - cy + shape[1] / 2) % shape[1] - shape[1] / 2
        labels[dx**2 + dy**2 <= 1.6**2] = 1
    labels[(x - 11) ** 2 + (y - 2) ** 2 + (z - 5) ** 2 <= 1.5**2] = 2
    return labels


def mpirun(n: int, args: list[str], env_rank1: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_NUM_THREADS="1",
               OMPI_MCA_btl_vader_single_copy_mechanism="none", OMPI_MCA_rmaps_base_oversubscribe="1",
               OMPI_MCA_mpi_yield_when_idle="1")  # oversubscribed cores: ranks must not busy-wait
    base = ["mpirun", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none"]
    worker = [sys.executable, str(HERE / "_mpi_worker.py"), *args]
    if env_rank1 is None:
        cmd = [*base, "-n", str(n), *worker]
    else:  # rank 0 as usual, rank 1 with its own environment (MPMD)
        extra = [a for k, v in env_rank1.items() for a in ("-x", f"{k}={v}")]
        cmd = [*base, "-n", "1", *worker, ":", "-n", "1", *extra, *worker]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("mpi")
    lam = np.zeros(SHAPE, np.uint8)
    lam[3:8] = 1  # layers normal to x: the slabs cut through them
    zarr.create_array(str(folder / "laminate.zarr"), data=lam, chunks=(4, 10, 8))
    root = zarr.open_group(str(folder / "fibre.zarr"), mode="w")  # an assembly-like group with `labels`
    root.create_array("labels", data=fibre_block(SHAPE), chunks=(5, 5, 8))
    fine = fibre_block((2 * SHAPE[0], 2 * SHAPE[1], 2 * SHAPE[2]))
    cv = vt.composite_voxels(fine, 2, materials=MATERIALS, check_features=False, device="cpu")
    simulate_mpi.write_solver_input(folder / "composite.zarr", cv, MATERIALS)
    return folder


@pytest.fixture(scope="module")
def runs(stores: Path) -> dict[int, dict[str, np.ndarray]]:
    out = {}
    for n in (1, 2, 3):
        proc = mpirun(n, [str(stores), "laminate", "fibre", "composite", "fields"])
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        out[n] = dict(np.load(stores / f"ranks_{n}.npz"))
    return out


@pytest.mark.slow  # mpirun: ~20 s per launch on 2 busy cores
@pytest.mark.parametrize("n", [2, 3])
def test_laminate_cut_by_the_slabs_is_exact(runs: dict, n: int) -> None:
    from elastic_reference import laminate_effective

    C_ref, a_ref = laminate_effective([PLA.C, T300.C], [PLA.alpha, T300.alpha], [8 / 13, 5 / 13], 0)
    assert rel_err(runs[n]["laminate_C"], C_ref) < EXACT_RTOL
    assert rel_err(runs[n]["laminate_alpha"], a_ref) < EXACT_RTOL
    assert runs[n]["laminate_same"]


@pytest.mark.slow  # mpirun: ~20 s per launch on 2 busy cores
@pytest.mark.parametrize("n", [1, 2, 3])
def test_fibre_block_stiffness_equals_the_serial_solver(runs: dict, n: int) -> None:
    labels = fibre_block(SHAPE)
    ref = vt.homogenize(labels, MATERIALS, tol=TOL, device="cpu", progress=False)
    ref8 = vt.homogenize(labels, MATERIALS, tol=TOL, device="cpu", scheme="hex8", progress=False)
    assert rel_err(runs[n]["fibre_C"], ref.C) < MPI_RTOL
    assert rel_err(runs[n]["fibre_alpha"], ref.alpha) < MPI_RTOL
    assert rel_err(runs[n]["fibre_hex8_C"], ref8.C) < MPI_RTOL
    assert runs[n]["fibre_same"]
    # Not a comparison that any answer passes: the fibres make C clearly anisotropic.
    assert abs(ref.C[0, 0] - ref.C[2, 2]) > 0.05 * ref.C[0, 0]


@pytest.mark.slow  # mpirun: ~20 s per launch on 2 busy cores
@pytest.mark.parametrize("n", [2, 3])
def test_composite_voxel_store_equals_the_serial_solver(stores: Path, runs: dict, n: int) -> None:
    fine = fibre_block((2 * SHAPE[0], 2 * SHAPE[1], 2 * SHAPE[2]))
    cv = vt.composite_voxels(fine, 2, materials=MATERIALS, check_features=False, device="cpu")
    ref = vt.homogenize(cv, MATERIALS, tol=TOL, device="cpu", progress=False)
    assert zarr.open_group(str(stores / "composite.zarr"), mode="r")["index"].dtype == np.uint16
    assert rel_err(runs[n]["composite_C"], ref.C) < MPI_RTOL
    assert runs[n]["composite_same"]


@pytest.mark.slow  # mpirun: ~20 s per launch on 2 busy cores
@pytest.mark.parametrize("n", [1, 2, 3])
def test_fields_gathered_from_the_output_store_equal_the_serial_fields(stores: Path, runs: dict, n: int) -> None:
    ref = vt.solve(fibre_block(SHAPE), MATERIALS, stress=[0.0] * 6, delta_T=-25.0, tol=TOL, device="cpu",
                   progress=False)
    fields = zarr.open_group(str(stores / f"fields_{n}.zarr"), mode="r")
    assert fields.attrs["voxtwin"]["complete"]
    for name in ("displacement", "strain", "stress"):
        assert rel_err(fields[name][...], getattr(ref, name)) < MPI_RTOL, name
    assert rel_err(runs[n]["fields_mean_strain"], ref.mean_strain) < MPI_RTOL
    assert runs[n]["fields_same"]


@pytest.mark.slow  # mpirun: ~20 s per launch on 2 busy cores
def test_a_rank_out_of_memory_stops_every_rank_with_a_clear_error(stores: Path) -> None:
    proc = mpirun(2, [str(stores), "oom"], env_rank1={"VOXTWIN_MEMORY_LIMIT": "1000"}, timeout=60)
    assert proc.returncode != 0
    own = (stores / "oom_rank_1.txt").read_text()
    other = (stores / "oom_rank_0.txt").read_text()
    assert "MPI rank 1 of 2 needs" in own and "available to it" in own
    assert other.startswith("stopped because MPI rank 1 of 2 failed: MPI rank 1 of 2 needs")


def test_store_without_mpi_ranks_runs_the_serial_solver(stores: Path) -> None:
    # In this (non-mpirun) process the store is solved on one rank: the same answer as the array.
    res = vt.homogenize(stores / "laminate.zarr", {0: PLA, 1: T300}, tol=1e-9, progress=False)
    lam = np.asarray(zarr.open_array(str(stores / "laminate.zarr"), mode="r")[...])
    ref = vt.homogenize(lam, {0: PLA, 1: T300}, tol=1e-9, progress=False)
    assert rel_err(res.C, ref.C) < MPI_RTOL
    fine = fibre_block((2 * SHAPE[0], 2 * SHAPE[1], 2 * SHAPE[2]))
    cv = vt.composite_voxels(fine, 2, materials=MATERIALS, check_features=False, device="cpu")
    stored = vt.homogenize(stores / "composite.zarr", None, tol=1e-9, progress=False)
    assert rel_err(stored.C, vt.homogenize(cv, MATERIALS, tol=1e-9, progress=False).C) < MPI_RTOL


def test_store_inputs_are_checked(stores: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="out="):
        vt.solve(str(stores / "fibre.zarr"), MATERIALS, strain=[1e-3, 0, 0, 0, 0, 0], progress=False)
    with pytest.raises(ValueError, match="materials=None"):
        vt.homogenize(str(stores / "composite.zarr"), MATERIALS, progress=False)
    with pytest.raises(ValueError, match="device"):
        vt.homogenize(str(stores / "fibre.zarr"), MATERIALS, device="cuda", progress=False)
    with pytest.raises(ValueError, match="not a zarr store"):
        vt.homogenize(str(tmp_path / "missing.zarr"), MATERIALS, progress=False)
    zarr.create_array(str(tmp_path / "f.zarr"), data=np.zeros((4, 4, 4), np.float32))
    with pytest.raises(TypeError, match="uint8"):
        vt.homogenize(str(tmp_path / "f.zarr"), MATERIALS, progress=False)


@pytest.mark.slow  # mpirun: ~20 s per launch on 2 busy cores
def test_cli_simulate_under_mpirun_writes_the_fields_store(stores: Path) -> None:
    import json

    lib = vt.material_library()
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMP_NUM_THREADS="1",
               OMPI_MCA_btl_vader_single_copy_mechanism="none", OMPI_MCA_mpi_yield_when_idle="1")
    out = stores / "cli_fields.zarr"
    cmd = ["mpirun", "--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-n", "2", sys.executable, "-m",
           "voxtwin", "simulate", str(stores / "fibre.zarr"), "--materials", "0=pla,1=basalt_fibre,2=air", "--out",
           str(out), "--delta-T", "-25", "--json", "--quiet"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)  # rank 0 alone prints
    mats = {0: lib["pla"], 1: lib["basalt_fibre"], 2: lib["air"]}
    ref = vt.solve(fibre_block(SHAPE), mats, stress=[0.0] * 6, delta_T=-25.0, device="cpu", progress=False)
    assert rel_err(report["mean strain"], ref.mean_strain) < 1e-6  # both to the default tol 1e-5
    stress = zarr.open_group(str(out), mode="r")["stress"][...]
    assert rel_err(stress, ref.stress) < 1e-4
