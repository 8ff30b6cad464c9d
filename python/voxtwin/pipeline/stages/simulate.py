"""Stage 6 — analysis: composite voxels, effective stiffness and CTE of every architecture, its
modulus rose and in-plane anisotropy A_E, layer-wise moduli, thermal shrinkage (e.g. 50 °C → 25 °C)
and, for the first architecture, the local stress fields per phase (seed 000 Figs. 4h–l and 7)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ... import io as vtio
from ...analysis import anisotropy, directional_modulus, plot_field_slice, plot_modulus_rose, plot_phase_histograms
from ...characterize import characterize
from ...assemble import Assembly, BlockLibrary
from ...composite import CompositeVoxels, composite_voxels
from ...fibre_composite_assembly import fibre_composite_assembly
from ...simulate import solve
from ..context import Context, pyplot
from ..simulate_mpi import Homogenizer
from ._base import Outcome

NAME = "simulate"
DEPENDS = ("assemble",)
PHASE_NAMES = {0: "matrix", 1: "fibre", 2: "void"}
LOAD_GPA = 1e-3  # 1 MPa uniaxial load for the field maps (linear: fields scale with it)


def settings(config: dict[str, Any]) -> dict[str, Any]:
    # How many MPI ranks compute it is not part of what is computed (results equal to 1e-10): a run
    # finished on one process is reused on N and the other way round.
    simulation = {k: v for k, v in config["simulation"].items() if k != "mpi_ranks"}
    # The composite route enters only when it is "fibres": runs made before it existed (voxels) keep
    # their fingerprints.
    composite = {k: v for k, v in config["composite"].items() if k != "route" or v != "voxels"}
    if composite.get("route") == "fibres":
        # the fibre route's law is not a config key; it enters so that runs made with the first
        # default (double inclusion, aspect L/d) are not reused after the switch (issue 21)
        composite["law"] = "spheroids, equal-volume aspect"
    return {"composite": composite, "materials": config["materials"]} | {"simulation": simulation,
                                                                 "axis": config["assembly"]["axis"],
                                                                 "voxel_size": config["twins"]["voxel_size"]}


def _model(ctx: Context, labels: np.ndarray, assembly: Assembly | None = None,
           window: tuple[int, int, int] | None = None) -> Any:
    """Composite voxels of `labels` (or the labels themselves when composite.factor is 1) on the
    voxel route; on the fibre route those of `assembly` computed from its fibre tables, over the
    voxel layers [window[1], window[2]) along axis window[0] (None: all), at factor × the twins'
    voxel size (the remainder cropped, as the voxel route crops)."""
    factor = ctx.config["composite"]["factor"]
    if ctx.config["composite"]["route"] == "fibres":
        assert assembly is not None
        h = float(ctx.config["twins"]["voxel_size"])
        lo, hi = [0.0, 0.0, 0.0], [float(v) for v in assembly.size_um]
        if window is not None:
            axis, start, stop = window
            lo[axis], hi[axis] = start * h, stop * h
        return fibre_composite_assembly(assembly, h * factor, materials=ctx.materials(), region=(lo, hi),
                                        device=ctx.device, progress=ctx.progress and window is None)
    if factor == 1:
        return labels
    return composite_voxels(labels, factor, materials=ctx.materials(), remainder="crop", device=ctx.device)


def _assemblies(ctx: Context) -> dict[str, Assembly]:
    """The assemblies as the assemble stage built them (the fibre route needs their cells, not their voxels)."""
    from .assemble import assemblies

    if ctx.config["composite"]["route"] != "fibres":
        return {}
    return assemblies(ctx, BlockLibrary.load(ctx.run.path / "volumes" / "library"))


def _homogenizer(ctx: Context) -> Homogenizer:
    """Homogenizes in this process, or on `simulation.mpi_ranks` MPI processes in one launch."""
    return Homogenizer(ctx.materials(), ctx.config["simulation"], ctx.device, ctx.config["simulation"]["mpi_ranks"],
                       ctx.run.path / "simulate_mpi")


def _save_npz(path: Any, arrays: dict[str, np.ndarray]) -> Any:
    np.savez(path, **arrays)
    return path


def _layers(labels: np.ndarray, axis: int, n_layers: int) -> list[np.ndarray]:
    return [np.ascontiguousarray(layer) for layer in np.array_split(labels, n_layers, axis=axis)]


def _layer_windows(n: int, n_layers: int) -> list[tuple[int, int]]:
    """[start, stop) voxel indices of the layers np.array_split cuts from n voxels."""
    sizes = [n // n_layers + (1 if k < n % n_layers else 0) for k in range(n_layers)]
    starts = np.cumsum([0] + sizes)
    return [(int(starts[k]), int(starts[k + 1])) for k in range(n_layers)]


def _uniaxial(angle_deg: float) -> list[float]:
    """Voigt stress of a uniaxial load LOAD_GPA along angle_deg in the XY plane."""
    c, s = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
    return [LOAD_GPA * c * c, LOAD_GPA * s * s, 0.0, 0.0, 0.0, LOAD_GPA * c * s]


def run(ctx: Context) -> Outcome:
    s = ctx.config["simulation"]
    factor = ctx.config["composite"]["factor"]
    h = float(ctx.config["twins"]["voxel_size"])
    axis = "xyz".index(ctx.config["assembly"]["axis"])
    stores = ctx.run.read_json("assemblies")
    plt = pyplot()
    out = Outcome()
    report: dict[str, Any] = {}
    stiffness: dict[str, np.ndarray] = {}
    profiles: dict[str, dict[str, Any]] = {}
    first_model = None
    dT = s["temperature_to_C"] - s["temperature_from_C"]
    solver = _homogenizer(ctx)
    shapes: dict[str, Any] = {}
    fibre_route = ctx.config["composite"]["route"] == "fibres"
    built = _assemblies(ctx)
    for name, entry in stores.items():
        if "store" not in entry:
            continue
        labels = vtio.read(ctx.run.path / entry["store"], array_path="labels", progress=False).data
        asm = built.get(name)
        model = _model(ctx, labels, asm)
        composite = isinstance(model, CompositeVoxels)
        # Under MPI the fine voxels are read slab-wise from the assembly store itself.
        solver.submit(name, model, h * factor, store=ctx.run.path / entry["store"] if not composite else None,
                      progress=ctx.progress)
        if composite:
            shapes[name] = {"coarse shape": list(model.shape), "laminate table rows": int(model.n_entries),
                            "mixed share": round(float(model.mixed_fraction), 4)}
            if fibre_route:
                shapes[name]["route"] = "fibres (vt.fibre_composite_assembly)"
        # Layer by layer: each layer's own stiffness (a periodic slab) and fibre orientation tensor;
        # one layer at a time keeps the memory at a layer's, not the stack's.
        n_layers = len(entry["layer angles (degrees)"])
        a11, a22 = [], []
        windows = _layer_windows(labels.shape[axis], n_layers)
        for k, layer in enumerate(_layers(labels, axis, n_layers)):
            solver.submit(f"{name}/layer{k}", _model(ctx, layer, asm, (axis, *windows[k])), h * factor)
            a = characterize(layer, h, periodic=True).orientation_tensor
            a11.append(float(a[0, 0]))
            a22.append(float(a[1, 1]))
        profiles[name] = {"a11": a11, "a22": a22, "n_layers": n_layers}
        if first_model is None:
            first_model = (name, model, labels)
    results = solver.results()
    for name, p in profiles.items():
        hom = results[name]
        C = hom.C
        stiffness[name] = C
        rec: dict[str, Any] = {
            "C (GPa)": np.round(C, 3).tolist(),
            "E_x, E_y, E_z (GPa)": [round(float(directional_modulus(C, v)), 4) for v in np.eye(3)],
            f"A_E ({s['rose_plane']})": round(float(anisotropy(C, s["rose_plane"])), 4),
            "converged": bool(np.all(hom.converged)),
            "iterations": [int(i) for i in np.atleast_1d(hom.iterations)],
        }
        if s["thermal"]:
            rec["CTE (1/K)"] = [float(f"{a:.4e}") for a in hom.alpha]
            rec[f"free thermal strain for ΔT = {dT:g} K"] = [float(f"{a * dT:.4e}") for a in hom.alpha[:3]]
        if name in shapes:
            rec["composite voxels"] = shapes[name]
        layer_C = [results[f"{name}/layer{k}"].C for k in range(p.pop("n_layers"))]
        p["E_x"] = [float(directional_modulus(Cl, (1, 0, 0))) for Cl in layer_C]
        p["E_y"] = [float(directional_modulus(Cl, (0, 1, 0))) for Cl in layer_C]
        rec["layer E_x (GPa)"] = [round(v, 3) for v in p["E_x"]]
        rec["layer E_y (GPa)"] = [round(v, 3) for v in p["E_y"]]
        if solver.launched_ranks:
            rec["MPI ranks"] = solver.launched_ranks  # as the launched processes counted themselves
        report[name] = rec
    # Full precision for later use and comparison (the report rounds): C (GPa) and CTE (1/K) by name.
    arrays = {f"{key}/{what}": getattr(results[key], what) for key in results for what in ("C", "alpha")}
    out.outputs["stiffness"] = ctx.run.rel(_save_npz(ctx.run.file("results", "stiffness.npz"), arrays))
    out.outputs["simulation"] = ctx.run.rel(ctx.run.write_json("simulation", report))

    fig, ax = plt.subplots(figsize=(6.2, 5.4), subplot_kw={"projection": "polar"}, constrained_layout=True)
    plot_modulus_rose(stiffness, s["rose_plane"], s["rose_n"], ax=ax)
    out.figures.append(ctx.figure("modulus_rose", fig))

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), constrained_layout=True)
    for name, p in profiles.items():
        layers = np.arange(1, len(p["E_x"]) + 1)
        axes[0].plot(layers, p["E_x"], "o-", label=f"{name} E_x")
        axes[0].plot(layers, p["E_y"], "s--", label=f"{name} E_y")
        axes[1].plot(layers, p["a11"], "o-", label=f"{name} a11")
        axes[1].plot(layers, p["a22"], "s--", label=f"{name} a22")
    axes[0].set(xlabel="layer", ylabel="layer modulus (GPa)", title="modulus per stacking layer")
    axes[1].set(xlabel="layer", ylabel="orientation tensor", title="fibre orientation per layer", ylim=(0, 1))
    for a in axes:  # below the axes: inside they hid the curves
        a.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3)
    out.figures.append(ctx.figure("layer_profiles", fig))

    if s["fields"] and first_model is not None:
        name, model, fine = first_model
        mats = ctx.materials()
        load = solve(model, mats, stress=_uniaxial(s["load_angle_deg"]), tol=s["tol"], device=ctx.device,
                     voxel_size=h * factor, max_iter=s["max_iter"], progress=ctx.progress)
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
        comp = "yy" if abs(math.sin(math.radians(s["load_angle_deg"]))) > 0.7 else "xx"
        # The slice: mid-plane of the first layer whose fibres run along the load (its fibres carry it).
        layer_angles = np.asarray(stores[name]["layer angles (degrees)"], dtype=float)
        gap = np.abs((layer_angles - s["load_angle_deg"] + 90.0) % 180.0 - 90.0)
        k = int(np.nanargmin(gap))
        thickness = model.shape[axis] / len(layer_angles)
        plot_field_slice(load, "stress", comp, axis="xyz"[axis], index=int((k + 0.5) * thickness), ax=axes[0])
        plot_phase_histograms(load, "stress", comp, labels={k: v for k, v in PHASE_NAMES.items() if k in mats and not mats[k].is_void},
                              ax=axes[1])
        axes[0].set_title(f"{name}, layer {k + 1} ({layer_angles[k]:g}°): stress {comp}, 1 MPa at {s['load_angle_deg']:g}°",
                          fontsize=9)
        out.figures.append(ctx.figure("stress_field", fig))
        stats: dict[str, Any] = {"uniaxial load": load.phase_stats()}
        if s["thermal"]:
            shrink = solve(model, mats, stress=[0.0] * 6, delta_T=dT, tol=s["tol"], device=ctx.device,
                           voxel_size=h * factor, max_iter=s["max_iter"], progress=ctx.progress)
            stats["thermal shrinkage"] = shrink.phase_stats()
            fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), constrained_layout=True)
            plot_phase_histograms(shrink, "strain", "zz", labels={0: "matrix"}, ax=axes[0])
            plot_phase_histograms(shrink, "stress", "xx", labels={1: "fibre"}, ax=axes[1])
            axes[0].set_title(f"in-matrix strain zz, ΔT = {dT:g} K")
            axes[1].set_title(f"in-fibre stress xx, ΔT = {dT:g} K")
            out.figures.append(ctx.figure("thermal_phase_histograms", fig))
            report[name]["mean strain, stress-free shrinkage"] = [float(f"{v:.4e}") for v in shrink.mean_strain]
        out.outputs["phase_statistics"] = ctx.run.rel(ctx.run.write_json("phase_statistics", stats))
        if isinstance(model, CompositeVoxels):
            # The fibre route's voxels hold 16³ quadrature points, not the fine labels: no side-by-side.
            axes = np.atleast_1d(model.plot(None if fibre_route else fine, axis="y"))
            out.figures.append(ctx.figure("composite_voxels", axes[0].figure))
    out.summary = report
    return out
