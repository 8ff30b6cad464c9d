"""The S2 term of the closed loop: twins are also judged on their spatial arrangement."""

from __future__ import annotations

import numpy as np

import voxtwin as vt

SHAPE = (64, 64, 64)
VOXEL = 2.0
THRESHOLD = 0.85


def _spec() -> vt.FibreSpec:
    return vt.FibreSpec(0.10, vt.Normal(10.0, 1.0, low=8.0), vt.Normal(60.0, 8.0, low=40.0),
                        vt.orientation.Aligned((1, 0, 0), 10.0))


def test_closed_loop_judges_the_spatial_arrangement() -> None:
    scan = vt.generate_fibres(_spec(), SHAPE, VOXEL, seed=5).labels
    target = vt.characterize(scan, VOXEL)
    same = vt.closed_loop(target, _spec(), SHAPE, VOXEL, max_iter=1, seed=1, target_labels=scan)
    assert same.history[0].s2 is not None and same.history[0].s2 > THRESHOLD
    # the same fibre fraction as flat layers: fibre statistics of the twins are unchanged, S2 is not
    layers = np.zeros(SHAPE, np.uint8)
    layers[:, :, : int(round(0.1 * SHAPE[2]))] = 1
    flat = vt.closed_loop(target, _spec(), SHAPE, VOXEL, max_iter=2, seed=1, target_labels=layers)
    assert flat.history[0].s2 < THRESHOLD
    assert not flat.converged
    assert same.history[0].S == flat.history[0].S  # the fibre parameters alone could not tell
    if flat.history[0].passed(0.0) and all(v >= THRESHOLD for v in flat.history[0].S.values()):
        assert flat.history[1].action == "reseed"
