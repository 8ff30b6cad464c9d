"""Fibre placement at industrial volume fractions: RSA and migration side by side (issue 20).

    python benchmarks/bench_migration.py [--skip-stiffness] [--repeat 5]

Cases (one JSON line each, appended to results.csv):
- ``migration_sweep_125^3_<state>_ar<aspect>``: for aligned (±15°), planar and isotropic
  15 µm × 100 µm fibres (aspect 6.7) and aligned / isotropic 15 µm × 300 µm fibres (aspect 20) on
  seed 000's 125³ block at 4 µm, the volume fraction reached and the time taken against the target
  fraction, by RSA (default try budget) and by migration (default step budget), in the same run;
  migration's tables are checked for overlaps from the table (``overlapping_fibres``).
- ``migration_125^3_30pct_aligned_1thread``: placement by migration and the whole
  ``generate_fibres`` at 30 % aligned on one thread (target <= 2 s), wall and CPU time.
- ``migration_stiffness_125^3_aligned``: effective stiffness (``homogenize``, seed 000's basalt
  fibres in PLA) of perfectly aligned 10/20/30 % blocks made by migration, against Mori-Tanaka
  (Tandon-Weng Eshelby tensor of a prolate spheroid of the same aspect ratio) and Halpin-Tsai.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings

import numpy as np

import voxtwin as vt
from _harness import record

BLOCK = (125, 125, 125)
VOXEL = 4.0
ALIGNED = vt.orientation.Aligned((1.0, 0.0, 0.0), 15.0)

SWEEPS = {
    ("aligned", 100.0): (ALIGNED, [0.25, 0.35, 0.45]),
    ("planar", 100.0): (vt.orientation.Planar(), [0.20, 0.25, 0.30, 0.35]),
    ("isotropic", 100.0): (vt.orientation.Isotropic(), [0.20, 0.25]),
    ("aligned", 300.0): (ALIGNED, [0.25, 0.35]),
    ("isotropic", 300.0): (vt.orientation.Isotropic(), [0.15, 0.20]),
}
TARGETS = {("aligned", 100.0): 0.45, ("planar", 100.0): 0.30, ("isotropic", 100.0): 0.25,
           ("aligned", 300.0): 0.35, ("isotropic", 300.0): 0.15}


def _place(spec: vt.FibreSpec, method: str) -> tuple[vt.Placement, float, float, bool]:
    t0, c0 = time.perf_counter(), time.process_time()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", vt.PlacementWarning)
        placed = vt.place_fibres(spec, BLOCK, VOXEL, seed=1, method=method)
    return placed, time.perf_counter() - t0, time.process_time() - c0, bool(caught)


def bench_sweeps(states: list[str] | None = None) -> None:
    for (state, length), (orientation, fractions) in SWEEPS.items():
        if states and state not in states:
            continue
        rows = []
        for target in fractions:
            spec = vt.FibreSpec(target, 15.0, length, orientation)
            row: dict[str, object] = {"target": target}
            for method in ("rsa", "migrate"):
                placed, seconds, cpu, warned = _place(spec, method)
                row[f"{method}_reached"] = placed.fibre_voxels / math.prod(BLOCK)
                row[f"{method}_s"] = seconds
                row[f"{method}_cpu_s"] = cpu
                row[f"{method}_target_reached"] = placed.target_reached
                if method == "migrate":
                    row["migrate_steps"] = placed.stats["migration_steps"]
                    row["migrate_overlaps_in_table"] = int(
                        vt.overlapping_fibres(placed.fibres, BLOCK, VOXEL).sum())
                    row["migrate_tensor_error"] = float(
                        np.abs(placed.fibres.orientation_tensor() - orientation.tensor).max())
            rows.append(row)
        aspect = round(length / 15.0, 1)
        record(f"migration_sweep_125^3_{state}_ar{aspect:g}",
               {"issue_target": TARGETS[(state, length)], "fibre_um": f"15x{length:g}", "rows": rows})


def bench_speed(repeat: int) -> None:
    spec = vt.FibreSpec(0.30, 15.0, 100.0, ALIGNED)
    before = vt.get_num_threads()
    vt.set_num_threads(1)
    try:
        wall, cpu, wall_all, cpu_all = [], [], [], []
        for _ in range(repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            placed = vt.place_fibres(spec, BLOCK, VOXEL, seed=1, method="migrate")
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            t0, c0 = time.perf_counter(), time.process_time()
            twin = vt.generate_fibres(spec, BLOCK, VOXEL, seed=1, method="migrate", device="cpu")
            wall_all.append(time.perf_counter() - t0)
            cpu_all.append(time.process_time() - c0)
    finally:
        vt.set_num_threads(before)
    record("migration_125^3_30pct_aligned_1thread", {
        "fibres": len(placed.fibres), "steps": placed.stats["migration_steps"],
        "achieved_volume_fraction": twin.achieved_volume_fraction,
        "place_s_best": min(wall), "place_s_median": float(np.median(wall)), "place_cpu_s_best": min(cpu),
        "generate_s_best": min(wall_all), "generate_cpu_s_best": min(cpu_all), "target_s": 2.0,
    })


def _isotropic_stiffness(E: float, nu: float) -> np.ndarray:
    lam, mu = E * nu / ((1 + nu) * (1 - 2 * nu)), E / (2 * (1 + nu))
    C = np.zeros((6, 6))
    C[:3, :3] = lam
    C[np.arange(3), np.arange(3)] += 2 * mu
    C[np.arange(3, 6), np.arange(3, 6)] = mu  # Voigt, engineering shear strains
    return C


def eshelby_prolate(a: float, nu: float) -> np.ndarray:
    """Eshelby tensor (6x6, Voigt, acting on engineering strains) of a prolate spheroid along x with
    aspect ratio a > 1 in an isotropic matrix of Poisson ratio nu (Tandon & Weng 1984)."""
    a2 = a * a
    g = a / (a2 - 1) ** 1.5 * (a * math.sqrt(a2 - 1) - math.acosh(a))
    q = 1.0 / (1.0 - nu)
    S = np.zeros((6, 6))
    S[0, 0] = q / 2 * (1 - 2 * nu + (3 * a2 - 1) / (a2 - 1) - (1 - 2 * nu + 3 * a2 / (a2 - 1)) * g)
    S[1, 1] = S[2, 2] = 3 * q / 8 * a2 / (a2 - 1) + q / 4 * (1 - 2 * nu - 9 / (4 * (a2 - 1))) * g
    S[1, 2] = S[2, 1] = q / 4 * (a2 / (2 * (a2 - 1)) - (1 - 2 * nu + 3 / (4 * (a2 - 1))) * g)
    S[1, 0] = S[2, 0] = -q / 2 * a2 / (a2 - 1) + q / 4 * (3 * a2 / (a2 - 1) - (1 - 2 * nu)) * g
    S[0, 1] = S[0, 2] = -q / 2 * (1 - 2 * nu + 1 / (a2 - 1)) + q / 2 * (1 - 2 * nu + 3 / (2 * (a2 - 1))) * g
    s2323 = q / 4 * (a2 / (2 * (a2 - 1)) + (1 - 2 * nu - 3 / (4 * (a2 - 1))) * g)
    s1212 = q / 4 * (1 - 2 * nu - (a2 + 1) / (a2 - 1) - 0.5 * (1 - 2 * nu - 3 * (a2 + 1) / (a2 - 1)) * g)
    S[3, 3], S[4, 4], S[5, 5] = 2 * s2323, 2 * s1212, 2 * s1212  # engineering shear: gamma = 2 eps
    return S


def mori_tanaka(Em: float, num: float, Ef: float, nuf: float, f: float, aspect: float) -> np.ndarray:
    Cm, Cf = _isotropic_stiffness(Em, num), _isotropic_stiffness(Ef, nuf)
    eye = np.eye(6)
    T = np.linalg.inv(eye + eshelby_prolate(aspect, num) @ np.linalg.solve(Cm, Cf - Cm))
    A = T @ np.linalg.inv((1 - f) * eye + f * T)
    return Cm + f * (Cf - Cm) @ A


def halpin_tsai(Em: float, Ef: float, f: float, xi: float) -> float:
    eta = (Ef / Em - 1) / (Ef / Em + xi)
    return Em * (1 + xi * eta * f) / (1 - eta * f)


def bench_stiffness() -> None:
    lib = vt.material_library()
    fibre, matrix = lib["basalt_fibre"], lib["pla"]
    Ef, nuf, Em, num = 87.5, 0.2, 3.4, 0.33
    # The sphere limit of the Eshelby tensor, (7 - 5 nu) / (15 (1 - nu)): a check of the formulas.
    assert abs(eshelby_prolate(1.0001, 0.3)[0, 0] - (7 - 5 * 0.3) / (15 * 0.7)) < 1e-3
    rows = []
    for f in (0.10, 0.20, 0.30):
        spec = vt.FibreSpec(f, 15.0, 100.0, vt.orientation.Aligned((1.0, 0.0, 0.0), 0.0))
        twin = vt.generate_fibres(spec, BLOCK, VOXEL, seed=1, method="migrate" if f > 0.1 else "rsa", device="cpu")
        t0 = time.perf_counter()
        res = vt.homogenize(twin.labels, {0: matrix, 1: fibre}, VOXEL, tol=1e-5, device="cpu", progress=False,
                            thermal=False)
        seconds = time.perf_counter() - t0
        S = np.linalg.inv(res.C)
        fv = twin.achieved_volume_fraction
        mt = np.linalg.inv(mori_tanaka(Em, num, Ef, nuf, fv, 100.0 / 15.0))
        rows.append({
            "target": f, "achieved": fv, "homogenize_s": seconds, "converged": res.converged,
            "E11": 1 / S[0, 0], "E22": 1 / S[1, 1], "E33": 1 / S[2, 2],
            "E11_mori_tanaka": 1 / mt[0, 0], "E22_mori_tanaka": 1 / mt[1, 1],
            "E11_halpin_tsai": halpin_tsai(Em, Ef, fv, 2 * 100.0 / 15.0), "E22_halpin_tsai": halpin_tsai(Em, Ef, fv, 2.0),
        })
    record("migration_stiffness_125^3_aligned", {"fibre_um": "15x100, spread 0", "materials": "basalt in PLA",
                                                 "rows": rows})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of the 30 % aligned block")
    parser.add_argument("--skip-stiffness", action="store_true", help="skip the homogenization of 10/20/30 % blocks")
    parser.add_argument("--skip-sweeps", action="store_true", help="skip the fraction sweeps")
    parser.add_argument("--states", nargs="*", help="only these orientation states in the sweeps (aligned, planar, isotropic)")
    parser.add_argument("--skip-speed", action="store_true", help="skip the timing of the 30 % aligned block")
    args = parser.parse_args()
    if not args.skip_speed:
        bench_speed(args.repeat)
    if not args.skip_sweeps:
        bench_sweeps(args.states)
    if not args.skip_stiffness:
        bench_stiffness()


if __name__ == "__main__":
    main()
