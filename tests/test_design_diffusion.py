"""voxtwin.design (seed 004): cubic cells, labelled datasets, errors, the retrieval control, the
stiffness diffusion model's mechanics (shapes, symmetry, determinism, persistence) and the CLI.
Whether the model learns is the acceptance test (test_design_acceptance.py)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import voxtwin as vt
from voxtwin import design
from voxtwin.cli import main

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.ai

# The labels come from the same batched solver run: a label and homogenize() on the cell agree to
# the solver tolerance (1e-5 relative residual -> about that on C; 10x room).
LABEL_AGREE = 1e-4


def _tiny() -> design.DiffusionConfig:
    return design.DiffusionConfig(channels=(4, 8), embedding=16, epochs=2, batch_size=8, lr=1e-3)


@pytest.fixture(scope="module")
def small() -> design.CellDataset:
    return design.dataset("excursion", 16, size=8, seed=3, device="cpu", progress=False)


def test_cubic_cell_from_octant_is_invariant_and_round_trips() -> None:
    octs = design.excursion_octants(4, size=12, seed=1)
    cells = design.cubic_cell(octs)
    assert cells.shape == (4, 12, 12, 12)
    assert np.array_equal(design.octant(cells), octs)
    assert all(vt._core.cubic_invariant(c) for c in cells)
    bad = octs.copy()
    bad[0, 0, 1, 2], bad[0, 2, 1, 0] = 1, 0
    with pytest.raises(ValueError, match="permutations"):
        design.cubic_cell(bad)


def test_excursion_volume_fractions_follow_the_range() -> None:
    octs = design.excursion_octants(40, size=16, seed=2, vf=(0.3, 0.4))
    vf = octs.mean(axis=(1, 2, 3))
    # the quantile threshold hits the drawn fraction up to ties on the permutation orbits (<= 6 voxels of 512)
    assert vf.min() >= 0.3 - 6 / 512 and vf.max() <= 0.4 + 6 / 512


def test_connectivity_filter() -> None:
    n = 8
    rods = np.zeros((n, n, n), np.uint8)
    rods[:, 3:5, 3:5] = rods[3:5, :, 3:5] = rods[3:5, 3:5, :] = 1   # three rods through the centre: a frame
    assert design.is_connected(rods)
    ball = np.zeros((n, n, n), np.uint8)
    ball[2:6, 2:6, 2:6] = 1   # isolated inclusion: touches no face
    assert not design.is_connected(ball)
    two = rods.copy()
    two[0, 0, 0] = 1          # a corner voxel: touches faces, but a second cluster (face connectivity)
    assert not design.is_connected(two)
    assert design.is_connected(np.stack([rods, ball])).tolist() == [True, False]


def test_errors_eq18_and_relative() -> None:
    ranges = np.array([[0.0, 2.0], [0.0, 1.0], [0.5, 1.5]])
    e = design.errors(np.array([1.1, 0.5, 1.0]), np.array([1.0, 0.4, 0.8]), ranges)
    assert np.allclose(e.eq18_per, [0.05, 0.1, 0.2])
    assert np.isclose(e.eq18[()], (0.05 + 0.1 + 0.2) / 3)
    assert np.allclose(e.relative_per, [0.1, 0.25, 0.25])
    with pytest.raises(ValueError, match="ranges"):
        design.errors(np.ones(3), np.ones(3), np.ones((3, 2)))


def test_dataset_labels_are_homogenize_and_storage_round_trips(small: design.CellDataset, tmp_path) -> None:
    assert len(small) == 16 and small.connected.all() and small.size == 8
    for i in (0, 7):
        ref = vt.homogenize(small.cells(i), design.default_materials(), device="cpu", progress=False).C
        assert np.allclose(small.C[i], [ref[0, 0], ref[0, 1], ref[3, 3]], rtol=LABEL_AGREE)
        assert np.isclose(small.vf[i], small.cells(i).mean())
    small.to_zarr(tmp_path / "d.zarr")
    back = design.CellDataset.from_zarr(tmp_path / "d.zarr")
    assert np.array_equal(back.octants, small.octants) and np.array_equal(back.C, small.C)
    small.to_npz(tmp_path / "d.npz")
    packed = design.CellDataset.from_npz(tmp_path / "d.npz")
    assert np.array_equal(packed.octants, small.octants)
    assert np.allclose(packed.C, small.C, rtol=1e-6)  # float32 storage of the labels
    import zarr

    zarr.open_group(str(tmp_path / "x.zarr"), mode="w")
    with pytest.raises(ValueError, match="design dataset"):
        design.CellDataset.from_zarr(tmp_path / "x.zarr")


def test_nearest_neighbour_control_finds_an_exact_label(small: design.CellDataset) -> None:
    idx, err = design.nearest_neighbour(small, small.C[[3, 5]])
    assert np.allclose(small.C[idx], small.C[[3, 5]]) and np.all(err.eq18 == 0)


def test_model_shapes_symmetry_determinism_and_persistence(small: design.CellDataset, tmp_path) -> None:
    torch.set_num_threads(1)
    model = design.StiffnessDiffusion(8, config=_tiny())
    hist = model.fit(small, seed=0, progress=False)
    assert len(hist.loss) == 2 and all(np.isfinite(hist.loss))
    targets = small.C[:2]
    a = model.sample(targets, vf=small.vf[:2], n=3, steps=4, seed=7)
    b = model.sample(targets, vf=small.vf[:2], n=3, steps=4, seed=7)
    assert a.shape == (2, 3, 8, 8, 8) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert all(vt._core.cubic_invariant(c) for c in a.reshape(-1, 8, 8, 8))
    one = model.sample(targets[0], n=2, steps=3, guidance=2.0, seed=1)
    assert one.shape == (2, 8, 8, 8)
    model.save(tmp_path / "m.pt")
    again = design.StiffnessDiffusion.load(tmp_path / "m.pt")
    assert np.array_equal(again.sample(targets, vf=small.vf[:2], n=3, steps=4, seed=7), a)
    sel = design.select(a, targets, ranges=small.ranges, device="cpu")
    assert sel.cells.shape == (2, 8, 8, 8) and sel.candidate_C.shape == (2, 3, 3)
    ok = sel.connected[np.arange(2), sel.index] | ~sel.found
    assert ok.all()
    assert np.allclose(sel.errors.eq18, sel.candidate_eq18[np.arange(2), sel.index])


def test_model_arguments_are_checked(small: design.CellDataset) -> None:
    with pytest.raises(ValueError, match="size"):
        design.StiffnessDiffusion(9)
    with pytest.raises(ValueError, match="conditions"):
        design.StiffnessDiffusion(8, conditions=("C11", "E"))
    with pytest.raises(TypeError, match="unknown"):
        design.StiffnessDiffusion(8, config=_tiny(), learning_rate=1.0)
    model = design.StiffnessDiffusion(8, config=_tiny())
    with pytest.raises(RuntimeError, match="not fitted"):
        model.sample(small.C[0])
    with pytest.raises(ValueError, match="size=16"):
        design.StiffnessDiffusion(16, config=_tiny()).fit(small, progress=False)
    assert design.DiffusionConfig.paper().channels == (32, 64, 128, 256, 256)
    assert design.DiffusionConfig.paper().lr == 2e-4 and design.DiffusionConfig.paper().ema == 0.999


def test_refine_adds_connected_samples_and_retrains(small: design.CellDataset) -> None:
    torch.set_num_threads(1)
    model = design.StiffnessDiffusion(8, config=_tiny())
    model.fit(small, seed=0, progress=False)
    grown, sel = design.refine(model, small, small.C[:3], vf=small.vf[:3], n=2, epochs=1, device="cpu")
    assert len(grown) == len(small) + int(sel.connected.sum())
    assert grown.connected.all()
    # The added cells' labels are the selection's C, solved once: the same as labelling them afresh.
    added = grown.subset(slice(len(small), None))
    again = design.label(added.octants, design.default_materials(), device="cpu", progress=False)
    np.testing.assert_allclose(added.C, again.C, rtol=1e-12)
    np.testing.assert_array_equal(added.vf, again.vf)
    assert len(model.history.loss) == 3


def test_cli_dataset_fit_sample(tmp_path, capsys) -> None:
    torch.set_num_threads(1)
    store = tmp_path / "cells.zarr"
    assert main(["design", "dataset", str(store), "--n", "8", "--size", "8", "--device", "cpu", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["cells"] == 8
    model = tmp_path / "m.pt"
    assert main(["design", "fit", str(store), str(model), "--epochs", "1", "--quiet"]) == 0
    capsys.readouterr()
    ds = design.CellDataset.from_zarr(store)
    assert main(["design", "sample", str(model), str(tmp_path / "s.npy"), "--target", *map(str, ds.C[0]),
                 "--n", "2", "--steps", "3", "--select"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["cells"] == [2, 8, 8, 8] and "eq18" in rep
    assert np.load(tmp_path / "s.npy").shape == (2, 8, 8, 8)


def test_import_voxtwin_needs_no_torch() -> None:
    code = "import sys, voxtwin, voxtwin.design; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"
