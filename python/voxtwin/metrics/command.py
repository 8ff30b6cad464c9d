"""``voxtwin metrics VOLUME``: descriptors of a labelled volume to CSV/JSON, with a plot."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

__all__ = ["register", "run"]


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Adds the ``metrics`` subcommand to the CLI's subparsers."""
    p = sub.add_parser("metrics", help="S2, lineal path, chords, Euler/cluster densities of a labelled volume "
                                       "(CSV/JSON + plot)")
    p.add_argument("volume", help="labelled volume (.npy, .tif stack, zarr, ...), uint8 phases")
    p.add_argument("--phase", type=int, default=1, help="phase label (default 1)")
    p.add_argument("--voxel-size", type=float, default=None, help="µm per voxel (default: from the file, else 1)")
    p.add_argument("--periodic", action="store_true", help="wrap around (generated twins); default: zero-padded")
    p.add_argument("--metrics", default="two_point,lineal_path,chords,topology",
                   help="comma-separated subset of two_point, lineal_path, chords, cluster_function, topology")
    p.add_argument("--out", default=None, help="folder for <metric>.csv, metrics.json and metrics.png "
                                                "(default: print JSON only)")
    p.add_argument("--json", action="store_true", help="print the JSON summary")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Computes the chosen descriptors and writes them."""
    import voxtwin
    from voxtwin import metrics

    chosen = [m.strip() for m in args.metrics.split(",") if m.strip()]
    for m in chosen:
        if m not in metrics.METRICS:
            raise ValueError(f"`--metrics` entries must be among {', '.join(metrics.METRICS)}, got {m!r}")
    try:
        vol = voxtwin.io.read(args.volume, progress=False)
    except (OSError, ValueError) as exc:
        raise ValueError(f"`VOLUME` could not be read: {exc}") from exc
    size = args.voxel_size or vol.voxel_size or 1.0
    labels = np.asarray(vol.data)
    funcs = {"two_point": metrics.two_point, "lineal_path": metrics.lineal_path, "chords": metrics.chords,
             "cluster_function": metrics.cluster_function}
    results: dict[str, object] = {}
    summary: dict[str, object] = {"volume": str(args.volume), "shape": list(labels.shape), "voxel_size_um": size,
                                  "phase": args.phase, "periodic": args.periodic}
    for m in chosen:
        if m == "topology":
            t = metrics.topology(labels, args.phase, size, args.periodic)
            results[m] = t
            summary[m] = {"euler": t.euler, "clusters": t.clusters, "euler_density": t.euler_density,
                          "cluster_density": t.cluster_density, "unit": t.density_unit}
        else:
            prof = funcs[m](labels, args.phase, size, args.periodic)
            results[m] = prof
            summary[m] = prof.to_dict()
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        for m, r in results.items():
            if isinstance(r, metrics.AxisProfiles):
                (out / f"{m}.csv").write_text(r.to_csv())
        (out / "metrics.json").write_text(json.dumps(summary, indent=1))
        profiles = [r for r in results.values() if isinstance(r, metrics.AxisProfiles)]
        if profiles:
            import matplotlib

            matplotlib.use("Agg")
            from voxtwin._plot import pyplot

            fig, axes = pyplot().subplots(1, len(profiles), figsize=(4.5 * len(profiles), 3.5), squeeze=False)
            for ax, prof in zip(axes[0], profiles):
                prof.plot(ax=ax)
            fig.tight_layout()
            fig.savefig(out / "metrics.png", dpi=120)
            pyplot().close(fig)
    if args.json or not args.out:
        print(json.dumps(summary))
    return 0
