"""U-Net segmentation: masked loss, determinism, sliding windows, persistence, 2D slices, and the acceptance test.

Acceptance (issue 5): on a synthetic CT of a generated 96³ block, a U-Net trained from simulated brush
strokes covering under 1 % of the voxels reaches IoU >= 0.85 for fibres and beats multi-Otsu.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import voxtwin as vt
from _blocks import fibre_block
from voxtwin.segment import FIBRE, MATRIX, UNLABELLED, VOID

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.ai

# One thread: on the shared 2-core CI machine, two torch threads ran 3-9x slower than one (measured).
THREADS = 1
# Tiny networks for the mechanics tests: seconds, not minutes.
TINY = {"depth": 2, "features": 4, "window": 16, "epochs": 1, "steps_per_epoch": 4, "batch_size": 2,
        "num_threads": THREADS, "device": "cpu"}


@pytest.fixture(scope="module")
def small() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A 24³ phantom, its synthetic CT and a few strokes."""
    labels = fibre_block((24, 24, 24), diameter=6.0, length=20.0, n_pores=2, seed=5)
    image = vt.segment.synthetic_ct(labels, noise=10, seed=1)
    ann = vt.segment.brush_annotations(labels, objects={FIBRE: 4, MATRIX: 4, VOID: 2}, seed=1)
    return labels, image, ann


def test_loss_counts_annotated_voxels_only() -> None:
    from voxtwin.segment.unet import _masked_loss

    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 3, 5, 6, 7, generator=gen, requires_grad=True)
    target = torch.randint(-1, 3, (2, 5, 6, 7), generator=gen)
    weights = torch.tensor([0.5, 1.0, 2.0])
    loss = _masked_loss(logits, target, weights)
    # independent reference: torch's weighted cross entropy ignoring -1
    reference = torch.nn.functional.cross_entropy(logits, target, weight=weights, ignore_index=-1)
    assert loss.item() == pytest.approx(reference.item(), rel=1e-6)
    loss.backward()
    unlabelled = (target == UNLABELLED).unsqueeze(1).expand_as(logits)
    assert torch.all(logits.grad[unlabelled] == 0)  # no gradient from unannotated voxels
    assert torch.any(logits.grad[~unlabelled] != 0)


def test_training_is_reproducible_and_seeded(small: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    _, image, ann = small
    a = vt.segment.UNet3D(**TINY, seed=3).fit(image, ann, progress=False)
    b = vt.segment.UNet3D(**TINY, seed=3).fit(image, ann, progress=False)
    c = vt.segment.UNet3D(**TINY, seed=4).fit(image, ann, progress=False)
    for (name, pa), pb in zip(a.net_.state_dict().items(), b.net_.state_dict().values()):
        assert torch.equal(pa, pb), name
    assert not all(torch.equal(pa, pc) for pa, pc in zip(a.net_.state_dict().values(), c.net_.state_dict().values()))
    np.testing.assert_array_equal(a.predict_proba(image, progress=False), b.predict_proba(image, progress=False))


def test_torch_settings_are_restored(small: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    _, image, ann = small
    before = (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled())
    model = vt.segment.UNet3D(**{**TINY, "num_threads": 2, "steps_per_epoch": 1}).fit(image, ann, progress=False)
    model.predict(image, progress=False)
    assert (torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()) == before


def test_prediction_is_labels_that_feed_the_next_step(small: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    _, image, ann = small
    model = vt.segment.UNet3D(**TINY).fit(image, ann, progress=False)
    pred = model.predict(image, progress=False)
    assert pred.dtype == np.uint8 and pred.shape == image.shape and pred.flags.c_contiguous
    assert set(np.unique(pred)) <= {MATRIX, FIBRE, VOID}
    fractions = vt.phase_fractions(pred, device="cpu")  # the C++ volume checks accept it as it is
    assert sum(fractions.values()) == pytest.approx(1.0)
    prob = model.predict_proba(image, progress=False)
    assert prob.shape == (3, *image.shape) and prob.dtype == np.float32
    np.testing.assert_allclose(prob.sum(axis=0), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(pred, np.argmax(prob, axis=0))


def test_one_window_prediction_is_the_network_output(small: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    _, image, ann = small
    model = vt.segment.UNet3D(**{**TINY, "window": 24}).fit(image, ann, progress=False)
    prob = model.predict_proba(image, progress=False)
    offset, scale = model.normalization_
    x = torch.from_numpy(((image.astype(np.float32) - offset) / scale)[None, None].astype(np.float32))
    with torch.no_grad():
        direct = torch.softmax(model.net_(x), dim=1)[0].numpy()
    np.testing.assert_allclose(prob, direct, atol=1e-6)  # one tile: the blend weights cancel


def test_overlapping_windows_agree_with_the_whole_volume(small: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    _, image, ann = small
    model = vt.segment.UNet3D(**{**TINY, "steps_per_epoch": 20, "overlap": 0.5}).fit(image, ann, progress=False)
    tiled = model.predict(image, progress=False)
    offset, scale = model.normalization_
    x = torch.from_numpy(((image.astype(np.float32) - offset) / scale)[None, None].astype(np.float32))
    with torch.no_grad():
        direct = torch.argmax(model.net_(x), dim=1)[0].numpy().astype(np.uint8)
    # windows see less context near their faces; blending keeps the labels of the whole-volume pass
    assert np.mean(tiled == direct) >= 0.97


def test_small_images_are_padded(small: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    _, image, ann = small
    model = vt.segment.UNet3D(**{**TINY, "window": 32}).fit(image[:10, :20, :13], ann[:10, :20, :13], progress=False)
    assert model.predict(image[:10, :20, :13], progress=False).shape == (10, 20, 13)


def test_save_and_load(tmp_path: Path, small: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    _, image, ann = small
    model = vt.segment.UNet3D(**TINY, seed=11).fit(image, ann, progress=False)
    path = model.save(tmp_path / "model.pt")
    again = vt.segment.UNet3D.load(path)
    assert again.normalization_ == model.normalization_
    assert repr(again) == repr(model)
    np.testing.assert_array_equal(again.predict_proba(image, progress=False),
                                  model.predict_proba(image, progress=False))
    # training continues from the loaded weights
    again.fit(image, ann, warm_start=True, progress=False)
    assert len(again.history_) == 2
    with pytest.raises(vt.FileFormatError, match=r"holds a UNet3D.*UNet3D\.load"):
        vt.segment.UNet2D.load(path)
    (tmp_path / "junk.pt").write_bytes(b"not a model")
    with pytest.raises(vt.FileFormatError, match=r"junk\.pt"):
        vt.segment.UNet3D.load(tmp_path / "junk.pt")
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(vt.FileFormatError, match=r"other\.pt.*not a voxtwin U-Net"):
        vt.segment.UNet3D.load(tmp_path / "other.pt")


def test_unet2d_works_slice_by_slice(small: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    _, image, ann = small
    model = vt.segment.UNet2D(**TINY, slice_axis="x").fit(image, ann, progress=False)
    volume = model.predict_proba(image, progress=False)
    # independent of the stacking: each x slice predicted as a 2D image gives the same probabilities
    for x in (0, 11, 23):
        np.testing.assert_allclose(model.predict_proba(image[x], progress=False), volume[:, x], atol=1e-6)
    assert model.predict(image, progress=False).shape == image.shape


def test_label_values_are_kept(small: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    labels, image, _ = small
    ann = vt.segment.brush_annotations(np.where(labels == MATRIX, VOID, labels).astype(np.uint8),
                                       objects={FIBRE: 4, VOID: 4}, seed=2)
    model = vt.segment.UNet3D(**TINY, classes=(FIBRE, VOID)).fit(image, ann, progress=False)
    assert set(np.unique(model.predict(image, progress=False))) <= {FIBRE, VOID}


def test_bad_arguments(small: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    _, image, ann = small
    with pytest.raises(ValueError, match=r"`window` must be a multiple of 2\*\*depth = 4, got window=50"):
        vt.segment.UNet3D(window=50)
    with pytest.raises(ValueError, match="`device` must be one of"):
        vt.segment.UNet3D(device="gpu")
    with pytest.raises(ValueError, match="`classes`"):
        vt.segment.UNet3D(classes=(1, 1))
    model = vt.segment.UNet3D(**TINY)
    with pytest.raises(RuntimeError, match="not trained"):
        model.predict(image)
    with pytest.raises(ValueError, match="shape of `image`"):
        model.fit(image, ann[:-1])
    with pytest.raises(ValueError, match=r"labels \[5\] that are not in classes"):
        model.fit(image, np.where(ann == 1, 5, ann).astype(np.int8))
    with pytest.raises(ValueError, match="at least one voxel"):
        model.fit(image, np.full(image.shape, -1, np.int8))
    with pytest.raises(ValueError, match="3D grey-value"):
        model.fit(image[0], ann[0])
    with pytest.raises(TypeError, match="integer numpy array"):
        model.fit(image, ann.astype(float))


def test_cuda_request_without_gpu() -> None:
    if torch.cuda.is_available():
        pytest.skip("a GPU is visible to torch")
    with pytest.raises(vt.BackendUnavailableError, match="device='cuda' requested but torch"):
        vt.segment.UNet3D(**{**TINY, "device": "cuda"}).fit(np.zeros((8, 8, 8)), np.zeros((8, 8, 8), np.int8))


def test_segment_imports_without_torch() -> None:
    code = textwrap.dedent("""
        import importlib.abc
        import sys

        class NoTorch(importlib.abc.MetaPathFinder):  # as if torch were not installed
            def find_spec(self, name, path, target=None):
                if name == "torch" or name.startswith("torch."):
                    raise ModuleNotFoundError(f"No module named {name!r}", name=name)

        sys.meta_path.insert(0, NoTorch())
        import numpy as np
        import voxtwin as vt
        grey = np.repeat(np.array([20, 120, 220], dtype=np.uint8), 9).reshape(3, 3, 3)
        assert set(np.unique(vt.segment.otsu(grey))) == {0, 1, 2}
        try:
            vt.segment.UNet3D
        except ImportError as exc:
            print(exc)
        else:
            raise SystemExit("UNet3D imported without torch")
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install torch==2.13.0" in out.stdout


@pytest.mark.slow
def test_unet_beats_otsu_on_a_synthetic_ct_from_few_strokes() -> None:
    """Issue 5 acceptance: IoU >= 0.85 for fibres from < 1 % annotated voxels, better than multi-Otsu.

    A generated 96³ unit twin (fibres 8 voxels across, in XY planes) with pores, imaged by the CT
    forward model; three annotate → train → segment rounds as in seed 000 (which needed five): the
    first with seed 000's 20 fibre, 10 matrix and 20 void strokes, then lighter corrections where
    the model is wrong. One round alone leaves fibres a voxel too thick (IoU ~0.8): fibre strokes
    cover thin fibres up to their surface while matrix strokes rarely touch one, so the corrections
    are what place the surface.
    """
    labels = fibre_block((96, 96, 96), seed=1)
    image = vt.segment.synthetic_ct(labels, noise=15, blur=1.0, seed=0)
    otsu_iou = vt.segment.iou(vt.segment.otsu(image), labels)
    # a small network and short training (CI has 2 slow cores)
    model = vt.segment.UNet3D(depth=2, features=8, window=24, epochs=2, steps_per_epoch=50, batch_size=4,
                              learning_rate=2e-3, num_threads=THREADS, device="cpu", seed=0)
    result = vt.segment.rounds(model, image, labels, n_rounds=3, seed=0, stroke_length=(8, 20),
                               correction_objects={FIBRE: 10, MATRIX: 10, VOID: 10}, progress=False)
    final = result.history[-1]
    assert len(result.history) == 3
    assert final["annotated_fraction"] < 0.01
    assert final["iou"][FIBRE] >= 0.85
    assert final["iou"][FIBRE] > otsu_iou[FIBRE]
    assert final["iou"][MATRIX] > otsu_iou[MATRIX]
    assert final["iou"][VOID] > otsu_iou[VOID]
    assert result.iou(FIBRE)[-1] > result.iou(FIBRE)[0]  # the corrections helped
    np.testing.assert_array_equal(result.prediction, model.predict(image, progress=False))
