"""The ``voxtwin`` command line. Each pipeline step adds its subcommand here."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

# Exit codes say what failed; listed in `voxtwin --help`.
EXIT_OK = 0
EXIT_FAILED = 1  # bad input or a failed step (message on stderr)
EXIT_USAGE = 2  # bad command line (argparse's own)
EXIT_NOT_CONVERGED = 3  # a solver did not reach its tolerance
EXIT_BACKEND = 4  # a backend was asked for that is not there (e.g. --device cuda without a GPU)
EXIT_MEMORY = 5  # the problem does not fit the memory of the device
EXIT_INTERRUPTED = 130  # Ctrl-C; a pipeline run resumes where it stopped

EPILOG = """exit codes: 0 success, 1 bad input or a failed step, 2 bad command line, 3 a solver did not
converge, 4 backend unavailable (e.g. no GPU), 5 not enough memory, 130 interrupted (runs resume)."""


def _cmd_info(args: argparse.Namespace) -> int:
    import voxtwin

    info = voxtwin.backend_info()
    try:
        info["cmake_dir"] = voxtwin.get_cmake_dir()
    except FileNotFoundError as exc:
        info["cmake_dir"] = f"unavailable: {exc}"
    if args.json:
        print(json.dumps(info, indent=2, default=str))
    else:
        for key, value in info.items():
            print(f"{key:>18}: {value}")
    return EXIT_OK


def _cmd_assemble(args: argparse.Namespace) -> int:
    import voxtwin

    lib = voxtwin.BlockLibrary.load(args.library)
    if args.gcode:
        plan = voxtwin.gcode.read(args.gcode)
        asm = voxtwin.gcode.to_assembly(plan, lib, seed=args.seed)
    else:
        sequence: object = args.stack
        if args.stack not in ("helicoidal", "quasi_isotropic", "qi"):
            sequence = [float(a) for a in args.stack.split(",")]
        asm = voxtwin.Assembly.stacked(lib, voxtwin.stacking(sequence), layer_shape=tuple(args.layer_shape),
                                       axis=args.axis, seed=args.seed)
    print(asm.summary())
    if args.picture:
        from .render3d import render_layout

        pic = render_layout(asm.layout()["angle"], tuple(n * asm.voxel_size for n in asm.block_shape), args.picture)
        print(f"picture {pic.path} ({pic.note})")
    if args.out is None:
        return EXIT_OK
    store = asm.to_zarr(args.out, chunks=args.chunks, threads=args.threads, progress=not args.quiet)
    print(f"wrote {args.out} ({dict(store.attrs)['voxtwin']['shape']} voxels)")
    return EXIT_OK


def _cmd_generate(args: argparse.Namespace) -> int:
    from pathlib import Path

    import numpy as np

    import voxtwin

    if args.spec:
        try:
            from ._limits import read_capped

            text = read_capped(Path(args.spec), 1 << 24, "`--spec`").decode("utf-8")  # a spec is a few kB
            spec = voxtwin.FibreSpec.from_dict(json.loads(text))
        except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise ValueError(f"`--spec` {args.spec!r} is not a FibreSpec JSON file: {exc}") from exc
    else:
        orientation = voxtwin.orientation.Aligned((1.0, 0.0, 0.0), args.spread)
        spec = voxtwin.FibreSpec(args.volume_fraction, args.diameter, args.length, orientation, args.fibre_shape)
    out = Path(args.out)
    if out.suffix.lower() not in (".npy", ".tif", ".tiff", ".zarr"):
        raise ValueError(f"`--out` must end in .npy, .tif, .tiff or .zarr, got {str(out)!r}")
    twin = voxtwin.generate_fibres(
        spec.rotated_in_plane(args.angle), tuple(args.shape), args.voxel_size, args.seed, periodic=not args.open,
        device=args.device, progress=True, method=args.method, max_attempts=args.max_attempts,
    )
    if out.suffix.lower() == ".npy":
        np.save(out, twin.labels)
    elif out.suffix.lower() == ".zarr":  # OME-Zarr with a majority-label pyramid
        voxtwin.io.write(out, twin.labels, voxel_size=twin.voxel_size, overwrite=True)
    else:
        import tifffile

        tifffile.imwrite(out, np.ascontiguousarray(twin.labels.transpose(2, 1, 0)))  # pages along Z, rows along Y
    summary = {
        "labels": str(out),
        "shape": list(twin.shape),
        "voxel_size_um": twin.voxel_size,
        "seed": twin.seed,
        "fibres": len(twin.fibres),
        "target_volume_fraction": spec.volume_fraction,
        "achieved_volume_fraction": twin.achieved_volume_fraction,
        "target_reached": twin.target_reached,
        "method": args.method,
    }
    if args.fibres:
        summary["fibre_table"] = str(twin.fibres.save(args.fibres))
    if args.picture:
        from .render3d import render_fibres

        pic = render_fibres(twin.labels, twin.voxel_size, args.picture, title=f"{args.angle:g}° unit twin")
        summary["picture"] = f"{pic.path} ({pic.note})"
    print(json.dumps(summary, indent=2))
    return EXIT_OK if twin.target_reached else EXIT_FAILED


def _read_labels(path: str) -> object:
    """Phase labels from any volume file ``voxtwin.io.read`` knows (.npy, .tif pages along Z, zarr, ...)."""
    import voxtwin

    try:
        return voxtwin.io.read(path, progress=False).data
    except (OSError, ValueError) as exc:
        raise ValueError(f"`LABELS` could not be read: {exc}") from exc


def _cmd_segment(args: argparse.Namespace) -> int:
    import warnings
    from pathlib import Path

    import numpy as np

    import voxtwin

    if Path(args.out).exists() and not args.overwrite:  # before reading or segmenting anything
        raise ValueError(f"`OUT` {args.out} exists; pass --overwrite to replace it")
    raw = {"shape": args.shape, "dtype": args.dtype, "byte_order": args.byte_order} if args.shape else {}
    vol = voxtwin.io.read(args.scan, voxel_size=args.voxel_size, progress=not args.quiet, **raw)
    if vol.voxel_size is None:
        warnings.warn(f"the voxel size of {args.scan} is unknown (not in the file): the labels are written without "
                      "one; pass --voxel-size (µm) so that later steps measure in µm", voxtwin.SegmentationWarning)
    summary: dict[str, object] = {"scan": args.scan, "shape": list(vol.shape), "voxel_size_um": vol.voxel_size,
                                  "method": args.method}
    if args.method == "otsu":
        classes = args.classes or 3
        if args.classes is None and args.phases is None:  # the labels depend on it: say what was assumed
            ranks = voxtwin.segment.otsu(vol.data, 3, phases=(0, 1, 2))
            shares = ", ".join(f"{n} {np.mean(ranks == k):.1%}" for k, n in enumerate(("void", "matrix", "fibre")))
            warnings.warn(f"3 grey classes assumed, darkest to brightest void, matrix, fibre ({shares}); a two-phase "
                          "scan needs --classes 2 (fibres in air: --classes 2 --phases 2 1), --classes 3 silences this",
                          voxtwin.SegmentationWarning)
        labels = voxtwin.segment.otsu(vol.data, classes, phases=args.phases)
        summary["thresholds"] = [float(t) for t in voxtwin.segment.otsu_thresholds(vol.data, classes)]
    else:
        if args.model and not args.annotations:
            model = voxtwin.segment.load_model(args.model, device=args.device)
        elif args.annotations:
            strokes = voxtwin.io.read(args.annotations, progress=False).data
            model = voxtwin.segment.UNet3D(features=args.features, window=args.window, epochs=args.epochs,
                                           steps_per_epoch=args.steps, classes=args.classes or 3, device=args.device,
                                           seed=args.seed)
            model.fit(vol.data, strokes.astype(np.int8), progress=not args.quiet)
            if args.model:
                summary["model"] = str(model.save(args.model))
        else:
            raise ValueError("`--method unet` needs --model (a trained model) or --annotations (strokes to train on)")
        labels = model.predict(vol.data, progress=not args.quiet)
    summary["phase_fractions"] = {str(k): v for k, v in voxtwin.phase_fractions(labels, device="cpu").items()}
    summary["out"] = str(voxtwin.io.write(args.out, labels, voxel_size=vol.voxel_size, overwrite=args.overwrite,
                                          progress=not args.quiet))
    print(json.dumps(summary, indent=2))
    return EXIT_OK


def _cmd_characterize(args: argparse.Namespace) -> int:
    import voxtwin

    stats = voxtwin.characterize(_read_labels(args.labels), args.voxel_size, args.fibre_label, periodic=args.periodic)
    summary = stats.summary()
    if args.table:
        summary["fibre_table"] = str(stats.to_table(args.table))
    if args.json:
        summary["json"] = str(stats.to_json(args.json))
    if args.profile_plot:
        import matplotlib

        matplotlib.use("Agg")
        ax = stats.profile(args.axis, args.bins).plot()
        ax.figure.savefig(args.profile_plot, dpi=150, bbox_inches="tight")
        summary["profile_plot"] = args.profile_plot
    print(json.dumps(summary, indent=2))
    return EXIT_OK


def _print_run(run_dir: object) -> None:
    """One line per finished stage ("reused" for those taken from the run folder), then where the report is."""
    reused = set(getattr(run_dir, "reused", ()))
    for step in run_dir.steps():  # type: ignore[attr-defined]
        took = f"reused (took {step.seconds:.1f} s when run)" if step.name in reused else f"{step.seconds:7.1f} s"
        print(f"  {step.name:<13} {took}")


def _cmd_run(args: argparse.Namespace) -> int:
    from ._console import stage_printer
    from .pipeline import run, write_report

    run_dir = run(args.config, resume=not args.fresh, progress=not args.quiet, stop_after=args.stop_after,
                  on_event=stage_printer(args.shown_warnings), mpi_ranks=args.mpi)
    _print_run(run_dir)
    print(f"run folder: {run_dir.path}\nreport: {write_report(run_dir.path)}")
    return EXIT_OK


def _cmd_demo(args: argparse.Namespace) -> int:
    from ._console import stage_printer
    from .pipeline import demo_config, load_config, run, write_report

    config = load_config(demo_config(args.size, output=args.out))
    print(f"voxtwin demo ({args.size}): scan -> segmentation -> statistics -> unit twins -> stacks -> "
          f"composite voxels -> stiffness; run folder {config['run']['output']}")
    run_dir = run(config, resume=not args.fresh, progress=not args.quiet,
                  on_event=stage_printer(args.shown_warnings))
    _print_run(run_dir)
    sim = run_dir.read_json("simulation")
    for name, rec in sim.items():
        key = next(k for k in rec if k.startswith("A_E"))
        E = rec["E_x, E_y, E_z (GPa)"]
        print(f"  {name:<17} E_x {E[0]:.3f}  E_y {E[1]:.3f}  E_z {E[2]:.3f} GPa   {key} = {rec[key]:.3f}")
    print(f"report: {write_report(run_dir.path)}")
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from .pipeline import write_report

    print(write_report(args.run_dir, args.out))
    return EXIT_OK


def _cmd_simulate(args: argparse.Namespace) -> int:
    import numpy as np

    import voxtwin

    library = voxtwin.material_library()
    materials = {}
    for item in args.materials.split(","):
        label, _, name = item.partition("=")
        if not label.strip().isdigit() or name.strip() not in library:
            raise ValueError(f"`--materials` must look like 0=pla,1=basalt_fibre,2=air with library names "
                             f"{sorted(library)}, got {item!r}")
        materials[int(label)] = library[name.strip()]
    from .simulate_mpi import is_store

    if is_store(args.labels) and args.factor == 1:
        from . import _simulate_store

        return _simulate_store.run(args, materials)
    if args.out is not None:
        raise ValueError(f"`--out` needs a zarr store of labels (without --factor), got {args.labels!r}")
    vol = voxtwin.io.read(args.labels, voxel_size=args.voxel_size, progress=not args.quiet)
    if vol.voxel_size is None:
        raise ValueError(f"the voxel size of {args.labels} is unknown: pass --voxel-size (µm)")
    model: object = vol.data
    h = float(vol.voxel_size)
    if args.factor > 1:
        model = voxtwin.composite_voxels(vol.data, args.factor, materials=materials, remainder="crop",
                                         device=args.device)
        h *= args.factor
    res = voxtwin.homogenize(model, materials, h, tol=args.tol, device=args.device, strict=True,
                             progress=not args.quiet)
    out = {"C (GPa)": np.round(res.C, 4).tolist(), "CTE (1/K)": res.alpha.tolist(),
           "A_E (xy)": voxtwin.analysis.anisotropy(res.C, "xy"), "iterations": list(map(int, res.iterations))}
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        from ._console import engineering

        with np.printoptions(precision=3, suppress=True, linewidth=120):
            print("effective stiffness C (GPa):\n", res.C)
        print("effective CTE (1/K, Voigt xx yy zz yz xz xy):", engineering(res.alpha))
        print(f"in-plane anisotropy A_E (xy) = {out['A_E (xy)']:.3f}")
    return EXIT_OK


def _cmd_verify(args: argparse.Namespace) -> int:
    from .assemble.verify import verify

    result = verify(args.store, repair=args.repair, library=args.library, progress=not args.quiet)
    print(result.summary())
    return EXIT_OK if result.ok else EXIT_FAILED


def _cmd_export(args: argparse.Namespace) -> int:
    from .io.export import export

    print(export(args.volume, args.out, args.format, level=args.level, overwrite=args.overwrite))
    return EXIT_OK


def _cmd_view(args: argparse.Namespace) -> int:
    from .view import view

    view(args.store)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voxtwin",
        description="Voxel digital twins of fibre composites: scan -> segmentation -> statistics -> "
        "unit twins -> assembly -> FFT elasticity.",
        epilog=EPILOG,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    info = sub.add_parser("info", help="show version, backends (CPU threads, CUDA devices) and the CMake package dir")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(func=_cmd_info)

    asm = sub.add_parser("assemble", help="stack or lay out blocks of a saved block library; write zarr (resumable)")
    asm.add_argument("library", help="folder written by BlockLibrary.save")
    asm.add_argument("out", nargs="?", help="zarr store to write (resumes an interrupted write); omit to plan only")
    layout = asm.add_mutually_exclusive_group(required=True)
    layout.add_argument("--stack", help="helicoidal, quasi_isotropic, or angles in degrees such as 0,90,45,135")
    layout.add_argument("--gcode", help="G-code whose drawing path places the blocks")
    asm.add_argument("--layer-shape", type=int, nargs=2, default=(4, 4), metavar=("N1", "N2"),
                     help="blocks per stacked layer (default 4 4)")
    asm.add_argument("--axis", choices=("x", "y", "z"), default="z", help="stacking axis (default z)")
    asm.add_argument("--seed", type=int, default=0, help="assembly seed (default 0)")
    asm.add_argument("--chunks", type=int, nargs=3, default=None, metavar=("X", "Y", "Z"),
                     help="output chunk shape in voxels (default: the block shape)")
    asm.add_argument("--threads", type=int, default=None, help="writer threads (default: CPU threads)")
    asm.add_argument("--quiet", action="store_true", help="no progress bar")
    asm.add_argument("--picture", metavar="PNG", help="also draw the block layout in 3D, coloured by angle")
    asm.set_defaults(func=_cmd_assemble)

    gen = sub.add_parser(
        "generate",
        help="generate a unit twin (fibres placed without overlap, rasterized) from fibre statistics and a seed",
        description="Generate a unit twin. Without --spec: cylinders of fixed diameter and length along the "
        "in-plane angle (degrees from +X towards +Y) with an orientation spread; the defaults are seed 000's "
        "building block (0.5 mm cube at 4 um, 15 x 100 um fibres, 10 vol%%).",
    )
    gen.add_argument("--out", required=True,
                     help="phase labels (uint8 [x, y, z]): .npy, .tif (pages along Z) or .zarr (OME-Zarr)")
    gen.add_argument("--fibres", help="also write the fibre table (.csv or .json)")
    gen.add_argument("--picture", metavar="PNG", help="also draw the fibres in 3D, coloured by orientation")
    gen.add_argument("--spec", help="a FibreSpec as JSON (FibreSpec.to_dict); replaces the fibre options below")
    gen.add_argument("--shape", type=int, nargs=3, default=[125, 125, 125], metavar=("NX", "NY", "NZ"))
    gen.add_argument("--voxel-size", type=float, default=4.0, help="um per voxel (default 4)")
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--angle", type=float, default=0.0, help="in-plane angle in degrees (default 0 = along +X)")
    gen.add_argument("--volume-fraction", type=float, default=0.10)
    gen.add_argument("--diameter", type=float, default=15.0, help="um")
    gen.add_argument("--length", type=float, default=100.0, help="um")
    gen.add_argument("--spread", type=float, default=15.0, help="orientation spread in degrees (default 15)")
    gen.add_argument("--fibre-shape", choices=("cylinder", "spherocylinder"), default="cylinder")
    gen.add_argument("--open", action="store_true", help="cut fibres at the faces instead of wrapping them")
    gen.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    gen.add_argument("--method", choices=("rsa", "migrate", "auto"), default="rsa",
                     help="fibre placement: rsa (random sequential adsorption, the default: jams near 17-20 vol%% "
                     "for the default fibres), migrate (sequential addition and migration, for industrial "
                     "fractions up to ~45 vol%%) or auto (rsa up to 10 vol%%, migrate above)")
    gen.add_argument("--max-attempts", type=int, default=None,
                     help="placement budget: fibres tried (rsa) or migration steps (migrate; default 10000)")
    gen.set_defaults(func=_cmd_generate)

    seg = sub.add_parser(
        "segment",
        help="segment a grey-value scan into phases (multi-Otsu, or a U-Net from brush strokes or a saved model)",
        description="Segment a CT volume into uint8 phases (0 matrix, 1 fibre, 2 void) and write them with the "
        "voxel size. --method otsu: multi-Otsu thresholds. --method unet: a U-Net, loaded from --model, or trained "
        "on --annotations (int volume: class label where brushed, -1 elsewhere) and saved to --model if given.",
    )
    seg.add_argument("scan", metavar="SCAN", help="grey values: .tif/.tiff (pages along Z), a folder of TIFF slices, "
                     ".npy, .zarr, or .raw/.bin with --shape, --dtype, --byte-order")
    seg.add_argument("out", metavar="OUT", help="labels to write: .tif, .npy, .zarr or .raw")
    seg.add_argument("--method", choices=("otsu", "unet"), default="otsu")
    seg.add_argument("--classes", type=int, default=None,
                     help="number of grey classes (default 3: void, matrix, fibre; 2 for two-phase scans)")
    seg.add_argument("--phases", type=int, nargs="+", default=None,
                     help="otsu: phase label of each grey class, darkest first (default 2 0 1 for 3 classes, "
                     "0 1 for 2; fibres in air: --classes 2 --phases 2 1)")
    seg.add_argument("--model", help="unet: a saved model to use, or where to save the one trained on --annotations")
    seg.add_argument("--annotations", help="unet: brush strokes to train on (same shape as SCAN)")
    seg.add_argument("--features", type=int, default=16, help="unet training: features (default 16)")
    seg.add_argument("--window", type=int, default=52, help="unet training: window edge in voxels (default 52)")
    seg.add_argument("--epochs", type=int, default=3, help="unet training: epochs (default 3)")
    seg.add_argument("--steps", type=int, default=100, help="unet training: steps per epoch (default 100)")
    seg.add_argument("--seed", type=int, default=0)
    seg.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    seg.add_argument("--voxel-size", type=float, default=None, help="um per voxel (overrides the file's)")
    seg.add_argument("--shape", type=int, nargs=3, default=None, metavar=("NX", "NY", "NZ"), help="raw SCAN shape")
    seg.add_argument("--dtype", default=None, help="raw SCAN voxel type, e.g. uint16")
    seg.add_argument("--byte-order", choices=("little", "big"), default=None, help="raw SCAN byte order")
    seg.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    seg.add_argument("--quiet", action="store_true", help="no progress bars")
    seg.set_defaults(func=_cmd_segment)

    char = sub.add_parser(
        "characterize",
        help="identify the single fibres of a segmented volume and write their statistics",
        description="Identify the fibres of a phase-label volume (touching fibres separated) and measure them: "
        "diameter, length, direction, orientation tensor, phase fractions. Prints the summary as JSON.",
    )
    char.add_argument("labels", metavar="LABELS", help="uint8 phase labels: .npy ([x, y, z]), .tif (pages along Z), "
                      ".zarr, a folder of TIFF slices")
    char.add_argument("--voxel-size", type=float, required=True, help="um per voxel")
    char.add_argument("--fibre-label", type=int, default=1, help="phase label of the fibres (default 1)")
    char.add_argument("--periodic", action="store_true", help="the volume is periodic (a generated unit twin)")
    char.add_argument("--table", help="write the per-fibre table (.csv, or .parquet with pyarrow)")
    char.add_argument("--json", help="write the summary (fits, orientation tensor, fractions) as JSON")
    char.add_argument("--profile-plot", help="write a plot of a11, a22, a33 and fibre fraction along --axis (.png)")
    char.add_argument("--axis", choices=("x", "y", "z"), default="z", help="profile axis (default z)")
    char.add_argument("--bins", type=int, default=20, help="profile bins (default 20)")
    char.set_defaults(func=_cmd_characterize)

    demo = sub.add_parser("demo", help="the whole workflow on the built-in example, with an HTML report",
                          epilog=EPILOG)
    demo.add_argument("--out", help="run folder (default runs/demo, or runs/demo-small with --size small)")
    demo.add_argument("--size", choices=("full", "small"), default="full",
                      help="full (the README's figures and measured time) or small (a reduced size, a few times "
                      "faster; writes runs/demo-small)")
    demo.add_argument("--fresh", action="store_true", help="redo every stage instead of resuming")
    demo.add_argument("--quiet", action="store_true", help="no progress bars")
    demo.set_defaults(func=_cmd_demo)

    run = sub.add_parser("run", help="run the pipeline of a TOML configuration (resumes an interrupted run)",
                         epilog=EPILOG)
    run.add_argument("config", help="TOML file (see examples/pipeline.toml)")
    run.add_argument("--fresh", action="store_true", help="redo every stage instead of resuming")
    run.add_argument("--stop-after", choices=("scan", "segment", "characterize", "twins", "assemble", "simulate"),
                     help="last stage to run")
    run.add_argument("--quiet", action="store_true", help="no progress bars")
    run.add_argument("--mpi", type=int, metavar="N", help="run the simulate stage's homogenizations on N MPI "
                     "processes (mpirun; overrides simulation.mpi_ranks)")
    run.set_defaults(func=_cmd_run)

    rep = sub.add_parser("report", help="write a self-contained HTML summary of a run folder")
    rep.add_argument("run_dir", help="a run folder written by `voxtwin run` or `voxtwin demo`")
    rep.add_argument("--out", help="HTML file (default RUN_DIR/report.html)")
    rep.set_defaults(func=_cmd_report)

    sim = sub.add_parser("simulate", help="effective stiffness and CTE of a labelled volume (FFT solver)",
                         epilog=EPILOG)
    sim.add_argument("labels", help="uint8 phase labels (.tif, .zarr, .npy, .raw)")
    sim.add_argument("--voxel-size", type=float, help="µm per voxel (default: from the file)")
    sim.add_argument("--materials", default="0=pla,1=basalt_fibre,2=air",
                     help="label=library name pairs (default 0=pla,1=basalt_fibre,2=air)")
    sim.add_argument("--factor", type=int, default=1, help="composite-voxel factor (default 1: the fine voxels)")
    sim.add_argument("--tol", type=float, default=1e-5, help="relative residual (default 1e-5)")
    sim.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    sim.add_argument("--json", action="store_true", help="print JSON")
    sim.add_argument("--quiet", action="store_true", help="no progress bars")
    from . import _simulate_store

    _simulate_store.add_arguments(sim)
    sim.set_defaults(func=_cmd_simulate)

    ver = sub.add_parser("verify", help="check an assembly store's chunks against their checksums; --repair rewrites "
                         "damaged ones", epilog=EPILOG)
    ver.add_argument("store", help="zarr store written by `voxtwin assemble` / Assembly.to_zarr")
    ver.add_argument("--repair", action="store_true", help="rewrite damaged chunks (needs --library)")
    ver.add_argument("--library", help="the block library folder the store was written from")
    ver.add_argument("--quiet", action="store_true", help="no progress bar")
    ver.set_defaults(func=_cmd_verify)
    exp = sub.add_parser("export", help="convert a volume to VTK image data (ParaView), OME-Zarr or a TIFF stack")
    exp.add_argument("volume", metavar="VOLUME", help="a volume voxtwin reads: .zarr (OME or plain), .tif, .npy, ...")
    exp.add_argument("--format", choices=("vti", "ome-zarr", "tiff"), default="vti", help="default vti")
    exp.add_argument("--out", help="target (default: VOLUME with the format's suffix)")
    exp.add_argument("--level", type=int, default=0, help="pyramid level of an OME-Zarr store (0 = full resolution)")
    exp.add_argument("--overwrite", action="store_true", help="replace an existing target")
    exp.set_defaults(func=_cmd_export)

    vw = sub.add_parser("view", help="open a store in napari (the `view` extra)", epilog=EPILOG)
    vw.add_argument("store", metavar="STORE", help="an OME-Zarr store (what voxtwin writes) or any volume")
    vw.set_defaults(func=_cmd_view)
    from .metrics.command import register as register_metrics
    from .stochastic.command import register as register_stochastic

    register_metrics(sub)
    register_stochastic(sub)
    from .growth.command import add_parser as _add_grow
    _add_grow(sub)
    from .design.command import register as register_design
    register_design(sub)
    from .reconstruct.command import register as register_reconstruct
    register_reconstruct(sub)
    for sub_parser in sub.choices.values():  # so that main() can show a subcommand's own usage
        sub_parser.set_defaults(parser=sub_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # the subcommand's own usage, not the top-level one
        args.parser.error(f"unrecognized arguments: {' '.join(extra)}")
    from ._console import plain_warnings
    from .errors import BackendUnavailableError, ConvergenceError, InsufficientMemoryError, VoxtwinError

    codes = ((ConvergenceError, EXIT_NOT_CONVERGED), (BackendUnavailableError, EXIT_BACKEND),
             ((InsufficientMemoryError, MemoryError), EXIT_MEMORY), ((VoxtwinError, ValueError, TypeError, OSError), EXIT_FAILED))
    try:
        with plain_warnings() as args.shown_warnings:  # once each, plainly, on stderr
            return int(args.func(args))
    except KeyboardInterrupt:
        print(f"voxtwin {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        for kinds, code in codes:
            if isinstance(exc, kinds):
                print(f"voxtwin {args.command}: error: {exc}", file=sys.stderr)
                return code
        raise


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
