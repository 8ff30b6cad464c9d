"""Experiment: an aligned-cylinder law for coarse voxels that hold a fibre core (issue 8).

    python benchmarks/experiment_cylinder_rule.py [--voxel-size 4] [--size 125] [--seed 0] [--reach 1.0]

At seed 000's resolution (fibres 3.75 fine voxels across, factor 4) one coarse voxel holds most
of a fibre's cross-section, and a single-normal laminate is a poor picture of it. This
experiment replaces the laminate of every mixed fibre/matrix coarse voxel whose centre lies
within ``reach`` coarse voxels of the axis of the fibre holding most of its fibre voxels (and
between that fibre's ends) by the Mori–Tanaka law of aligned infinite cylinders at the voxel's
fibre fraction (Eshelby tensor of a circular cylinder; thermal expansion by Levin's two-phase
relation), rotated to the fibre axis. Everything else stays the laminate of ``composite_voxels``.
It prints and records the errors of both against the fine grid.

Not part of the library: it needs the generator's fibre table and instance labels, and it was
tried and not adopted (see RESULTS.md).
"""

from __future__ import annotations

import argparse

import numpy as np

import voxtwin as vt
from _harness import record
from voxtwin._material_table import MaterialTable
from voxtwin.composite_laws import mori_tanaka

LIB = vt.material_library()
MATRIX, FIBRE = LIB["pla"], LIB["basalt_fibre"]
MATERIALS = {0: MATRIX, 1: FIBRE}
FACTOR = 4

def dominant_instance(instances: np.ndarray) -> np.ndarray:
    """Per coarse voxel, the fibre instance holding most of its fine voxels (0 = none)."""
    c = np.array(instances.shape) // FACTOR
    blocks = instances.reshape(c[0], FACTOR, c[1], FACTOR, c[2], FACTOR).transpose(0, 2, 4, 1, 3, 5)
    blocks = blocks.reshape(-1, FACTOR**3).astype(np.int64)
    blocks = np.sort(blocks, axis=1)
    # Run lengths in each sorted row; the longest non-zero run is the dominant instance.
    start = np.ones_like(blocks, dtype=bool)
    start[:, 1:] = blocks[:, 1:] != blocks[:, :-1]
    run_id = np.cumsum(start, axis=1)
    counts = np.zeros_like(blocks)
    rows = np.repeat(np.arange(blocks.shape[0]), FACTOR**3)
    np.add.at(counts, (rows, run_id.ravel() - 1), 1)
    length = np.take_along_axis(counts, run_id - 1, axis=1) * (blocks > 0)
    best = np.argmax(length, axis=1)
    return blocks[np.arange(blocks.shape[0]), best].reshape(tuple(c))


def cylinder_table(twin: vt.UnitTwin, cv: vt.CompositeVoxels, instances: np.ndarray, voxel_size: float,
                   reach: float) -> tuple[MaterialTable, int]:
    base = cv.material_table(MATERIALS)
    n = instances.shape[0]
    c = n // FACTOR
    frac = cv.fractions(1).ravel()
    owner = dominant_instance(instances).ravel()
    fibres = twin.fibres
    centre = np.asarray(fibres.centre) / voxel_size
    direction = np.asarray(fibres.direction, dtype=np.float64)
    half_length = 0.5 * np.asarray(fibres.length) / voxel_size
    coarse_centres = (np.indices((c, c, c)).reshape(3, -1).T + 0.5) * FACTOR
    cand = np.nonzero((frac > 0) & (frac < 1) & (owner > 0))[0]
    i = owner[cand] - 1
    p = coarse_centres[cand] - centre[i]
    p -= n * np.round(p / n)  # periodic block
    along = np.einsum("ni,ni->n", p, direction[i])
    radial = np.linalg.norm(p - along[:, None] * direction[i], axis=1)
    core = (radial < reach * FACTOR) & (np.abs(along) < half_length[i])
    cand, i = cand[core], i[core]
    C_cyl, alpha_cyl = mori_tanaka(MATRIX, FIBRE, frac[cand], direction[i])  # the library's law (issue 21)
    index = base.index.astype(np.int64).ravel()
    index[cand] = base.C.shape[0] + np.arange(cand.size)
    if index.max() >= vt.composite.MAX_TABLE_ENTRIES:
        raise SystemExit("more table rows than a uint16 index can address: use a smaller block")
    table = MaterialTable(
        index.reshape(base.index.shape).astype(np.uint16),
        np.concatenate([base.C, C_cyl]),
        np.concatenate([base.alpha, alpha_cyl]),
        base.phases,
        np.concatenate([base.label_of_entry, np.full(cand.size, -1, dtype=np.int64)]),
    )
    return table, int(cand.size)


class _Table:
    """Anything with ``material_table`` is accepted by ``vt.homogenize``."""

    def __init__(self, table: MaterialTable) -> None:
        self.table = table

    def material_table(self, materials: object) -> MaterialTable:
        return self.table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voxel-size", type=float, default=4.0, help="µm (seed 000: 4)")
    parser.add_argument("--size", type=int, default=125, help="edge of the fibre block before cropping (voxels)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reach", type=float, default=1.0, help="coarse voxels from the fibre axis that get the cylinder law")
    args = parser.parse_args()

    # The Mori–Tanaka law must reduce to the phases at the ends.
    ends = mori_tanaka(MATRIX, FIBRE, np.array([0.0, 1.0]), np.array([[0.0, 0.0, 1.0]] * 2))[0]
    assert np.allclose(ends[0], MATRIX.C) and np.allclose(ends[1], FIBRE.C)

    twin = vt.generate_fibres(vt.seed000_spec(), (args.size,) * 3, args.voxel_size, args.seed, instances=True)
    labels = vt.composite.crop_to_factor(twin.labels, FACTOR)
    instances = vt.composite.crop_to_factor(twin.instances, FACTOR)
    kw = dict(tol=1e-6, progress=False, device="cpu")
    coarse_h = FACTOR * args.voxel_size
    fine = vt.homogenize(labels, MATERIALS, args.voxel_size, **kw)
    cv = vt.composite_voxels(labels, FACTOR, materials=MATERIALS)
    laminate = vt.homogenize(cv, MATERIALS, coarse_h, **kw)
    table, n_cyl = cylinder_table(twin, cv, instances, args.voxel_size, args.reach)
    cylinder = vt.homogenize(_Table(table), MATERIALS, coarse_h, **kw)

    figures: dict[str, float] = {"voxel_size_um": args.voxel_size, "seed": args.seed, "reach": args.reach,
                                 "cylinder_voxels": n_cyl}
    for name, res in (("fine", fine), ("laminate", laminate), ("cylinder", cylinder)):
        for k, v in zip(("C11", "C22", "C33", "C44", "C55", "C66"), np.diag(res.C)):
            figures[f"{name}_{k}"] = float(v)
        if name != "fine":
            figures[f"{name}_C_rel_err"] = float(np.linalg.norm(res.C - fine.C) / np.linalg.norm(fine.C))
            figures[f"{name}_alpha_rel_err"] = float(np.linalg.norm(res.alpha - fine.alpha) / np.linalg.norm(fine.alpha))
    record(f"composite_cylinder_rule_{args.size}^3_{args.voxel_size:g}um", figures, precision="float64")


if __name__ == "__main__":
    main()
