"""Regenerates tests/data/design_cubic16.npz, the labelled training set of the design acceptance
test (tests/test_design_acceptance.py): cubic 16³ cells from excursion sets of Gaussian random
fields (voxtwin.design.dataset, generator "excursion", seed 0), connected ones only, labelled by
the batched solver (voxtwin.homogenize_cells, symmetry "cubic", tol 1e-5), stored bit-packed.

    python scripts/design_fixture.py [--n 2020] [--out tests/data/design_cubic16.npz]

Cost: about a minute on two CPU cores.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from voxtwin import design


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=2020, help="connected cells (2000 for training + 20 held out)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "tests" / "data" / "design_cubic16.npz"))
    args = ap.parse_args()
    start = time.perf_counter()
    ds = design.dataset("excursion", args.n, size=16, seed=args.seed, device="cpu")
    ds.to_npz(args.out)
    print(f"{len(ds)} cells in {time.perf_counter() - start:.1f} s -> {args.out} ({Path(args.out).stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
