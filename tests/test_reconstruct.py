"""voxtwin.reconstruct (seed 003): schedule, encoding, the multi-plane sampler with an oracle
denoiser, and a tiny model end to end (fit, sample, reproducibility, save/load, sliding windows, CLI)."""

from __future__ import annotations


import numpy as np
import pytest

import voxtwin as vt
from voxtwin.reconstruct import Encoding, PlaneDiffusion, alpha_bar, evaluate
from voxtwin.reconstruct.data import random_crops
from voxtwin.reconstruct.sampler import match_moments, taper, windowed, windows

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.ai

# float32 rounding of a few DDIM updates on O(1) values.
FLOAT32_TOL = 1e-5


def _tiny(size: int = 16, **kw: object) -> PlaneDiffusion:
    cfg = dict(multipliers=(1, 2), attention=(False, True), cross_attention=(False, True), res_blocks=1,
               embedding=16, heads=2, head_dim=4, timesteps=50, lr=1e-3, batch=6)
    cfg.update(kw)
    return PlaneDiffusion(size, base=8, **cfg)


def _planes(vol: np.ndarray) -> dict[str, np.ndarray]:
    return {"xy": vol.transpose(2, 0, 1), "xz": vol.transpose(1, 0, 2), "yz": vol}


def test_linear_schedule_is_the_seeds() -> None:
    ab = alpha_bar("linear", 1000)
    beta = np.linspace(1e-4, 1e-2, 1000)
    assert ab[0] == 1.0
    np.testing.assert_allclose(ab[1:], np.cumprod(1 - beta), rtol=1e-12)
    cos = alpha_bar("cosine", 200)
    assert cos[0] == 1.0 and np.all(np.diff(cos) < 0) and cos[-1] < 1e-3
    with pytest.raises(ValueError, match="schedule"):
        alpha_bar("quadratic", 10)


def test_encoding_round_trips() -> None:
    rng = np.random.default_rng(0)
    two = rng.integers(0, 2, (4, 5)).astype(np.uint8) * 2  # labels 0, 2
    enc = Encoding(labels=(0, 2))
    assert enc.channels == 1
    assert np.array_equal(enc.decode(enc.encode(two)), two)
    three = rng.integers(0, 3, (4, 5)).astype(np.uint8)
    enc3 = Encoding(labels=(0, 1, 2))
    assert enc3.channels == 3 and np.array_equal(enc3.decode(enc3.encode(three)), three)
    grey = rng.random((4, 5)).astype(np.float32) * 100
    encg = Encoding(grey=(0.0, 100.0))
    np.testing.assert_allclose(encg.decode(encg.encode(grey)), grey, atol=1e-4)


def test_crops_are_pieces_of_the_images_never_rotated() -> None:
    img = np.arange(8 * 10, dtype=np.float32).reshape(1, 1, 8, 10)
    crops = random_crops(img, 50, 4, np.random.default_rng(1))
    for c in crops[:, 0]:
        # rows step by 10 and columns by 1 (up to sign): flips only, never a transpose
        assert abs(c[1, 0] - c[0, 0]) == 10 and abs(c[0, 1] - c[0, 0]) == 1


def test_windows_cover_with_overlap() -> None:
    assert windows(32, 32) == [0]
    starts = windows(80, 32)
    assert starts[0] == 0 and starts[-1] == 80 - 32 and all(b - a <= 32 for a, b in zip(starts, starts[1:]))
    assert starts == [0, 16, 32, 48]
    assert windows(64, 32, 0.0) == [0, 32] and windows(80, 32, 0.0) == [0, 32, 48]  # disjoint tiles, last shifted


def test_window_blends_are_partitions_of_unity() -> None:
    """Blending windows of the identity gives the input back; Hann tapers at half overlap sum to one
    inside, and a window whose prediction is off by a constant leaves a step with "mean" but a
    smooth ramp with "hann"."""
    x = torch.randn((2, 1, 40, 24), generator=torch.Generator().manual_seed(0))
    for blend in ("hann", "mean"):
        assert torch.allclose(windowed(lambda v: v, x, 16, blend=blend), x, atol=FLOAT32_TOL)
    tp = taper(16, 16, "hann")
    np.testing.assert_allclose(tp[:8] + tp[8:], 1.0, atol=1e-12)
    ones = torch.ones((1, 1, 48, 16))

    def biased(v: object) -> object:  # windows start at rows 0, 8, ..., 32; window k adds k
        biased.k = getattr(biased, "k", -1) + 1  # type: ignore[attr-defined]
        return v + biased.k  # type: ignore[attr-defined,operator]

    steps = {}
    for blend in ("mean", "hann"):
        biased.k = -1  # type: ignore[attr-defined]
        prof = windowed(biased, ones, 16, blend=blend)[0, 0, :, 0].numpy()
        steps[blend] = float(np.abs(np.diff(prof)).max())
    assert steps["mean"] >= 1 - FLOAT32_TOL  # (k + k+1)/2 -> (k+1 + k+2)/2 at every window start
    assert steps["hann"] < 0.25  # a ramp of sin² weights: largest step π/16 · 1


def test_multiplane_sampler_reslices_consistently() -> None:
    """With an oracle denoiser that knows x_0, every plane's slices must map back to the same
    volume: DDPM/DDIM steps with harmonizing then end exactly at x_0 (a wrong axis permutation
    or re-assembly would not)."""
    from voxtwin.reconstruct.sampler import _TO_SLICES, multiplane_sample, timesteps

    g = torch.Generator().manual_seed(0)
    x0 = torch.rand((2, 6, 7, 8), generator=g) * 2 - 1
    ab = alpha_bar("cosine", 100)

    def oracle(x: object, t: int, plane: str) -> object:
        return x0.permute(*_TO_SLICES[plane])

    for eta, nh in ((0.0, 0), (1.0, 2)):
        out = multiplane_sample(oracle, torch.randn((2, 6, 7, 8), generator=g), ab, timesteps(100, 12),
                                ("xy", "xz", "yz"), nh, 0.5, eta, g)
        assert torch.allclose(out, x0, atol=FLOAT32_TOL)
    # combine="mean": x̂_0 is the average of the planes' estimates (an offset per plane averages out).
    offset = {"xy": 0.3, "xz": -0.1, "yz": 0.1}

    def biased(x: object, t: int, plane: str) -> object:
        return (x0 + offset[plane]).permute(*_TO_SLICES[plane])

    out = multiplane_sample(biased, torch.randn((2, 6, 7, 8), generator=g), ab, timesteps(100, 12),
                            ("xy", "xz", "yz"), 0, 0.5, 1.0, g, combine="mean")
    assert torch.allclose(out, x0 + 0.1, atol=FLOAT32_TOL)
    cyc = multiplane_sample(biased, torch.randn((2, 6, 7, 8), generator=g), ab, timesteps(100, 12),
                            ("xy", "xz", "yz"), 0, 0.5, 1.0, g)
    assert torch.allclose(cyc, x0 + offset["yz"], atol=FLOAT32_TOL)  # 12 steps: the last one is yz's


def test_harmonizing_blend_gets_the_moments_of_x_t() -> None:
    """Averaging two independent draws shrinks the spread by about 1/√2; the match restores each
    channel's mean and standard deviation, and an affine image of x_t comes back as x_t."""
    g = torch.Generator().manual_seed(1)
    scale, shift = torch.tensor([1.0, 3.0]).view(1, 2, 1, 1), torch.tensor([0.5, -1.0]).view(1, 2, 1, 1)
    like = torch.randn((5, 2, 8, 8), generator=g) * scale + shift
    other = torch.randn((5, 2, 8, 8), generator=g) * scale + shift
    assert torch.allclose(match_moments(0.5 * like + 0.2, like), like, atol=FLOAT32_TOL)
    blend = 0.5 * like + 0.5 * other
    dims = (0, 2, 3)
    assert torch.all(blend.std(dim=dims) < 0.8 * like.std(dim=dims))
    m = match_moments(blend, like)
    assert torch.allclose(m.std(dim=dims), like.std(dim=dims), rtol=FLOAT32_TOL)
    assert torch.allclose(m.mean(dim=dims), like.mean(dim=dims), atol=FLOAT32_TOL)


def test_learning_rate_schedules() -> None:
    from voxtwin.reconstruct.model import learning_rates

    np.testing.assert_array_equal(learning_rates(2e-3, 5), np.full(5, 2e-3))
    cos = learning_rates(1.0, 110, warmup=10, decay="cosine")
    np.testing.assert_allclose(cos[:10], np.arange(1, 11) / 10)
    assert cos[10] == 1.0 and np.all(np.diff(cos[10:]) < 0) and cos[-1] < 1e-3
    lin = learning_rates(1.0, 4, decay="linear")
    np.testing.assert_allclose(lin, [1.0, 0.75, 0.5, 0.25])
    with pytest.raises(ValueError, match="decay"):
        learning_rates(1.0, 4, decay="step")
    with pytest.raises(ValueError, match="warmup"):
        _tiny(warmup=-1)


def test_tiny_model_end_to_end(tmp_path: object) -> None:
    torch.set_num_threads(1)
    vol = vt.stochastic.ExcursionModel("gaussian", 0.4, (4.0, 1.5, 1.5)).sample((24, 24, 24), 1.0, seed=3)
    m = _tiny(prediction="v", schedule="cosine", clip=True, ema=0.9)
    m.fit(_planes(vol), steps=3, seed=0, progress=False)
    assert m.steps_trained == 3 and len(m.losses) == 3 and m.parameters > 0
    kw = dict(harmonize=1, steps=4, sampler="ddim", progress=False)
    a = m.sample((16, 16, 16), seed=5, **kw)
    assert a.shape == (16, 16, 16) and a.dtype == np.uint8 and set(np.unique(a)) <= {0, 1}
    assert np.array_equal(a, m.sample((16, 16, 16), seed=5, **kw))
    assert not np.array_equal(a, m.sample((16, 16, 16), seed=6, **kw))
    assert not np.array_equal(a, m.sample((16, 16, 16), seed=5, match_moments=False, **kw))  # eq. 17 as printed
    path = m.save(tmp_path / "m.pt")  # type: ignore[operator]
    m2 = PlaneDiffusion.load(path)
    assert np.array_equal(a, m2.sample((16, 16, 16), seed=5, **kw))
    big = m.sample((40, 24, 16), seed=1, harmonize=0, steps=2, progress=False)  # sliding windows
    assert big.shape == (40, 24, 16)
    tiles = m.sample((40, 24, 16), seed=1, harmonize=0, steps=2, overlap=0.0, progress=False)
    assert tiles.shape == (40, 24, 16) and not np.array_equal(tiles, big)
    # Training images' phase fraction, kept through save/load; the matched decode hits it.
    assert m.fractions is not None and m.fractions[1] == pytest.approx(vol.mean(), abs=0.05)
    assert m2.fractions == m.fractions
    matched = m.sample((16, 16, 16), seed=5, match_fraction=True, **kw)
    assert matched.mean() == pytest.approx(m.fractions[1], abs=1 / 16 ** 3)
    sl = m.sample_slices("xz", 3, shape=(16, 24), steps=2, progress=False)
    assert sl.shape == (3, 16, 24)
    kw_mean = dict(kw, harmonize=0, combine="mean")  # plane-averaged x̂_0: another, reproducible sample
    mean = m.sample((16, 16, 16), seed=5, **kw_mean)
    assert mean.shape == a.shape and not np.array_equal(a, mean)
    assert np.array_equal(mean, m.sample((16, 16, 16), seed=5, **kw_mean))
    # Identical fits from the same seed (reproducible on a fixed device).
    m3 = _tiny(prediction="v", schedule="cosine", clip=True, ema=0.9).fit(_planes(vol), steps=3, seed=0, progress=False)
    assert m3.losses == m.losses


def test_three_phases_and_grey() -> None:
    rng = np.random.default_rng(0)
    lab = rng.integers(0, 3, (16, 16, 16)).astype(np.uint8)
    m = _tiny().fit(_planes(lab), steps=1, seed=0, progress=False)
    assert m.encoding is not None and m.encoding.channels == 3
    assert set(np.unique(m.sample((16, 16, 16), harmonize=0, steps=2, progress=False))) <= {0, 1, 2}
    grey = rng.random((16, 16, 16)).astype(np.float32)
    g = _tiny().fit(_planes(grey), steps=1, seed=0, progress=False)
    out = g.sample((16, 16, 16), harmonize=0, steps=2, progress=False)
    assert out.dtype == np.float32 and out.min() >= 0 and out.max() <= 1
    for three_or_grey in (m, g):
        with pytest.raises(ValueError, match="match_fraction"):
            three_or_grey.sample((16, 16, 16), harmonize=0, steps=2, match_fraction=True, progress=False)


def test_clear_errors() -> None:
    with pytest.raises(RuntimeError, match="fit"):
        _tiny().sample((16, 16, 16))
    with pytest.raises(ValueError, match="planes"):
        _tiny().fit({"xy": np.zeros((16, 16), np.uint8)}, steps=1, progress=False)
    with pytest.raises(ValueError, match="size"):
        _tiny(size=15)  # two U-Net levels need an even crop
    with pytest.raises(ValueError, match="prediction"):
        _tiny(prediction="score")
    rng = np.random.default_rng(0)
    m = _tiny().fit(_planes(rng.integers(0, 2, (16, 16, 16)).astype(np.uint8)), steps=1, seed=0, progress=False)
    with pytest.raises(ValueError, match="overlap"):
        m.sample((16, 16, 16), overlap=1.0, progress=False)
    with pytest.raises(ValueError, match="blend"):
        m.sample((16, 16, 16), blend="max", progress=False)
    with pytest.raises(ValueError, match="combine"):
        m.sample((16, 16, 16), combine="sum", progress=False)
    with pytest.raises(ValueError, match="harmonize=0"):
        m.sample((16, 16, 16), combine="mean", harmonize=1, progress=False)


def test_evaluate_recognises_the_truth_and_a_shuffled_stack() -> None:
    vol = vt.stochastic.ExcursionModel("gaussian", 0.35, (6.0, 2.0, 2.0)).sample((32, 32, 32), 1.0, seed=1)
    same = evaluate([vol], vol, lineal=True)
    assert same.phi_error == 0 and max(same.s2_error.values()) == 0 and max(same.lineal_error.values()) == 0
    shuffled = vol[:, :, np.random.default_rng(0).permutation(32)]  # xy slices kept, z order destroyed
    ev = evaluate([shuffled], vol)
    assert ev.s2_error["x"] == pytest.approx(0, abs=1e-12) and ev.s2_error["z"] > 0.1
    planes = evaluate([vol], _planes(vol), lineal=False)  # reference given as images of three planes
    assert max(planes.s2_error.values()) < 1e-12


def test_evaluate_homogenizes_against_reference_subvolumes() -> None:
    vol = vt.stochastic.ExcursionModel("gaussian", 0.4, (3.0, 1.5, 1.5)).sample((8, 8, 8), 1.0, seed=2)
    mats = {0: vt.Isotropic(3.0, 0.35, 60e-6), 1: vt.Isotropic(70.0, 0.2, 5e-6)}
    ev = evaluate([vol], vol, mats, lineal=False)
    np.testing.assert_allclose(ev.stiffness, ev.reference_stiffness)
    assert ev.stiffness.shape == (1, 6, 6) and ev.cte.shape == (1, 6)
    assert ev.stiffness[0, 0, 0] > 3.0 * 2  # stiffer than the matrix


def test_cli_fit_and_sample(tmp_path: object) -> None:
    from voxtwin.cli import main

    vol = vt.stochastic.ExcursionModel("gaussian", 0.4, (4.0, 1.5, 1.5)).sample((16, 16, 16), 1.0, seed=3)
    paths = {}
    for p, arr in _planes(vol).items():
        paths[p] = tmp_path / f"{p}.npy"  # type: ignore[operator]
        np.save(paths[p], arr)
    model = tmp_path / "m.pt"  # type: ignore[operator]
    assert main(["reconstruct", "fit", "--xy", str(paths["xy"]), "--xz", str(paths["xz"]), "--yz", str(paths["yz"]),
                 "--out", str(model), "--config", "small", "--size", "16", "--steps", "2", "--quiet"]) == 0
    out = tmp_path / "v.npy"  # type: ignore[operator]
    assert main(["reconstruct", "sample", str(model), str(out), "--shape", "16", "16", "16", "--steps", "2",
                 "--harmonize", "0", "--sampler", "ddim", "--quiet"]) == 0
    written = vt.io.read(out, progress=False)
    assert written.data.shape == (16, 16, 16) and set(np.unique(np.asarray(written.data))) <= {0, 1}

    # Past the training crop the window options reach the sampler: the CLI's --blend mean volume is the
    # API's blend="mean" volume byte for byte, and not the default Hann volume (control).
    wide = tmp_path / "w.npy"  # type: ignore[operator]
    assert main(["reconstruct", "sample", str(model), str(wide), "--shape", "24", "16", "16", "--steps", "2",
                 "--harmonize", "0", "--sampler", "ddim", "--blend", "mean", "--overlap", "0.5", "--seed", "5",
                 "--quiet"]) == 0
    from voxtwin.reconstruct import PlaneDiffusion

    api = PlaneDiffusion.load(model)
    options = dict(harmonize=0, steps=2, seed=5, sampler="ddim", overlap=0.5, progress=False)
    cli = np.asarray(vt.io.read(wide, progress=False).data)
    assert np.array_equal(cli, api.sample((24, 16, 16), blend="mean", **options))
    assert not np.array_equal(cli, api.sample((24, 16, 16), blend="hann", **options))
    # --plain-blend reaches the sampler: eq. 17 as printed, byte for byte the API's match_moments=False.
    plain = tmp_path / "p.npy"  # type: ignore[operator]
    assert main(["reconstruct", "sample", str(model), str(plain), "--shape", "16", "16", "16", "--steps", "3",
                 "--harmonize", "1", "--plain-blend", "--seed", "2", "--quiet"]) == 0
    h1 = dict(harmonize=1, steps=3, seed=2, progress=False)
    cli = np.asarray(vt.io.read(plain, progress=False).data)
    assert np.array_equal(cli, api.sample((16,) * 3, match_moments=False, **h1))
