"""Composite voxels from the fibre table against a converged reference (issue 21).

    python benchmarks/bench_composite_converged.py reference [--edge 160] [--seed 0] [--voxel-sizes 4 2 1.6 1.25 1]
    python benchmarks/bench_composite_converged.py compare  [--fixture tests/data/composite_converged_seed0.json]
    python benchmarks/bench_composite_converged.py throughput [--edge 500]
    python benchmarks/bench_composite_converged.py diagnose [--coarse 32 16 8] [--cases adopted "points 8" ...]
    python benchmarks/bench_composite_converged.py index [--edge 500] [--coarse 16 8] [--chunks 16 64]

reference: seed 000's fibres (basalt 15 µm × 100 µm, 10 vol %, ±15° about X, in PLA; the unit-twin
generator with ``seed``) in a periodic cube of ``edge`` µm, rasterized from the same fibre table
at every voxel size and homogenized (hex8r, float64, tol 1e-6). The h → 0 limit of C and α with
its uncertainty comes from :func:`voxtwin.convergence.extrapolate`. Writes the fixture the slow
test reads (the fibre table, every fine-grid C and α, the limit) — this script is how it is
regenerated.

compare: composite voxels computed from the fixture's fibre table (``fibre_composite_voxels``,
several coarse sizes and laws), the voxel route (``composite_voxels`` of the 4 µm and 2 µm grids,
factor 4) and majority vote, each against the converged C and against the 4 µm grid, per entry.

diagnose: where the misses come from. On every fixture (seed 0 in tests/data, further seeds in
benchmarks/data), one knob of the fibre route changed at a time (quadrature points, normal
resolution K, grid placement, law, aspect), the coarse C and α against the converged ones, and α
recomputed from each C by Levin's relation to show whether the α miss is the C miss.

index: fibre_composite_index (the chunks merged into one index) timed on seed 000's 0.5 mm block.
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np

import voxtwin as vt
from _harness import record
from voxtwin.convergence import extrapolate

LIB = vt.material_library()
MATERIALS = {0: LIB["pla"], 1: LIB["basalt_fibre"]}
ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "data" / "composite_converged_seed0.json"
TOL = 1e-6  # solver tolerance: well below the 0.1 % scale of the differences we compare


def homogenize(model, voxel_size: float) -> tuple[np.ndarray, np.ndarray, float, int]:
    t0 = time.perf_counter()
    res = vt.homogenize(model, MATERIALS, voxel_size, tol=TOL, device="cpu", precision="float64", progress=False)
    return np.asarray(res.C), np.asarray(res.alpha), time.perf_counter() - t0, int(np.sum(res.iterations))


def reference(edge: float, seed: int, sizes: list[float], fixture: Path) -> None:
    coarsest = max(sizes)
    n = int(round(edge / coarsest))
    if not np.isclose(n * coarsest, edge):
        raise SystemExit(f"--edge {edge} must be a multiple of every voxel size")
    twin = vt.generate_fibres(vt.seed000_spec(), (n, n, n), coarsest, seed)
    fibres = twin.fibres
    runs = []
    for h in sorted(sizes, reverse=True):
        m = int(round(edge / h))
        if not np.isclose(m * h, edge):
            raise SystemExit(f"--edge {edge} must be a multiple of voxel size {h}")
        labels = vt.rasterize_fibres(fibres, (m, m, m), h).labels
        C, alpha, t, its = homogenize(labels, h)
        runs.append({"voxel_size": h, "voxels": m**3, "fibre_fraction": float(np.mean(labels == 1)),
                     "C": C.tolist(), "alpha": alpha.tolist(), "solve_s": t, "iterations": its})
        print(f"h={h} µm {m}³: C11={C[0, 0]:.4f} C22={C[1, 1]:.4f} C44={C[3, 3]:.4f} {t:.1f} s", flush=True)
    hs = np.array([r["voxel_size"] for r in runs])
    Cs = np.array([r["C"] for r in runs])
    alphas = np.array([r["alpha"] for r in runs])
    eC, ea = extrapolate(hs, Cs), extrapolate(hs, alphas)
    data = {
        "about": "seed 000 fibres in a periodic cube; fine-grid C (GPa) and alpha (1/K) per voxel size and the "
                 "h->0 limit; regenerate with benchmarks/bench_composite_converged.py reference",
        "edge_um": edge, "seed": seed, "materials": {"0": "pla", "1": "basalt_fibre"}, "tol": TOL,
        "fibre_volume_fraction": float(np.sum(fibres.volumes()) / edge**3),
        "fibres": fibres.to_dict(), "runs": runs,
        "converged": {"C": eC.limit.tolist(), "C_uncertainty": eC.uncertainty.tolist(),
                      "alpha": ea.limit.tolist(), "alpha_uncertainty": ea.uncertainty.tolist()},
    }
    fixture.parent.mkdir(parents=True, exist_ok=True)
    fixture.write_text(json.dumps(data, indent=1, default=float) + "\n")
    figures = {"edge_um": edge, "seed": seed, "fibres": len(fibres)}
    for r in runs:
        figures[f"solve_s_{r['voxel_size']:g}um"] = r["solve_s"]
    for i in range(6):
        figures[f"C{i + 1}{i + 1}_limit"] = float(eC.limit[i, i])
        figures[f"C{i + 1}{i + 1}_unc_rel"] = float(eC.uncertainty[i, i] / eC.limit[i, i])
    figures["alpha_unc_rel"] = float(np.linalg.norm(ea.uncertainty) / np.linalg.norm(ea.limit))
    record(f"composite_converged_reference_{edge:g}um_seed{seed}", figures, precision="float64")


def errors(C: np.ndarray, alpha: np.ndarray, C_ref: np.ndarray, alpha_ref: np.ndarray) -> dict[str, float]:
    """Worst diagonal entry, worst entry above 1 % of C11, ‖ΔC‖/‖C‖, ‖Δα‖/‖α‖ (relative)."""
    rel = np.abs(C / C_ref - 1)
    big = np.abs(C_ref) > 0.01 * C_ref[0, 0]
    return {"diag_max": float(np.max(np.diag(rel))), "entry_max": float(np.max(rel[big])),
            "norm": float(np.linalg.norm(C - C_ref) / np.linalg.norm(C_ref)),
            "alpha": float(np.linalg.norm(alpha - alpha_ref) / np.linalg.norm(alpha_ref))}


def models(fixture: dict, laws: list[str], coarse_sizes: list[float]) -> dict[str, tuple]:
    edge = fixture["edge_um"]
    fibres = vt.FibreTable.from_dict(fixture["fibres"])
    out = {}
    for hc in coarse_sizes:
        n = int(round(edge / hc))
        for law in laws:
            t0 = time.perf_counter()
            cv = vt.fibre_composite_voxels(fibres, (n, n, n), hc, materials=MATERIALS, law=law)
            prep = time.perf_counter() - t0
            out[f"fibres {law} {hc:g} µm"] = (cv, hc, prep)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", vt.ThinFeatureWarning)
        for h in (4.0, 2.0):
            m = int(round(edge / h))
            labels = vt.rasterize_fibres(fibres, (m, m, m), h).labels
            out[f"voxel route {4 * h:g} µm (from {h:g} µm)"] = (vt.composite_voxels(labels, 4, materials=MATERIALS),
                                                                4 * h, 0.0)
            out[f"majority {4 * h:g} µm (from {h:g} µm)"] = (vt.majority_vote(labels, 4), 4 * h, 0.0)
    return out


def compare(path: Path, laws: list[str], coarse_sizes: list[float]) -> None:
    fx = json.loads(path.read_text())
    C_ref = np.array(fx["converged"]["C"])
    a_ref = np.array(fx["converged"]["alpha"])
    unc = np.array(fx["converged"]["C_uncertainty"])
    by_h = {r["voxel_size"]: r for r in fx["runs"]}
    C4, a4 = np.array(by_h[4.0]["C"]), np.array(by_h[4.0]["alpha"])
    rows = {f"fine {h:g} µm": (np.array(r["C"]), np.array(r["alpha"]), 0.0, 0.0) for h, r in sorted(by_h.items())}
    for name, (model, h, prep) in models(fx, laws, coarse_sizes).items():
        C, alpha, t, _ = homogenize(model, h)
        rows[name] = (C, alpha, prep, t)
    print(f"converged C diagonal {np.diag(C_ref).round(4).tolist()} ± {np.diag(unc).round(4).tolist()}")
    for name, (C, alpha, prep, t) in rows.items():
        e, e4 = errors(C, alpha, C_ref, a_ref), errors(C, alpha, C4, a4)
        diag = " ".join(f"{100 * (C[i, i] / C_ref[i, i] - 1):+.2f}" for i in range(6))
        print(f"{name:34s} diag% {diag} | conv: diag {100 * e['diag_max']:.2f} entry {100 * e['entry_max']:.2f} "
              f"norm {100 * e['norm']:.2f} alpha {100 * e['alpha']:.2f} | vs 4µm: norm {100 * e4['norm']:.2f} "
              f"diag {100 * e4['diag_max']:.2f} | prep {prep:.2f}s solve {t:.2f}s", flush=True)
        figures = {f"conv_{k}": v for k, v in e.items()} | {f"fine4_{k}": v for k, v in e4.items()}
        figures |= {f"C{i + 1}{j + 1}": float(C[i, j]) for i in range(6) for j in range(i, 6)}
        figures |= {"prep_s": prep, "solve_s": t}
        record(f"composite_converged_{fx['edge_um']:g}um_seed{fx['seed']}: {name}", figures, precision="float64")


def throughput(edge: float, seed: int) -> None:
    """Time fibre_composite_voxels on seed 000's block (the fibres of a 4 µm twin) at 32, 16, 8 µm,
    whole and in chunks of 16³ coarse voxels (cut at the chunk faces)."""
    twin = vt.generate_fibres(vt.seed000_spec(), (int(round(edge / 4)),) * 3, 4.0, seed)
    figures: dict[str, float] = {"edge_um": edge, "fibres": len(twin.fibres), "threads": vt.get_num_threads()}
    for hc in (32.0, 16.0, 8.0):
        n = int(round(edge / hc))
        t0 = time.perf_counter()
        cv = vt.fibre_composite_voxels(twin.fibres, (n, n, n), hc, materials=MATERIALS)
        figures[f"whole_{hc:g}um_s"] = time.perf_counter() - t0
        figures[f"rows_{hc:g}um"] = cv.n_entries
        t0 = time.perf_counter()
        for _ in vt.fibre_composite_chunks(twin.fibres, (n, n, n), hc, 16, materials=MATERIALS):
            pass
        figures[f"chunks16_{hc:g}um_s"] = time.perf_counter() - t0
    print(figures)
    record(f"fibre_composite_throughput_{edge:g}um", figures)


def index(edge: float, seed: int, coarse_sizes: list[float], chunks: list[int]) -> None:
    """Time fibre_composite_index (chunks merged into one index) on seed 000's block against
    fibre_composite_voxels of the whole grid cut at its faces, and check they are identical."""
    twin = vt.generate_fibres(vt.seed000_spec(), (int(round(edge / 4)),) * 3, 4.0, seed)
    for hc in coarse_sizes:
        n = int(round(edge / hc))
        figures: dict[str, float] = {"edge_um": edge, "coarse_um": hc, "n": n, "fibres": len(twin.fibres),
                                     "threads": vt.get_num_threads()}
        t0 = time.perf_counter()
        whole = vt.fibre_composite_voxels(twin.fibres, (n, n, n), hc, materials=MATERIALS, periodic=False)
        figures["whole_s"] = time.perf_counter() - t0
        figures["rows_whole"] = whole.n_entries
        for c in chunks:
            t0 = time.perf_counter()
            cv = vt.fibre_composite_index(twin.fibres, (n, n, n), hc, chunk=c, materials=MATERIALS)
            figures[f"index{c}_s"] = time.perf_counter() - t0
            figures[f"rows_index{c}"] = cv.n_entries
            figures[f"identical_index{c}"] = float(np.array_equal(cv.index, whole.index)
                                                   and np.array_equal(cv.C, whole.C))
        # peak of the Python-visible allocations (tracemalloc, numpy included), in separate calls
        for label, make in [("whole", lambda: vt.fibre_composite_voxels(twin.fibres, (n, n, n), hc,
                                                                         materials=MATERIALS, periodic=False))] + [
                (f"index{c}", lambda c=c: vt.fibre_composite_index(twin.fibres, (n, n, n), hc, chunk=c,
                                                                   materials=MATERIALS)) for c in chunks]:
            tracemalloc.start()
            make()
            figures[f"peak_MiB_{label}"] = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        figures["index_MiB"] = whole.index.nbytes / 2**20
        figures["table_MiB"] = (whole.C.nbytes + whole.alpha.nbytes) / 2**20
        print(figures, flush=True)
        record(f"fibre_composite_index_{edge:g}um_{hc:g}um", figures)


def levin_alpha(C: np.ndarray) -> np.ndarray:
    """Thermal expansion (Voigt, 1/K) of a PLA / basalt composite of stiffness ``C`` by Levin's
    relation α* = α_m + (S* − S_m)(S_f − S_m)⁻¹(α_f − α_m): exact for any two-phase microstructure,
    and for the coarse models too, since every law of their table lies on the same line (the
    laminate is a two-phase composite; the Mori–Tanaka laws take their α from Levin)."""
    from voxtwin.composite_laws import _M, _to_mandel

    m, f = MATERIALS[0], MATERIALS[1]
    Sm, Sf = np.linalg.inv(_to_mandel(m.C)), np.linalg.inv(_to_mandel(f.C))
    S = np.linalg.inv(_to_mandel(np.asarray(C)))
    am, af = m.alpha / _M, f.alpha / _M
    return (am + (S - Sm) @ np.linalg.solve(Sf - Sm, af - am)) * _M


#: diagnose: one knob changed at a time from the adopted setting (the default of fibre_composite_voxels:
#: Mori–Tanaka of the equal-volume spheroids, law="spheroids", aspect = the spheroid of the fibre's
#: diameter and volume, 1.5 L/d; 16³ points, K = 15, grid corner on the cell's corner). "aspect" is a
#: multiple of the table's median L/d. "majority" is majority vote of the grid with h/4 voxels (no law).
DIAGNOSE: dict[str, dict[str, object]] = {
    "adopted": {},
    "points 8": {"points": 8},
    "points 4": {"points": 4},
    "K 64": {"normal_resolution": 64},
    "points 8 K 64": {"points": 8, "normal_resolution": 64},
    "shift h/2 x": {"shift": (0.5, 0.0, 0.0)},
    "shift h/2 yz": {"shift": (0.0, 0.5, 0.5)},
    "shift h/2 xyz": {"shift": (0.5, 0.5, 0.5)},
    "shift h/4 xyz": {"shift": (0.25, 0.25, 0.25)},
    "law laminate": {"law": "laminate"},
    "law mori-tanaka": {"law": "mori-tanaka"},
    "previous: double-inclusion L/d": {"law": "double-inclusion", "aspect": 1.0},
    "double-inclusion equal-volume": {"law": "double-inclusion"},
    "double-inclusion x0.5": {"law": "double-inclusion", "aspect": 0.5},
    "double-inclusion x2": {"law": "double-inclusion", "aspect": 2.0},
    "spheroids L/d": {"law": "spheroids", "aspect": 1.0},
    "spheroids x1.25": {"law": "spheroids", "aspect": 1.25},
    "spheroids x2": {"law": "spheroids", "aspect": 2.0},
    "majority": {"majority": True},
}


def diagnose(paths: list[Path], coarse_sizes: list[float], cases: list[str]) -> None:
    """Where do the misses come from? Each knob of DIAGNOSE changed alone, at each coarse size,
    against the converged C: quadrature points and normal resolution (geometry), law and aspect
    (the coarse law), and the grid's placement (a periodic cell shifted by part of a voxel has the
    same effective C, so every change with the shift is an error of the coarse model). α is also
    computed from each C by Levin's relation: if it matches the solver's α, the α miss is the C miss."""
    for path in paths:
        fx = json.loads(path.read_text())
        edge, seed = fx["edge_um"], fx["seed"]
        fibres = vt.FibreTable.from_dict(fx["fibres"])
        C_ref, a_ref = np.array(fx["converged"]["C"]), np.array(fx["converged"]["alpha"])
        median = float(np.median(fibres.length / fibres.diameter))
        S_ref = np.linalg.inv(C_ref)
        levin_ref = float(np.linalg.norm(levin_alpha(C_ref) - a_ref) / np.linalg.norm(a_ref))
        print(f"seed {seed}: Levin(converged C) vs converged α {100 * levin_ref:.3f} %; converged C15 "
              f"{C_ref[0, 4]:+.4f} GPa = {100 * C_ref[0, 4] / C_ref[0, 0]:+.2f} % of C11", flush=True)
        for r in fx["runs"]:
            C, a = np.array(r["C"]), np.array(r["alpha"])
            e = errors(C, a, C_ref, a_ref)
            print(f"  fine {r['voxel_size']:g} µm: diag {100 * e['diag_max']:.2f} entry {100 * e['entry_max']:.2f} "
                  f"norm {100 * e['norm']:.2f} alpha {100 * e['alpha']:.2f} C15 {100 * (C[0, 4] / C_ref[0, 4] - 1):+.1f} %",
                  flush=True)
            record(f"composite_converged_diagnose_{edge:g}um_seed{seed}: fine {r['voxel_size']:g} µm",
                   {f"conv_{k}": v for k, v in e.items()} | {"C15_rel": float(C[0, 4] / C_ref[0, 4] - 1),
                                                             "levin_converged": levin_ref},
                   precision="float64")
        for hc in coarse_sizes:
            n = int(round(edge / hc))
            for name in cases:
                knobs = dict(DIAGNOSE[name])
                shift = np.asarray(knobs.pop("shift", (0.0, 0.0, 0.0))) * hc
                if "aspect" in knobs:
                    knobs["aspect"] = knobs["aspect"] * median
                t0 = time.perf_counter()
                if knobs.pop("majority", False):
                    labels = vt.rasterize_fibres(fibres, (4 * n,) * 3, hc / 4).labels
                    cv = vt.majority_vote(labels, 4)
                else:
                    cv = vt.fibre_composite_voxels(fibres, (n, n, n), hc, materials=MATERIALS, origin=tuple(shift),
                                                   **knobs)
                prep = time.perf_counter() - t0
                C, alpha, t, _ = homogenize(cv, hc)
                e = errors(C, alpha, C_ref, a_ref)
                levin = levin_alpha(C)
                S = np.linalg.inv(C)
                fig = {f"conv_{k}": v for k, v in e.items()}
                fig |= {
                    "C15_rel": float(C[0, 4] / C_ref[0, 4] - 1),
                    "C15_err_of_C11": float((C[0, 4] - C_ref[0, 4]) / C_ref[0, 0]),
                    "diag_rel": [float(C[i, i] / C_ref[i, i] - 1) for i in range(6)],
                    "alpha_rel": [float(alpha[i] / a_ref[i] - 1) for i in range(3)],
                    # Levin: α_i = α_m + p Σ_j (S_ij − S_m,ij) for i ≤ 3 (isotropic phases), so the α error
                    # is the error of the hydrostatic compliance Σ_j S_ij (j ≤ 3) of each normal row
                    "hydro_S_rel": [float(np.sum(S[i, :3]) / np.sum(S_ref[i, :3]) - 1) for i in range(3)],
                    # the solver's α against Levin's α of the same C: ~0 means α follows from C
                    "alpha_solver_vs_levin": float(np.linalg.norm(alpha - levin) / np.linalg.norm(a_ref)),
                    "rows": getattr(cv, "n_entries", 0), "prep_s": prep, "solve_s": t,
                }
                diag = " ".join(f"{100 * v:+.2f}" for v in fig["diag_rel"])
                print(f"  {hc:g} µm {name:16s} diag% {diag} | worst diag {100 * e['diag_max']:.2f} entry "
                      f"{100 * e['entry_max']:.2f} norm {100 * e['norm']:.2f} C15 {100 * fig['C15_rel']:+.1f} % "
                      f"({100 * fig['C15_err_of_C11']:+.2f} % of C11) alpha {100 * e['alpha']:.2f} "
                      f"(Levin-solver {100 * fig['alpha_solver_vs_levin']:.3f}; α_i "
                      f"{' '.join(f'{100 * v:+.2f}' for v in fig['alpha_rel'])}, Σ_j S_ij "
                      f"{' '.join(f'{100 * v:+.2f}' for v in fig['hydro_S_rel'])} %) rows {getattr(cv, 'n_entries', 0)} "
                      f"{prep:.1f}+{t:.1f} s", flush=True)
                record(f"composite_converged_diagnose_{edge:g}um_seed{seed}: {hc:g} µm {name}", fig,
                       precision="float64")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="case", required=True)
    r = sub.add_parser("reference")
    r.add_argument("--edge", type=float, default=160.0, help="edge of the periodic cube (µm)")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--voxel-sizes", type=float, nargs="+", default=[4.0, 2.0, 1.6, 1.25, 1.0])
    r.add_argument("--fixture", type=Path, default=FIXTURE)
    c = sub.add_parser("compare")
    c.add_argument("--fixture", type=Path, default=FIXTURE)
    c.add_argument("--laws", nargs="+", default=["laminate", "mori-tanaka", "spheroids", "double-inclusion"])
    c.add_argument("--coarse", type=float, nargs="+", default=[32.0, 16.0, 8.0])
    t = sub.add_parser("throughput")
    t.add_argument("--edge", type=float, default=500.0, help="µm (seed 000's block: 500)")
    t.add_argument("--seed", type=int, default=0)
    x = sub.add_parser("index")
    x.add_argument("--edge", type=float, default=500.0, help="µm (seed 000's block: 500)")
    x.add_argument("--seed", type=int, default=0)
    x.add_argument("--coarse", type=float, nargs="+", default=[16.0, 8.0])
    x.add_argument("--chunks", type=int, nargs="+", default=[16, 64])
    d = sub.add_parser("diagnose")
    d.add_argument("--fixtures", type=Path, nargs="+",
                   default=[FIXTURE, *sorted((ROOT / "benchmarks" / "data").glob("composite_converged_seed*.json"))])
    d.add_argument("--coarse", type=float, nargs="+", default=[32.0, 16.0, 8.0])
    d.add_argument("--cases", nargs="+", default=list(DIAGNOSE), choices=list(DIAGNOSE))
    args = parser.parse_args()
    if args.case == "diagnose":
        diagnose(args.fixtures, args.coarse, args.cases)
    elif args.case == "index":
        index(args.edge, args.seed, args.coarse, args.chunks)
    elif args.case == "throughput":
        throughput(args.edge, args.seed)
    elif args.case == "reference":
        reference(args.edge, args.seed, args.voxel_sizes, args.fixture)
    else:
        compare(args.fixture, args.laws, args.coarse)


if __name__ == "__main__":
    main()
