"""voxtwin.design (issue 18): island and hinge repair (remove_islands, bridge_hinges, select(islands=...,
hinges=...)), SDEdit
(StiffnessDiffusion.edit) and the solver-driven local search with its random-flip control.
Whether editing beats retrieval is measured in benchmarks/bench_design.py --study and asserted
in the acceptance test."""

from __future__ import annotations

import json

import numpy as np
import pytest

import voxtwin as vt
from voxtwin import design
from voxtwin.cli import main

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.ai

# Removing solid that touches the body nowhere cannot change C beyond the solver's tolerance
# (tol 1e-5 relative residual); 10x room.
REPAIR_AGREE = 1e-4


def _frame(n: int = 8) -> np.ndarray:
    rods = np.zeros((n, n, n), np.uint8)
    h = n // 2
    rods[:, h - 1:h + 1, h - 1:h + 1] = rods[h - 1:h + 1, :, h - 1:h + 1] = rods[h - 1:h + 1, h - 1:h + 1, :] = 1
    return rods


def _islands(n: int = 8) -> np.ndarray:
    """The frame plus eight single voxels near the corners (cubic, touching the frame nowhere)."""
    c = _frame(n)
    for x in (1, n - 2):
        for y in (1, n - 2):
            for z in (1, n - 2):
                c[x, y, z] = 1
    return c


@pytest.fixture(scope="module")
def small() -> design.CellDataset:
    return design.dataset("excursion", 16, size=8, seed=3, device="cpu", progress=False)


def test_remove_islands_drops_what_does_not_wrap() -> None:
    rods, cell = _frame(), _islands()
    assert not design.is_connected(cell)
    fixed, removed = design.remove_islands(cell)
    assert removed == 8 and np.array_equal(fixed, rods) and design.is_connected(fixed)
    assert vt._core.cubic_invariant(fixed)
    assert np.array_equal(design.remove_islands(cell, keep="largest")[0], rods)
    # the eight corner voxels of a cell are one cluster across the periodic faces, a finite island
    corners = rods.copy()
    corners[np.ix_((0, 7), (0, 7), (0, 7))] = 1
    assert design.remove_islands(corners)[1] == 8
    # a voxel touching the frame only along an edge: part of the body for "wrapping" (26 neighbours),
    # a second face-connected cluster for "largest"
    edge = rods.copy()
    edge[2, 2, 0] = 1
    assert design.remove_islands(edge)[1] == 0
    assert design.remove_islands(edge, keep="largest")[1] == 1
    # a second load-bearing network (one-voxel rods through the cell's corners, apart from the frame):
    # it wraps, so "wrapping" keeps it; "largest" drops it
    net = rods.copy()
    net[:, 0, 0] = net[0, :, 0] = net[0, 0, :] = 1
    assert design.remove_islands(net)[1] == 0
    assert design.remove_islands(net, keep="largest")[1] == 22
    # nothing wraps: everything goes; a tie for the largest is left alone (its symmetry)
    two = np.zeros((8, 8, 8), np.uint8)
    two[0:2, 0:2, 0:2] = two[4:6, 4:6, 4:6] = 1
    assert design.remove_islands(two)[1] == 16 and design.remove_islands(two, keep="largest")[1] == 0
    batch, counts = design.remove_islands(np.stack([cell, rods]))
    assert counts.tolist() == [8, 0] and np.array_equal(batch[1], rods)
    with pytest.raises(ValueError, match="connectivity"):
        design.remove_islands(cell, connectivity=4)
    with pytest.raises(ValueError, match="keep"):
        design.remove_islands(cell, keep="biggest")


def test_select_repairs_islands_and_c_is_unchanged() -> None:
    cell = _islands()
    target = np.array([[0.1, 0.03, 0.01]])
    ranges = np.array([[0.0, 1.0], [0.0, 0.5], [0.0, 0.3]])
    samples = np.stack([cell, _frame()])[None]
    keep = design.select(samples, target, ranges=ranges, device="cpu")
    assert keep.connected.tolist() == [[False, True]] and keep.removed.sum() == 0
    fixed = design.select(samples, target, ranges=ranges, device="cpu", islands="floating")
    assert fixed.connected.tolist() == [[True, True]] and fixed.connected_before.tolist() == [[False, True]]
    assert fixed.removed.tolist() == [[8, 0]]
    assert np.array_equal(fixed.cells[0], _frame()) or fixed.index[0] == 1
    assert fixed.connected_fraction == 1.0 and fixed.connected_fraction_before == 0.5
    # the islands carried no load: C of the repaired cell is C of the cell as generated
    rel = np.abs(fixed.candidate_C[0, 0] - keep.candidate_C[0, 0]) / np.abs(keep.candidate_C[0, 0])
    assert rel.max() <= REPAIR_AGREE
    with pytest.raises(ValueError, match="islands"):
        design.select(samples, target, ranges=ranges, islands="some")


def _hinged(n: int = 8) -> np.ndarray:
    """A cubic cell of two pieces that touch only at corners: a block [1, n-1)³ and the 2×2×2 cube
    across the periodic corner ({n-1, 0}³), which meets the block's eight corners diagonally."""
    c = np.zeros((n, n, n), np.uint8)
    c[1:n - 1, 1:n - 1, 1:n - 1] = 1
    c[np.ix_((0, n - 1), (0, n - 1), (0, n - 1))] = 1
    return c


def test_bridge_hinges_joins_edge_and_corner_contacts_only() -> None:
    # edge contact: one voxel beside the frame's z-rod, diagonally: the two voxels that share a face
    # with both are filled, nothing else
    rods = _frame()
    edge = rods.copy()
    edge[2, 2, 0] = 1
    assert not design.is_connected(edge)
    fixed, added = design.bridge_hinges(edge)
    assert added == 2 and fixed[3, 2, 0] == 1 and fixed[2, 3, 0] == 1 and design.is_connected(fixed)
    assert np.array_equal(fixed - edge > 0, (fixed != edge))  # only additions
    # corner contacts only: the first round fills, per corner, the six voxels that share a face with
    # one piece and an edge with the other; the cell stays cubic
    hinged = _hinged()
    assert vt._core.cubic_invariant(hinged) and not design.is_connected(hinged)
    assert vt.metrics.cluster_count(hinged, phase=1, periodic=True, connectivity=3) == 1
    fixed, added = design.bridge_hinges(hinged)
    assert added == 8 * 6 and design.is_connected(fixed) and vt._core.cubic_invariant(fixed)
    # pieces apart (a one-voxel gap between faces) are not hinges: nothing is filled
    gap = np.zeros((8, 8, 8), np.uint8)
    gap[1:3, 1:3, 1:3] = gap[4:6, 1:3, 1:3] = 1
    same, added = design.bridge_hinges(gap)
    assert added == 0 and np.array_equal(same, gap)
    batch, counts = design.bridge_hinges(np.stack([edge, rods]))
    assert counts.tolist() == [2, 0] and np.array_equal(batch[1], rods)
    with pytest.raises(ValueError, match="rounds"):
        design.bridge_hinges(edge, rounds=0)
    with pytest.raises(ValueError, match="cells"):
        design.bridge_hinges(edge[0])


def test_select_bridges_hinges_and_solves_the_bridged_cell() -> None:
    hinged = _hinged()
    target = np.array([[0.1, 0.03, 0.01]])
    ranges = np.array([[0.0, 1.0], [0.0, 0.5], [0.0, 0.3]])
    samples = hinged[None, None]
    keep = design.select(samples, target, ranges=ranges, device="cpu")
    assert keep.connected.tolist() == [[False]] and keep.added.tolist() == [[0]]
    fixed = design.select(samples, target, ranges=ranges, device="cpu", islands="floating", hinges="bridge")
    assert fixed.connected.tolist() == [[True]] and fixed.connected_before.tolist() == [[False]]
    assert fixed.removed.tolist() == [[0]] and fixed.added.tolist() == [[48]]
    assert np.array_equal(fixed.candidates[0, 0], design.bridge_hinges(hinged)[0])
    # the bridged cell is the one solved: the filled faces carry load the corner hinges did not
    assert fixed.candidate_C[0, 0, 0] > 1.05 * keep.candidate_C[0, 0, 0]
    with pytest.raises(ValueError, match="hinges"):
        design.select(samples, target, ranges=ranges, hinges="join")


def test_flip_proposals_are_cubic_seeded_and_flip_the_rate() -> None:
    cells = design.cubic_cell(design.excursion_octants(3, size=16, seed=4))
    prop = design.flip_proposals(0.05)
    a = prop(cells, np.zeros((3, 3)), np.full(3, 0.4), 4, 9)
    assert a.shape == (3, 4, 16, 16, 16) and a.dtype == np.uint8
    assert np.array_equal(a, prop(cells, np.zeros((3, 3)), np.full(3, 0.4), 4, 9))
    assert all(vt._core.cubic_invariant(c) for c in a.reshape(-1, 16, 16, 16))
    changed = (a != cells[:, None]).mean()
    assert 0.03 < changed < 0.07
    with pytest.raises(ValueError, match="rate"):
        design.flip_proposals(1.5)


def test_edit_and_local_search(small: design.CellDataset) -> None:
    torch.set_num_threads(1)
    model = design.StiffnessDiffusion(8, config=design.DiffusionConfig(channels=(4, 8), embedding=16, epochs=2,
                                                                       batch_size=8, lr=1e-3))
    model.fit(small, seed=0, progress=False)
    cells = small.cells([0, 1])
    e = model.edit(cells, small.C[[2, 3]], vf=small.vf[[2, 3]], t_start=0.3, n=3, steps=10, seed=5)
    assert e.shape == (2, 3, 8, 8, 8) and e.dtype == np.uint8
    again = model.edit(cells, small.C[[2, 3]], vf=small.vf[[2, 3]], t_start=0.3, n=3, steps=10, seed=5)
    assert np.array_equal(e, again)
    assert all(vt._core.cubic_invariant(c) for c in e.reshape(-1, 8, 8, 8))
    assert model.edit(cells[0], small.C[2], n=2, steps=4).shape == (2, 8, 8, 8)
    with pytest.raises(ValueError, match="t_start"):
        model.edit(cells, small.C[[2, 3]], t_start=1.5)
    with pytest.raises(ValueError, match="cells"):
        model.edit(cells, small.C[[2]])
    # local search never ends worse than its start, the nearest training cell
    train = small.subset(np.arange(4, 16))
    targets = small.C[:3]
    _, nn = design.nearest_neighbour(train, targets)
    for propose in (design.edit_proposals(model, 0.4, steps=6), design.flip_proposals(0.05)):
        res = design.local_search(propose, train, targets, small.vf[:3], starts=2, rounds=2, candidates=4, seed=1,
                                  device="cpu")
        assert res.history.shape == (3, 3) and np.allclose(res.history[0], nn.eq18)
        assert np.all(np.diff(res.history, axis=0) <= 0) and np.allclose(res.errors.eq18, res.history[-1])
        assert res.evaluations == 8 and res.cells.shape == (3, 8, 8, 8)
        assert design.is_connected(res.cells).all()
    with pytest.raises(ValueError, match="multiple"):
        design.local_search(design.flip_proposals(0.05), train, targets, starts=3, candidates=4)


def test_cli_sample_islands_flag(small: design.CellDataset, tmp_path, capsys) -> None:
    torch.set_num_threads(1)
    model = design.StiffnessDiffusion(8, config=design.DiffusionConfig(channels=(4, 8), embedding=16, epochs=1,
                                                                       batch_size=8, lr=1e-3))
    model.fit(small, seed=0, progress=False)
    model.save(tmp_path / "m.pt")
    assert main(["design", "sample", str(tmp_path / "m.pt"), str(tmp_path / "s.npy"), "--target", *map(str, small.C[0]),
                 "--n", "3", "--steps", "3", "--select", "--islands", "largest"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert len(rep["connected_before_repair"]) == 3 and len(rep["voxels_removed"]) == 3
    saved = np.load(tmp_path / "s.npy")
    assert np.array_equal(design.remove_islands(saved, keep="largest")[0], saved)
    assert main(["design", "sample", str(tmp_path / "m.pt"), str(tmp_path / "b.npy"), "--target", *map(str, small.C[0]),
                 "--n", "3", "--steps", "3", "--select", "--islands", "floating", "--hinges", "bridge"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert len(rep["voxels_added"]) == 3 and len(rep["connected"]) == 3
    raw = model.sample(small.C[0], n=3, steps=3, seed=0)
    expect = design.bridge_hinges(design.remove_islands(raw)[0])[0]
    assert np.array_equal(np.load(tmp_path / "b.npy"), expect)


def test_cli_search_equals_the_api_and_never_ends_worse_than_retrieval(small: design.CellDataset, tmp_path,
                                                                       capsys) -> None:
    torch.set_num_threads(1)
    model = design.StiffnessDiffusion(8, config=design.DiffusionConfig(channels=(4, 8), embedding=16, epochs=1,
                                                                       batch_size=8, lr=1e-3))
    model.fit(small, seed=0, progress=False)
    model.save(tmp_path / "m.pt")
    small.to_zarr(tmp_path / "ds.zarr")
    target = small.C[0] * 1.05
    assert main(["design", "search", str(tmp_path / "m.pt"), str(tmp_path / "ds.zarr"), str(tmp_path / "best.npy"),
                 "--target", *map(str, target), "--rounds", "2", "--proposals", "4", "--starts", "2",
                 "--t-start", "0.4", "--seed", "3", "--quiet"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["homogenizations"] == 8 and len(rep["history_eq18"]) == 3
    stored = design.CellDataset.from_zarr(tmp_path / "ds.zarr")
    _, nn = design.nearest_neighbour(stored, target[None])
    assert rep["history_eq18"][0] == pytest.approx(rep["retrieval_eq18"]) == pytest.approx(float(nn.eq18[0]))
    assert rep["eq18"] <= rep["retrieval_eq18"] and np.all(np.diff(rep["history_eq18"]) <= 0)
    best = np.load(tmp_path / "best.npy")
    api = design.local_search(design.edit_proposals(design.StiffnessDiffusion.load(tmp_path / "m.pt"), 0.4),
                              stored, target[None], starts=2, rounds=2, candidates=4, seed=3)
    assert best.shape == (8, 8, 8) and np.array_equal(best, api.cells[0]) and design.is_connected(best)
    assert rep["eq18"] == pytest.approx(float(api.errors.eq18[0]))
