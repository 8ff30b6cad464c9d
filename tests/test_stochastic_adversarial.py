"""Adversarial calibration (torch discriminator on 2D slices on top of the S2 loss)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from voxtwin import stochastic

pytest.importorskip("torch")

VOXEL = 1.0
TRUTH = (6.0, 3.0, 1.5)


@pytest.mark.ai
@pytest.mark.slow
def test_adversarial_refinement_moves_a_wrong_start_towards_the_truth() -> None:
    truth = stochastic.ExcursionModel("gaussian", 0.3, TRUTH).sample((96, 96, 96), VOXEL, seed=8)
    idx = range(6, 96, 12)
    images = {"xy": [truth[:, :, i] for i in idx], "xz": [truth[:, i, :] for i in idx],
              "yz": [truth[i, :, :] for i in idx]}
    start = stochastic.ExcursionModel("gaussian", float(truth.mean()), (9.0, 2.0, 3.0), phase=1)
    from voxtwin.stochastic.adversarial import refine

    refined = refine(start, images, VOXEL, seed=0, rounds=4, epochs=5, patch=24, sample_side=40)
    err0 = np.abs(np.log(np.array(start.correlation_lengths) / TRUTH))
    err1 = np.abs(np.log(np.array(refined.correlation_lengths) / TRUTH))
    assert err1.sum() < 0.5 * err0.sum()
    hist = refined.info["adversarial"]
    assert len(hist) == 4 and hist[-1]["loss"] <= hist[0]["loss"]
    # through calibrate: the moments fit, then refinement, stays on the truth
    model = stochastic.calibrate(images, VOXEL, method="adversarial", seed=0, rounds=1, epochs=5, patch=24,
                                 sample_side=40)
    assert model.info["method"] == "adversarial"
    for got, want in zip(model.correlation_lengths, TRUTH):
        assert got == pytest.approx(want, rel=0.15)
    with pytest.raises(ValueError, match="patch"):
        refine(replace(start), images, VOXEL, patch=200)
