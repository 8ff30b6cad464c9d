"""Simulated brush annotations: what a person paints in a few slices, drawn from a known truth.

Seed 000 trains its U-Net on brush strokes (brush 5–15 px) painted on XY, YZ and ZX slices
"along the contrast boundary lines", 20 fibre, 10 matrix and 20 void objects per round.
``brush_annotations`` does the same from a ground truth, so annotate → train → segment rounds
can be tested without a person.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy import ndimage

from .._validate import fraction, integer
from .._validate import seed as check_seed
from .classes import FIBRE, MATRIX, UNLABELLED, VOID

__all__ = ["brush_annotations", "DEFAULT_OBJECTS", "PLANES"]

DEFAULT_OBJECTS = {FIBRE: 20, MATRIX: 10, VOID: 20}  # per round, seed 000's experimental section
PLANES = ("xy", "yz", "zx")
_PLANE_NORMAL = {"xy": 2, "yz": 0, "zx": 1}


def _range(name: str, value: object) -> tuple[float, float]:
    try:
        low, high = (float(v) for v in value)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise TypeError(f"`{name}` must be a (min, max) pair of numbers, got {name}={value!r}") from None
    if not (0 < low <= high and np.isfinite(high)):
        raise ValueError(f"`{name}` must satisfy 0 < min <= max, got {name}={value!r}")
    return low, high


def _check(truth: object, focus: object, base: object, planes: object) -> tuple[str, ...]:
    if not isinstance(truth, np.ndarray) or truth.ndim != 3 or truth.dtype.kind not in "iu":
        raise TypeError("`truth` must be a 3D integer numpy array of phase labels [x, y, z], got "
                        f"{type(truth).__name__}{getattr(truth, 'shape', '')}")
    for name, arr in (("focus", focus), ("base", base)):
        if arr is not None and (not isinstance(arr, np.ndarray) or arr.shape != truth.shape):
            raise ValueError(f"`{name}` must be an array of the shape of `truth` {truth.shape}, got "
                             f"{name} with shape {getattr(arr, 'shape', None)}")
    if isinstance(planes, str) or not isinstance(planes, Sequence) or not planes or any(
            p not in _PLANE_NORMAL for p in planes):
        raise ValueError(f"`planes` must be a non-empty sequence of 'xy', 'yz', 'zx', got planes={planes!r}")
    return tuple(planes)


def _direction(obj: np.ndarray, region: np.ndarray, seed_ab: tuple[int, int], mode: str) -> np.ndarray:
    """Unit direction of a stroke in the slice: along or across the object's section, or along its boundary."""
    if mode == "boundary":
        # tangent to the nearest boundary: perpendicular to the way out of the region
        _, (ia, ib) = ndimage.distance_transform_edt(region, return_indices=True)
        normal = np.array([ia[seed_ab] - seed_ab[0], ib[seed_ab] - seed_ab[1]], dtype=np.float64)
        norm = np.hypot(*normal)
        if norm > 0:
            return np.array([-normal[1], normal[0]]) / norm
        mode = "along"
    coords = np.argwhere(obj).astype(np.float64)
    if len(coords) <= 2:
        return np.array([1.0, 0.0])
    _, vecs = np.linalg.eigh(np.cov(coords, rowvar=False))
    return vecs[:, 1] if mode == "along" else vecs[:, 0]  # eigh sorts ascending: last = long axis


def _stroke(region: np.ndarray, seed_ab: tuple[int, int], length: float, radius: float, mode: str) -> np.ndarray:
    """Pixels of one straight brush stroke in a 2D slice, kept inside the object under the seed point.

    The stroke is a capsule (a segment of ``length`` swept by a disc of ``radius``) centred on the
    seed; pixels outside the slice object (2D connected component of ``region``) that holds the
    seed are not painted, as a person stops at the contrast boundary.
    """
    objects, _ = ndimage.label(region)
    obj = objects == objects[seed_ab]
    direction = _direction(obj, region, seed_ab, mode)
    centre = np.asarray(seed_ab, dtype=np.float64)
    p0 = centre - 0.5 * length * direction
    seg = length * direction
    reach = int(np.ceil(0.5 * length + radius)) + 1
    lo = np.maximum(np.asarray(seed_ab) - reach, 0)
    hi = np.minimum(np.asarray(seed_ab) + reach + 1, region.shape)
    ga, gb = np.meshgrid(np.arange(lo[0], hi[0]), np.arange(lo[1], hi[1]), indexing="ij")
    rel_a, rel_b = ga - p0[0], gb - p0[1]
    t = np.clip((rel_a * seg[0] + rel_b * seg[1]) / max(length**2, 1e-12), 0.0, 1.0)
    dist2 = (rel_a - t * seg[0]) ** 2 + (rel_b - t * seg[1]) ** 2
    painted = np.zeros(region.shape, dtype=bool)
    painted[lo[0]:hi[0], lo[1]:hi[1]] = dist2 <= radius**2
    return painted & obj


def brush_annotations(truth: np.ndarray, *, objects: Mapping[int, int] | None = None,
                      brush_size: Sequence[float] = (5, 15), stroke_length: Sequence[float] = (10, 30),
                      planes: Sequence[str] = PLANES, boundary: float = 0.5, margin: int = 0,
                      focus: np.ndarray | None = None, base: np.ndarray | None = None, seed: int = 0) -> np.ndarray:
    """Simulate a person's brush strokes on slices of a volume whose true phases are known.

    For each class ``c`` with ``objects[c] = k``, ``k`` strokes are painted, each on a different
    object (3D connected component of class ``c``, drawn with probability proportional to its size;
    specks smaller than the smallest brush footprint are skipped) while unbrushed ones remain;
    strokes cycle through the ``planes`` (XY, YZ, ZX slices). A stroke is a straight brush line with
    a diameter drawn from ``brush_size`` and a length from ``stroke_length`` (pixels). A share
    ``boundary`` of the strokes start within a brush radius of the class boundary and run along it
    (seed 000 brushes "along the contrast boundary lines"); the others run along or across the
    object's section through a random voxel. A stroke never leaves its object (it stops at the
    boundary, ``margin`` voxels inside it), so every painted voxel is labelled correctly.

    Args:
        truth: 3D integer phase labels [x, y, z] (the "person" knows them).
        objects: strokes per class (default ``DEFAULT_OBJECTS``: 20 fibre, 10 matrix, 20 void).
        brush_size: (min, max) brush diameter in pixels (seed 000: 5–15).
        stroke_length: (min, max) stroke length in pixels.
        planes: slice orientations to paint on, any of ``"xy"``, ``"yz"``, ``"zx"``.
        boundary: share of strokes traced along a class boundary, in [0, 1].
        margin: distance in voxels kept clear of other classes (0: strokes reach the boundary).
        focus: optional boolean volume; strokes start only where it is True (e.g. where the last
            segmentation was wrong: a correction round).
        base: optional earlier annotations (int8, -1 = unlabelled) that the new strokes add to.
        seed: seeds the choice of objects, slices and strokes.

    Returns:
        int8 annotations: the class label where painted, -1 (unlabelled) elsewhere. Classes with no
        voxel to paint (absent, or nowhere in ``focus``) get no strokes.
    """
    planes = _check(truth, focus, base, planes)
    objects = dict(DEFAULT_OBJECTS if objects is None else objects)
    d_lo, d_hi = _range("brush_size", brush_size)
    l_lo, l_hi = _range("stroke_length", stroke_length)
    boundary = fraction("boundary", boundary, open_low=False, open_high=False)
    margin = integer("margin", margin, minimum=0)
    rng = np.random.default_rng(check_seed(seed))
    min_size = np.pi * (d_lo / 2) ** 2  # voxels: the smallest brush's footprint
    out = np.full(truth.shape, UNLABELLED, dtype=np.int8) if base is None else base.astype(np.int8, copy=True)
    stroke_index = 0
    for label in sorted(objects):
        count = integer(f"objects[{label}]", objects[label], minimum=0)
        inside = truth == label
        if margin:  # Euclidean distance to the nearest voxel of another class must exceed the margin
            inside &= ndimage.distance_transform_edt(inside) > margin
        start = inside if focus is None else inside & focus.astype(bool)
        if count == 0 or not start.any():
            continue
        depth = ndimage.distance_transform_edt(inside) if boundary > 0 else None  # voxels to the boundary
        components, n_comp = ndimage.label(start)
        boxes = ndimage.find_objects(components)
        sizes = np.bincount(components.ravel(), minlength=n_comp + 1)[1:].astype(np.float64)
        if (sizes >= min_size).any():  # specks smaller than the brush are not worth a stroke
            sizes[sizes < min_size] = 0.0
        unbrushed = sizes.copy()
        for _ in range(count):
            if not unbrushed.any():  # every object brushed once: start again
                unbrushed = sizes.copy()
            # objects drawn in proportion to their size, as a person picks what is visible
            comp = int(rng.choice(n_comp, p=unbrushed / unbrushed.sum()))
            unbrushed[comp] = 0.0
            diameter = rng.uniform(d_lo, d_hi)
            length = rng.uniform(l_lo, l_hi)
            box = boxes[comp]
            candidates = components[box] == comp + 1
            mode = "boundary" if rng.random() < boundary else ("along", "across")[int(rng.integers(2))]
            if mode == "boundary":
                assert depth is not None
                near = candidates & (depth[box] <= diameter / 2)
                if near.any():
                    candidates = near
                else:
                    mode = "along"
            local = np.argwhere(candidates)
            voxel = tuple(int(v) + s.start for v, s in zip(local[rng.integers(len(local))], box))
            normal = _PLANE_NORMAL[planes[stroke_index % len(planes)]]
            stroke_index += 1
            index: list[object] = [slice(None)] * 3
            index[normal] = voxel[normal]
            seed_ab = (voxel[0], voxel[1]) if normal == 2 else (voxel[1], voxel[2]) if normal == 0 else (
                voxel[0], voxel[2])
            painted = _stroke(inside[tuple(index)], seed_ab, length, diameter / 2, mode)
            out[tuple(index)][painted] = label
    return out
