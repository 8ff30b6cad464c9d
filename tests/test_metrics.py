"""voxtwin.metrics against closed forms and brute force (seed 003's descriptors)."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.measure import euler_number

import voxtwin as vt
from voxtwin import metrics

# Pair counts are exact integers; after dividing by the window only float64 rounding remains.
EXACT = 1e-12


def laminate(shape: tuple[int, int, int], period: int, thickness: int, axis: int = 0) -> np.ndarray:
    idx = np.arange(shape[axis]) % period < thickness
    view = [1, 1, 1]
    view[axis] = shape[axis]
    return np.broadcast_to(idx.reshape(view), shape).astype(np.uint8).copy()


def brute_axis(a: np.ndarray, b: np.ndarray, axis: int, r: int, periodic: bool) -> float:
    """P(a at p, b at p + r e_axis) by shifting (r may be negative)."""
    n = a.shape[axis]
    if periodic:
        return float(np.mean(a & np.roll(b, -r, axis=axis)))
    lo, hi = (slice(0, n - r), slice(r, n)) if r >= 0 else (slice(-r, n), slice(0, n + r))
    sa = [slice(None)] * a.ndim
    sb = [slice(None)] * a.ndim
    sa[axis], sb[axis] = lo, hi
    return float(np.mean(a[tuple(sa)] & b[tuple(sb)]))


def test_s2_periodic_laminate_closed_form() -> None:
    period, t = 10, 4
    vol = laminate((40, 12, 8), period, t)
    s2 = metrics.two_point(vol, phase=1, voxel_size=2.5)
    d = np.arange(s2.x.size) % period
    exact = (np.maximum(t - d, 0) + np.maximum(d + t - period, 0)) / period
    np.testing.assert_allclose(s2.x, exact, atol=EXACT)
    np.testing.assert_allclose(s2.y, t / period, atol=EXACT)  # lines across the layers never change phase
    np.testing.assert_allclose(s2.z, t / period, atol=EXACT)
    np.testing.assert_allclose(s2.distance, np.arange(s2.x.size) * 2.5)
    # the matrix phase and the cross-correlation close the identity S11 + S10 = phi
    s10 = metrics.two_point(vol, phase=1, other=0, voxel_size=2.5)
    np.testing.assert_allclose(s2.x + s10.x, t / period, atol=EXACT)


def test_s2_random_set_limits(rng: np.random.Generator) -> None:
    vol = (rng.random((64, 64, 64)) < 0.3).astype(np.uint8)
    phi = float(vol.mean())
    s2 = metrics.two_point(vol, periodic=False)
    for prof in (s2.x, s2.y, s2.z, s2.radial):
        assert prof[0] == pytest.approx(phi, abs=EXACT)
        # independent voxels: S2(r > 0) = phi^2; 5 standard errors of a mean over >= 64^3 / 2 pairs
        tol = 5 * np.sqrt(phi**2 * (1 - phi**2) / (64**3 / 2))
        np.testing.assert_allclose(prof[1:], phi**2, atol=tol)


@pytest.mark.parametrize("periodic", [True, False])
def test_s2_matches_brute_force_every_direction_and_sign(rng: np.random.Generator, periodic: bool) -> None:
    vol = rng.integers(0, 3, size=(13, 10, 9)).astype(np.uint8)
    a, b = (vol == 1), (vol == 2)
    s2 = metrics.two_point(vol, phase=1, other=2, periodic=periodic)
    for axis, name in enumerate("xyz"):
        for r in range(s2.x.size):
            assert s2.axes[name][r] == pytest.approx(brute_axis(a, b, axis, r, periodic), abs=EXACT)
            assert s2.extra["negative"][name][r] == pytest.approx(brute_axis(a, b, axis, -r, periodic), abs=EXACT)


@pytest.mark.parametrize("periodic", [True, False])
def test_radial_average_counts_every_octant(rng: np.random.Generator, periodic: bool) -> None:
    # a structure along a diagonal: one octant of lags alone would not give the average
    x, y, z = np.meshgrid(np.arange(11), np.arange(9), np.arange(8), indexing="ij")
    vol = (((x + y - z) % 5 < 2) | (rng.random(x.shape) < 0.1)).astype(np.uint8)
    s2 = metrics.two_point(vol, periodic=periodic)
    a = vol.astype(bool)
    n = np.array(vol.shape)
    pairs = np.zeros(s2.radial.size)
    windows = np.zeros(s2.radial.size)
    rng_lag = [range(-(k // 2), k - k // 2) if periodic else range(-k + 1, k) for k in n]
    for rx in rng_lag[0]:
        for ry in rng_lag[1]:
            for rz in rng_lag[2]:
                k = int(np.rint(np.sqrt(rx * rx + ry * ry + rz * rz)))
                if k >= pairs.size:
                    continue
                if periodic:
                    shifted = np.roll(a, (-rx, -ry, -rz), axis=(0, 1, 2))
                    pairs[k] += (a & shifted).sum()
                    windows[k] += a.size
                else:
                    sl_a = tuple(slice(max(0, -r), m - max(0, r)) for r, m in zip((rx, ry, rz), n))
                    sl_b = tuple(slice(max(0, r), m - max(0, -r)) for r, m in zip((rx, ry, rz), n))
                    pairs[k] += (a[sl_a] & a[sl_b]).sum()
                    windows[k] += a[sl_a].size
    np.testing.assert_allclose(s2.radial, pairs / windows, atol=EXACT)


def test_lineal_path_periodic_slab() -> None:
    period, t = 12, 5
    vol = laminate((36, 8, 6), period, t)
    lp = metrics.lineal_path(vol, voxel_size=0.5)
    r = np.arange(lp.x.size)
    np.testing.assert_allclose(lp.x, np.maximum(t - r, 0) / period, atol=EXACT)
    np.testing.assert_allclose(lp.y, t / period, atol=EXACT)  # lines wholly in the phase keep it at every r
    np.testing.assert_allclose(lp.z, t / period, atol=EXACT)


@pytest.mark.parametrize("periodic", [True, False])
def test_lineal_path_brute_force(rng: np.random.Generator, periodic: bool) -> None:
    vol = (rng.random((14, 11, 10)) < 0.6).astype(np.uint8)
    lp = metrics.lineal_path(vol, periodic=periodic)
    a = vol.astype(bool)
    for axis, name in enumerate("xyz"):
        for r in range(lp.x.size):
            n = a.shape[axis]
            if periodic:
                seg = np.ones_like(a)
                for j in range(r + 1):
                    seg &= np.roll(a, -j, axis=axis)
            else:
                seg = np.ones(np.take(a, np.arange(n - r), axis=axis).shape, bool)
                for j in range(r + 1):
                    seg &= np.take(a, np.arange(j, j + n - r), axis=axis)
            assert lp.axes[name][r] == pytest.approx(seg.mean(), abs=EXACT)


def test_chords_of_known_rods() -> None:
    vol = np.zeros((40, 30, 36), np.uint8)
    rods = [(2, 3, 4), (20, 10, 5), (5, 20, 15)]  # rod origins; rods are 3 x 5 x 7 voxels
    for x, y, z in rods:
        vol[x:x + 3, y:y + 5, z:z + 7] = 1
    ch = metrics.chords(vol, voxel_size=2.0, periodic=False)
    for name, length, cross in (("x", 3, 35), ("y", 5, 21), ("z", 7, 15)):
        counts = ch.extra["counts"][name]
        assert counts[length] == cross * len(rods)
        assert counts.sum() == cross * len(rods)
        assert ch.extra["mean"][name] == pytest.approx(2.0 * length)
    # matrix chords along x: each rod cuts its lines into two interior pieces ... edge pieces trimmed
    assert metrics.chords(vol, phase=0, periodic=False).extra["counts"]["x"].sum() == 0
    assert metrics.chords(vol, phase=0, periodic=True).extra["counts"]["x"].sum() == 3 * 35


def test_chords_wrap_when_periodic() -> None:
    vol = np.zeros((20, 4, 4), np.uint8)
    vol[:3] = 1
    vol[-2:] = 1  # one chord of 5 across the periodic boundary
    assert metrics.chords(vol, periodic=True).extra["counts"]["x"][5] == 16
    open_counts = metrics.chords(vol, periodic=False, trim_edges=False).extra["counts"]["x"]
    assert open_counts[3] == 16 and open_counts[2] == 16


def _ball(shape: tuple[int, int, int], centre: tuple[float, ...], radius: float) -> np.ndarray:
    g = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    return sum((gi - c) ** 2 for gi, c in zip(g, centre)) <= radius**2


def test_euler_of_known_objects() -> None:
    shape = (24, 24, 24)
    one = np.zeros(shape, np.uint8)
    one[5, 6, 7] = 1
    assert metrics.euler_characteristic(one) == 1
    cube = np.zeros(shape, np.uint8)
    cube[4:14, 4:14, 4:14] = 1
    assert metrics.euler_characteristic(cube) == 1
    shell = cube.copy()
    shell[6:12, 6:12, 6:12] = 0  # a cavity: chi = 1 + 1
    assert metrics.euler_characteristic(shell) == 2
    ring = np.zeros(shape, np.uint8)
    ring[4:16, 4:16, 8:11] = 1
    ring[7:13, 7:13, 8:11] = 0  # a tunnel: chi = 1 - 1
    assert metrics.euler_characteristic(ring) == 0
    balls = (_ball(shape, (6, 6, 6), 4) | _ball(shape, (17, 17, 17), 4)).astype(np.uint8)
    assert metrics.euler_characteristic(balls) == 2
    # a periodic slab is a 2-torus in the 3-torus: chi = 0; open, it is a box: chi = 1
    slab = laminate(shape, 24, 5, axis=2)
    assert metrics.euler_characteristic(slab, periodic=True) == 0
    assert metrics.euler_characteristic(slab, periodic=False) == 1


def test_euler_matches_skimage_3d_and_2d(rng: np.random.Generator) -> None:
    for fraction in (0.2, 0.5, 0.8):
        vol = (rng.random((20, 18, 16)) < fraction).astype(np.uint8)
        assert metrics.euler_characteristic(vol) == euler_number(vol, connectivity=3)
        img = vol[:, :, 0]
        assert metrics.euler_characteristic(img) == euler_number(img, connectivity=2)


def test_topology_densities_and_periodic_clusters() -> None:
    vol = np.zeros((20, 10, 10), np.uint8)
    vol[:3] = 1
    vol[-2:] = 1  # one slab across the periodic boundary, two pieces in the open box
    open_topo = metrics.topology(vol, voxel_size=2.0)
    assert open_topo.clusters == 2 and open_topo.euler == 2
    assert open_topo.euler_density == pytest.approx(2 / (2000 * 8.0))
    assert metrics.cluster_count(vol, periodic=True) == 1
    assert metrics.topology(vol[:, :, 0], plane="xy").density_unit == "1/µm²"


def test_compare_errors_per_metric_and_axis(rng: np.random.Generator) -> None:
    a = laminate((32, 32, 32), 8, 3)
    same = metrics.compare(a, a.copy())
    assert same.max_error == 0.0
    b = laminate((32, 32, 32), 8, 3, axis=1)  # the same layers turned from x to y
    diff = metrics.compare(a, b)
    assert diff.errors["two_point"]["x"] > 0.3 and diff.errors["two_point"]["y"] > 0.3
    assert diff.errors["two_point"]["z"] == pytest.approx(0.0, abs=EXACT)
    assert diff.errors["two_point"]["radial"] == pytest.approx(0.0, abs=EXACT)  # blind to the turn
    assert diff.errors["chords"]["z"] == pytest.approx(0.0, abs=EXACT)
    assert diff.errors["cluster_function"]["x"] > 0.3 and diff.errors["cluster_function"]["y"] > 0.3
    assert diff.errors["cluster_function"]["z"] == pytest.approx(0.0, abs=EXACT)
    assert metrics.s2_similarity(a, a) == 1.0
    assert metrics.s2_similarity(a, b) < 0.8
    assert {r["metric"] for r in diff.rows()} == set(metrics.METRICS)


def test_plots_and_exports(tmp_path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    vol = laminate((16, 16, 16), 8, 3)
    s2 = metrics.two_point(vol, voxel_size=1.5)
    assert s2.plot() is not None
    assert s2.to_csv().splitlines()[0] == "distance_um,x,y,z,radial"
    assert s2.to_dict()["distance_um"][1] == 1.5
    assert metrics.compare(vol, vol).plot() is not None


def test_images_name_their_plane() -> None:
    img = laminate((20, 16, 1), 10, 4)[:, :, 0]
    s2 = metrics.two_point(img, plane="xz")
    assert set(s2.axes) == {"x", "z"} and s2.y is None
    np.testing.assert_allclose(s2.z, 0.4, atol=EXACT)


def test_bad_input_is_named() -> None:
    vol = np.zeros((8, 8, 8), np.uint8)
    with pytest.raises(ValueError, match="voxel_size"):
        metrics.two_point(vol, voxel_size=-1)
    with pytest.raises(TypeError, match="volume"):
        metrics.two_point(vol.astype(np.float32))
    with pytest.raises(ValueError, match="phase"):
        metrics.lineal_path(vol, phase=300)
    with pytest.raises(ValueError, match="0..255"):
        metrics.chords(np.full((4, 4, 4), -1, np.int16))
    with pytest.raises(ValueError, match="plane"):
        metrics.two_point(vol, plane="xy")
    with pytest.raises(ValueError, match="metrics"):
        metrics.compare(vol, vol, metrics=("s3",))


def test_radial_grid_is_checked_against_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    from voxtwin import _limits
    from voxtwin.metrics.two_point import radial_grid_bytes

    vol = np.zeros((10, 12, 7), np.uint8)
    # zero-padded: 20 x 24 x (2 * (14 // 2 + 1)) float64 = 61440 bytes, plus per-thread rows
    assert radial_grid_bytes(vol.shape, [False] * 3, cross=False) - 61440 < 61440
    assert radial_grid_bytes(vol.shape, [True] * 3, cross=True) >= 2 * 10 * 12 * 8 * 8
    monkeypatch.setattr(_limits, "available_memory", lambda: 50_000)
    with pytest.raises(vt.InsufficientMemoryError, match="radial S2.*radial=False"):
        metrics.two_point(vol, periodic=False)
    assert metrics.two_point(vol, periodic=False, radial=False).radial is None   # per-axis needs a few lines


def test_thread_count_does_not_change_results(rng: np.random.Generator) -> None:
    vol = (rng.random((30, 20, 24)) < 0.4).astype(np.uint8)
    before = vt.get_num_threads()
    try:
        vt.set_num_threads(1)
        one = metrics.two_point(vol), metrics.lineal_path(vol), metrics.euler_characteristic(vol)
        vt.set_num_threads(2)
        two = metrics.two_point(vol), metrics.lineal_path(vol), metrics.euler_characteristic(vol)
    finally:
        vt.set_num_threads(before)
    for p, q in zip(one[:2], two[:2]):
        for k in p.axes:
            assert np.array_equal(p.axes[k], q.axes[k])
    assert np.array_equal(one[0].radial, two[0].radial)
    assert one[2] == two[2]


@pytest.mark.gpu
def test_cuda_s2_counts_equal_the_cpu(rng: np.random.Generator, device: str) -> None:
    vol = rng.integers(0, 3, size=(40, 33, 27)).astype(np.uint8)
    for periodic in (True, False):
        cpu = metrics.two_point(vol, phase=1, other=2, periodic=periodic, radial=False, device="cpu")
        dev = metrics.two_point(vol, phase=1, other=2, periodic=periodic, radial=False, device=device)
        for k in "xyz":
            assert np.array_equal(cpu.axes[k], dev.axes[k])
            assert np.array_equal(cpu.extra["negative"][k], dev.extra["negative"][k])
