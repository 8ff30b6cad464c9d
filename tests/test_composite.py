"""Composite voxels: laminate laws against independent solutions, downsampling, table, warnings.

The solver-level verification (planar interfaces and fibre blocks homogenized at both scales)
is in test_composite_homogenize.py.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import voxtwin as vt
from voxtwin.composite import feature_thickness

LIB = vt.material_library()
PLA, BASALT, CARBON = LIB["pla"], LIB["basalt_fibre"], LIB["carbon_fibre_t300"].with_axis((1.0, -2.0, 0.5))
MATERIALS = {0: PLA, 1: BASALT, 2: vt.VOID}

# Two exact double-precision routes to the same laminate agree to rounding (condition ~1e3).
EXACT = 1e-10


def _strain_tensor(e: np.ndarray) -> np.ndarray:
    return np.array([[e[0], e[5] / 2, e[4] / 2], [e[5] / 2, e[1], e[3] / 2], [e[4] / 2, e[3] / 2, e[2]]])


def _stress_tensor(s: np.ndarray) -> np.ndarray:
    return np.array([[s[0], s[5], s[4]], [s[5], s[1], s[3]], [s[4], s[3], s[2]]])


def layered_stack(Cs: list[np.ndarray], alphas: list[np.ndarray], fractions: list[float], normal: np.ndarray):
    """Exact layered solution as one linear system in the global frame: per layer a uniform strain,
    in-plane strain and normal traction continuous, mean strain prescribed. Returns (C, beta)
    with sigma_mean = C eps_mean - beta dT. Independent of the library's rotation and block formulas."""
    n = np.asarray(normal, float)
    n = n / np.linalg.norm(n)
    helper = np.eye(3)[np.argmin(np.abs(n))]
    t1 = np.cross(n, helper)
    t1 /= np.linalg.norm(t1)
    t2 = np.cross(n, t1)
    N = len(Cs)
    basis = np.eye(6)

    def tangential(e):  # t_a . eps . t_b for (1,1), (2,2), (1,2)
        E = _strain_tensor(e)
        return np.array([t1 @ E @ t1, t2 @ E @ t2, t1 @ E @ t2])

    def traction(C, e):
        return _stress_tensor(C @ e) @ n

    T = np.stack([tangential(b) for b in basis], axis=1)  # 3x6, linear in e
    A = np.zeros((6 * N, 6 * N))
    r = 0
    for i in range(1, N):
        A[r : r + 3, 6 * i : 6 * i + 6] = T
        A[r : r + 3, 0:6] = -T
        r += 3
        Ti = np.stack([traction(Cs[i], b) for b in basis], axis=1)
        T0 = np.stack([traction(Cs[0], b) for b in basis], axis=1)
        A[r : r + 3, 6 * i : 6 * i + 6] = Ti
        A[r : r + 3, 0:6] = -T0
        r += 3
    for i in range(N):
        A[r : r + 6, 6 * i : 6 * i + 6] = fractions[i] * np.eye(6)

    def mean_stress(eps_mean, dT):
        b = np.zeros(6 * N)
        for i in range(1, N):  # thermal eigenstress in the traction rows
            k = 6 * (i - 1) + 3
            b[k : k + 3] = traction(Cs[i], alphas[i] * dT) - traction(Cs[0], alphas[0] * dT)
        b[6 * (N - 1) :] = eps_mean
        e = np.linalg.lstsq(A, b, rcond=None)[0].reshape(N, 6)  # void layers: any solution, same stress
        return sum(c * C @ (ei - a * dT) for c, C, ei, a in zip(fractions, Cs, e, alphas))

    C = np.stack([mean_stress(b, 0.0) for b in basis], axis=1)
    beta = -mean_stress(np.zeros(6), 1.0)
    return C, beta


@pytest.mark.parametrize(
    ("mats", "fractions", "normal"),
    [
        ((BASALT, PLA), (0.3, 0.7), (1.0, 0.4, -0.2)),
        ((CARBON, PLA), (0.55, 0.45), (0.2, 1.0, 0.7)),
        ((BASALT, PLA, CARBON), (0.2, 0.5, 0.3), (-0.3, 0.1, 1.0)),
        ((BASALT, PLA, vt.VOID), (0.2, 0.7, 0.1), (0.6, -0.6, 0.5)),
    ],
)
def test_laminate_equals_the_exact_layered_solution(mats, fractions, normal) -> None:
    got = vt.laminate(list(mats), fractions, normal)
    C, beta = layered_stack([m.C for m in mats], [m.alpha for m in mats], list(fractions), np.asarray(normal))
    scale = np.abs(C).max()
    np.testing.assert_allclose(got.C, C, rtol=0, atol=EXACT * scale)
    # Thermal stress C alpha (what a solver uses); alpha itself only where C is invertible.
    np.testing.assert_allclose(got.C @ got.alpha, beta, rtol=0, atol=EXACT * np.abs(beta).max())


def test_laminate_thermal_expansion_obeys_levins_formula() -> None:
    """Levin (1967): any two-phase composite has alpha* = <alpha> + (S* - <S>)(S1 - S2)^-1 (alpha1 - alpha2)."""
    c = 0.35
    lam = vt.laminate([BASALT, PLA], [c, 1 - c], (0.3, 0.9, -0.4))
    S1, S2, S = BASALT.S, PLA.S, np.linalg.inv(lam.C)
    levin = c * BASALT.alpha + (1 - c) * PLA.alpha + (S - c * S1 - (1 - c) * S2) @ np.linalg.solve(
        S1 - S2, BASALT.alpha - PLA.alpha
    )
    np.testing.assert_allclose(lam.alpha, levin, rtol=0, atol=EXACT * 1e-4)


def test_three_phase_rule_limits() -> None:
    n = (0.4, -0.1, 1.0)
    two = vt.laminate([BASALT, PLA], [0.3, 0.7], n)
    # A vanishing third solid phase gives the two-phase laminate (continuity, not a switch).
    three = vt.laminate([BASALT, PLA, CARBON], [0.3, 0.7 - 1e-9, 1e-9], n)
    np.testing.assert_allclose(three.C, two.C, rtol=0, atol=1e-6)
    # Equal phases are one phase.
    same = vt.laminate([PLA, PLA, PLA], [0.2, 0.3, 0.5], n)
    np.testing.assert_allclose(same.C, PLA.C, rtol=0, atol=EXACT * 10)
    np.testing.assert_allclose(same.alpha, PLA.alpha, rtol=0, atol=1e-18)
    # Any void layer leaves only the in-plane stiffness: no stress for strains along the normal.
    holed = vt.laminate([BASALT, PLA, vt.VOID], [0.3, 0.69, 0.01], n)
    u = np.asarray(n) / np.linalg.norm(n)
    normal_strain = np.array([u[0] ** 2, u[1] ** 2, u[2] ** 2, 2 * u[1] * u[2], 2 * u[0] * u[2], 2 * u[0] * u[1]])
    assert np.abs(holed.C @ normal_strain).max() < 1e-12
    with pytest.raises(ValueError, match="sum to 1"):
        vt.laminate([BASALT, PLA], [0.3, 0.6], n)
    with pytest.raises(ValueError, match="`normal`"):
        vt.laminate([BASALT, PLA], [0.3, 0.7], (0, 0, 0))
    with pytest.raises(TypeError, match="materials"):
        vt.laminate([BASALT, "pla"], [0.3, 0.7], n)  # type: ignore[list-item]


def _slab(shape: tuple[int, int, int], normal, offset: float, period: float | None = None) -> np.ndarray:
    """Label 1 where n . x mod period < offset (voxel centres), else 0."""
    g = [np.arange(s) + 0.5 for s in shape]
    X, Y, Z = np.meshgrid(*g, indexing="ij")
    s = normal[0] * X + normal[1] * Y + normal[2] * Z
    if period is not None:
        s = np.mod(s, period)
    return (s < offset).astype(np.uint8)


def test_fractions_are_exact_and_table_rows_are_laminates(device: str) -> None:
    labels = _slab((16, 12, 20), (1.0, 0.5, 0.25), 7.3, period=14.0)
    cv = vt.composite_voxels(labels, 4, materials=MATERIALS, device=device)
    assert cv.shape == (4, 3, 5) and cv.index.dtype == np.uint16 and cv.fine_shape == (16, 12, 20)
    blocks = labels.reshape(4, 4, 3, 4, 5, 4).transpose(0, 2, 4, 1, 3, 5).reshape(4, 3, 5, 64)
    np.testing.assert_array_equal(cv.fractions(1), (blocks == 1).mean(axis=-1))
    np.testing.assert_array_equal(cv.fractions(0), (blocks == 0).mean(axis=-1))
    pure = blocks.min(axis=-1) == blocks.max(axis=-1)
    np.testing.assert_array_equal(cv.index[pure], [cv.material_rows[int(v)] for v in blocks[pure][:, 0]])
    assert 0.0 < cv.mixed_fraction < 1.0 and np.all(cv.index[~pure] >= len(MATERIALS))
    for row in np.unique(cv.index[~pure]):
        mats = [MATERIALS[int(lab)] for lab, k in zip(cv.entry_labels[row], cv.entry_counts[row]) if k]
        fr = [k / 64 for k in cv.entry_counts[row] if k]
        want = vt.laminate(mats, fr, cv.entry_normals[row])
        # The table used the integer normal, this call its unit vector: equal to rounding.
        np.testing.assert_allclose(cv.C[row], want.C, rtol=0, atol=EXACT * np.abs(want.C).max())
        np.testing.assert_allclose(cv.alpha[row], want.alpha, rtol=0, atol=EXACT * np.abs(want.alpha).max())
    np.testing.assert_array_equal(cv.C[cv.material_rows[1]], BASALT.C)


def test_axis_plane_normals_are_exact() -> None:
    labels = _slab((12, 8, 8), (1.0, 0.0, 0.0), 5.0)
    cv = vt.composite_voxels(labels, 4, materials=MATERIALS, periodic=False)
    normals = cv.normals()
    np.testing.assert_array_equal(normals[:, 1], np.broadcast_to(np.array([1.0, 0.0, 0.0])[:, None, None], (3, 2, 2)))
    np.testing.assert_array_equal(cv.fractions(1)[1], 0.25)


def test_cpu_and_cuda_give_identical_tables(device: str, rng: np.random.Generator) -> None:
    labels = np.where(rng.random((24, 16, 20)) < 0.3, 1, 0).astype(np.uint8)
    labels[rng.random(labels.shape) < 0.03] = 2
    kw = dict(materials=MATERIALS, check_features=False)
    cpu = vt.composite_voxels(labels, 4, device="cpu", **kw)
    other = vt.composite_voxels(labels, 4, device=device, **kw)
    np.testing.assert_array_equal(other.index, cpu.index)
    np.testing.assert_array_equal(other.C, cpu.C)
    np.testing.assert_array_equal(other.entry_normals, cpu.entry_normals)
    np.testing.assert_array_equal(vt.majority_vote(labels, 4, device=device), vt.majority_vote(labels, 4, device="cpu"))


def test_results_do_not_depend_on_thread_count(rng: np.random.Generator) -> None:
    labels = np.where(rng.random((32, 32, 32)) < 0.2, 1, 0).astype(np.uint8)
    labels[rng.random(labels.shape) < 0.02] = 2
    before = vt.get_num_threads()
    try:
        runs = []
        for threads in (1, 2, 3):
            vt.set_num_threads(threads)
            runs.append(vt.composite_voxels(labels, 4, materials=MATERIALS, check_features=False, device="cpu"))
    finally:
        vt.set_num_threads(before)
    for other in runs[1:]:
        np.testing.assert_array_equal(other.index, runs[0].index)
        assert other.C.tobytes() == runs[0].C.tobytes() and other.alpha.tobytes() == runs[0].alpha.tobytes()


def _cylinders(shape, axes, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Labels (1 = fibre) and instance ids of infinite periodic cylinders given as (centre, direction) in voxels."""
    g = [np.arange(s) + 0.5 for s in shape]
    P = np.stack(np.meshgrid(*g, indexing="ij"), axis=-1)
    labels = np.zeros(shape, np.uint8)
    inst = np.zeros(shape, np.uint32)
    L = np.asarray(shape, float)
    for i, (c, d) in enumerate(axes):
        d = np.asarray(d, float) / np.linalg.norm(d)
        q = P - np.asarray(c, float)
        q -= L * np.round(q / L)
        r = q - (q @ d)[..., None] * d
        inside = (r**2).sum(-1) < radius**2
        labels[inside] = 1
        inst[inside] = i + 1
    return labels, inst


def test_fibre_normals_are_radial() -> None:
    h = 2.5  # µm per voxel
    axes = [((8.3, 9.1, 0.0), (0.0, 0.0, 1.0)), ((20.0, 24.5, 11.0), (0.0, 0.0, 1.0))]
    labels, inst = _cylinders((32, 32, 16), axes, 3.5)
    table = {"centre": np.array([c for c, _ in axes]) * h, "direction": np.array([d for _, d in axes])}
    cv = vt.composite_voxels(labels, 4, materials=MATERIALS, normals="fibres", instances=inst, fibres=table,
                             voxel_size=h)
    mixed = cv.index >= len(MATERIALS)
    X, Y, _ = np.nonzero(mixed)
    owner = inst.reshape(8, 4, 8, 4, 4, 4).transpose(0, 2, 4, 1, 3, 5).reshape(8, 8, 4, 64).max(axis=-1)[mixed]
    centres = np.array([c for c, _ in axes])[owner.astype(int) - 1]
    radial = np.stack([4 * X + 2 - centres[:, 0], 4 * Y + 2 - centres[:, 1], np.zeros_like(X, float)], axis=1)
    radial /= np.linalg.norm(radial, axis=1, keepdims=True)
    got = cv.normals()[:, mixed].T
    # Only the quantization to the K = 15 direction set separates them (at most 2.7 degrees).
    cosines = np.abs((got * radial).sum(axis=1))
    assert cosines.min() > np.cos(np.radians(2.8)), np.degrees(np.arccos(cosines.min()))
    geometry = vt.composite_voxels(labels, 4, materials=MATERIALS)
    assert not np.array_equal(geometry.entry_normals, cv.entry_normals)


@pytest.mark.parametrize("shape", ["cylinder", "spherocylinder"])
def test_fibre_normals_from_a_generated_twin_agree_with_the_geometry(shape: str) -> None:
    """Two independent estimates of the same interfaces: the fibre table's surface normals and the
    fine-voxel gradient. Fibres of 5 voxels across; most mixed voxels agree within a few degrees
    (the gradient sees the voxel staircase, the table the ideal surface)."""
    spec = vt.FibreSpec(0.12, diameter=15.0, length=60.0, orientation=vt.orientation.Isotropic(), shape=shape)
    twin = vt.generate_fibres(spec, (48, 48, 48), voxel_size=3.0, seed=5, instances=True)
    kw = dict(materials=MATERIALS, instances=twin.instances, fibres=twin.fibres, voxel_size=twin.voxel_size)
    by_table = vt.composite_voxels(twin.labels, 4, normals="fibres", **kw)
    by_geometry = vt.composite_voxels(twin.labels, 4, materials=MATERIALS)
    np.testing.assert_array_equal(by_table.fractions(1), by_geometry.fractions(1))
    mixed = by_table.index >= len(MATERIALS)
    cosines = np.abs((by_table.normals()[:, mixed] * by_geometry.normals()[:, mixed]).sum(axis=0))
    angles = np.degrees(np.arccos(np.clip(cosines, 0, 1)))
    # Measured (cylinders): median 6.3 degrees, 79 % within 20; the rest sit at end faces and rims,
    # where the table switches between radial and axial and the gradient blends them.
    assert np.median(angles) < 10.0 and np.mean(angles < 20.0) > 0.7, np.percentile(angles, [50, 80, 90])


def test_other_materials_recompute_the_laminates() -> None:
    labels = _slab((16, 16, 16), (1.0, 0.7, 0.2), 6.1, period=11.0)
    glass = {0: LIB["epoxy_ly556"], 1: LIB["e_glass_fibre"], 2: vt.VOID}
    cv = vt.composite_voxels(labels, 4, materials=MATERIALS)
    moved = cv.with_materials(glass)
    direct = vt.composite_voxels(labels, 4, materials=glass)
    np.testing.assert_array_equal(moved.index, direct.index)
    np.testing.assert_allclose(moved.C, direct.C, rtol=0, atol=1e-12)
    np.testing.assert_allclose(moved.alpha, direct.alpha, rtol=0, atol=1e-20)
    assert cv.with_materials({**glass, 7: PLA}).materials.keys() == MATERIALS.keys()  # extra labels are ignored
    with pytest.raises(ValueError, match=r"labels \[2\]"):
        cv.with_materials({0: PLA, 1: BASALT})


def test_shapes_not_divisible_need_a_decision() -> None:
    labels = np.zeros((125, 16, 16), np.uint8)
    labels[:, :5] = 1
    with pytest.raises(ValueError, match=r"not divisible by factor=4.*remainder='crop'"):
        vt.composite_voxels(labels, 4, materials=MATERIALS)
    cv = vt.composite_voxels(labels, 4, materials=MATERIALS, remainder="crop")
    assert cv.fine_shape == (124, 16, 16) and cv.shape == (31, 4, 4)
    assert vt.majority_vote(labels, 4, remainder="crop").shape == (31, 4, 4)


def test_bad_arguments_are_named() -> None:
    labels = np.zeros((8, 8, 8), np.uint8)
    labels[:3] = 3
    with pytest.raises(ValueError, match=r"labels \[3\].*materials"):
        vt.composite_voxels(labels, 4, materials=MATERIALS)
    with pytest.raises(TypeError, match="`labels`.*uint8"):
        vt.composite_voxels(labels.astype(np.int32), 4, materials=MATERIALS)
    with pytest.raises(ValueError, match="`factor`"):
        vt.composite_voxels(labels, 17, materials={3: PLA, 0: PLA})
    with pytest.raises(ValueError, match="`normals`"):
        vt.composite_voxels(labels, 4, materials={3: PLA, 0: PLA}, normals="magic")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="instances"):
        vt.composite_voxels(labels, 4, materials={3: PLA, 0: PLA}, normals="fibres")
    with pytest.raises(TypeError, match="materials"):
        vt.composite_voxels(labels, 4, materials=[PLA])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="`device`"):
        vt.composite_voxels(labels, 4, materials={3: PLA, 0: PLA}, device="tpu")  # type: ignore[arg-type]
    many = (np.arange(64, dtype=np.uint8) % 5).reshape(4, 4, 4)
    with pytest.raises(ValueError, match="more than 4 different labels"):
        vt.composite_voxels(many, 4, materials={k: PLA for k in range(5)}, check_features=False)


def test_thin_features_are_warned_about() -> None:
    thin, _ = _cylinders((48, 48, 24), [((12.0, 12.0, 0.0), (0, 0.3, 1)), ((36.0, 30.0, 0.0), (0.2, 0, 1))], 1.5)
    with pytest.warns(vt.ThinFeatureWarning, match=r"phase 1 \(basalt_fibre\).*factor=4"):
        vt.composite_voxels(thin, 4, materials=MATERIALS)
    thick, _ = _cylinders((48, 48, 24), [((12.0, 12.0, 0.0), (0, 0.3, 1)), ((36.0, 30.0, 0.0), (0.2, 0, 1))], 2.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        vt.composite_voxels(thick, 4, materials=MATERIALS)
    # The estimate itself: diameter 3 reads below 3.75 (the warning threshold), diameter 5 not.
    assert feature_thickness(thin)[1] < 3.75 <= feature_thickness(thick)[1]


def test_normal_set_is_coarsened_when_the_table_overflows(rng: np.random.Generator) -> None:
    # Factor 2 on random 4-phase labels: 110k mixed voxels, more than 65536 distinct at K = 15.
    labels = rng.integers(0, 4, size=(96, 96, 96), dtype=np.uint8)
    with pytest.warns(vt.NormalResolutionWarning, match="instead"):
        cv = vt.composite_voxels(labels, 2, materials={**MATERIALS, 3: LIB["e_glass_fibre"]}, check_features=False)
    assert cv.normal_resolution < 15 and cv.n_entries <= 65536
    assert int(cv.index.max()) < cv.n_entries


def test_majority_vote_matches_numpy(rng: np.random.Generator, device: str) -> None:
    labels = rng.choice(np.array([0, 1, 2, 7], np.uint8), size=(12, 8, 16), p=[0.5, 0.3, 0.15, 0.05])
    blocks = labels.reshape(3, 4, 2, 4, 4, 4).transpose(0, 2, 4, 1, 3, 5).reshape(-1, 64)
    want = np.array([np.bincount(b, minlength=256).argmax() for b in blocks], np.uint8).reshape(3, 2, 4)
    np.testing.assert_array_equal(vt.majority_vote(labels, 4, device=device), want)


def test_plot_shows_the_fraction_slice() -> None:
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    labels = _slab((16, 16, 8), (1.0, 0.6, 0.0), 6.1, period=13.0)
    cv = vt.composite_voxels(labels, 4, materials=MATERIALS)
    axes = cv.plot(labels, axis="z", index=1)
    assert len(axes) == 3
    np.testing.assert_array_equal(axes[-1].images[0].get_array(), cv.fractions(1)[:, :, 1].T)
    np.testing.assert_array_equal(axes[1].images[0].get_array(), vt.majority_vote(labels, 4)[:, :, 1].T)
    with pytest.raises(ValueError, match="`index`"):
        cv.plot(index=9)
    matplotlib.pyplot.close("all")
