"""The fibre table: one row per straight fibre, in µm, with CSV and JSON files.

Columns (all float64):

========== ======= ==================================================================
centre     (n, 3)  midpoint of the fibre axis (µm), origin at the outer corner of voxel (0, 0, 0)
direction  (n, 3)  unit axis vector; its sign carries no meaning
length     (n,)    µm. cylinder: axis length between the flat end faces;
                   spherocylinder: tip-to-tip length *including* both caps (>= diameter),
                   i.e. the longest chord, as characterization measures it
diameter   (n,)    µm
========== ======= ==================================================================

A table is immutable (its arrays are read-only): edits make new tables (``table[mask]``,
``table.drop(i)``, ``table.replace(length=...)``, ``FibreTable.concat(a, b)``). Row i is the fibre
with instance label i + 1 in a rasterized volume.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from . import _validate
from .errors import FileFormatError

__all__ = ["FibreTable", "FIBRE_SHAPES"]

FIBRE_SHAPES = ("cylinder", "spherocylinder")
_CSV_COLUMNS = ("cx_um", "cy_um", "cz_um", "ux", "uy", "uz", "length_um", "diameter_um")
_FORMAT = "voxtwin.FibreTable"
_VERSION = 1


def _column(name: str, value: object, width: int | None) -> np.ndarray:
    try:
        arr = np.array(value, dtype=np.float64, order="C")  # always a private copy
    except (TypeError, ValueError):
        raise TypeError(f"`{name}` must be an array of numbers, got {name}={value!r}") from None
    expected = (-1, 3) if width else (-1,)
    if width and arr.ndim == 1 and arr.size == 0:
        arr = arr.reshape(0, 3)
    if arr.ndim != len(expected) or (width and arr.shape[1] != width):
        raise ValueError(f"`{name}` must have shape {'(n, 3)' if width else '(n,)'}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        bad = np.flatnonzero(~np.all(np.isfinite(arr.reshape(arr.shape[0], -1)), axis=1))
        raise ValueError(f"`{name}` must be finite; rows {bad[:10].tolist()} are not")
    return arr


class FibreTable:
    """Straight fibres: ``centre`` (n, 3), ``direction`` (n, 3), ``length`` (n,), ``diameter`` (n,), µm.

    ``direction`` rows are normalized to unit length (rows within 1e-12 of unit length are kept
    bit for bit, so saving and loading changes nothing). ``fibre_shape`` is ``"cylinder"`` or
    ``"spherocylinder"`` for the whole table.
    """

    __slots__ = ("_centre", "_direction", "_length", "_diameter", "_shape")

    def __init__(
        self,
        centre: object,
        direction: object,
        length: object,
        diameter: object,
        fibre_shape: str = "cylinder",
    ) -> None:
        self._shape = _validate.choice("fibre_shape", fibre_shape, FIBRE_SHAPES)
        c = _column("centre", centre, 3)
        u = _column("direction", direction, 3)
        length_arr = _column("length", length, None)
        d = _column("diameter", diameter, None)
        n = c.shape[0]
        if not (u.shape[0] == length_arr.shape[0] == d.shape[0] == n):
            raise ValueError(
                "`centre`, `direction`, `length` and `diameter` must have the same number of rows, got "
                f"{n}, {u.shape[0]}, {length_arr.shape[0]}, {d.shape[0]}"
            )
        norm = np.linalg.norm(u, axis=1)
        if np.any(norm == 0):
            raise ValueError(f"`direction` must be non-zero; rows {np.flatnonzero(norm == 0)[:10].tolist()} are zero")
        renorm = np.abs(norm - 1.0) > 1e-12
        u[renorm] /= norm[renorm, None]
        if np.any(d <= 0):
            i = int(np.flatnonzero(d <= 0)[0])
            raise ValueError(f"`diameter` must be > 0 µm, got diameter[{i}]={d[i]!r}")
        if np.any(length_arr <= 0):
            i = int(np.flatnonzero(length_arr <= 0)[0])
            raise ValueError(f"`length` must be > 0 µm, got length[{i}]={length_arr[i]!r}")
        if self._shape == "spherocylinder" and np.any(length_arr < d):
            i = int(np.flatnonzero(length_arr < d)[0])
            raise ValueError(
                "`length` of a spherocylinder is tip to tip, caps included, so it must be >= its diameter, "
                f"got length[{i}]={length_arr[i]!r} < diameter[{i}]={d[i]!r}"
            )
        for arr in (c, u, length_arr, d):
            arr.flags.writeable = False
        self._centre, self._direction, self._length, self._diameter = c, u, length_arr, d

    # ------------------------------------------------------------------ columns
    @property
    def centre(self) -> np.ndarray:
        """Axis midpoints, (n, 3) µm (read-only)."""
        return self._centre

    @property
    def direction(self) -> np.ndarray:
        """Unit axis vectors, (n, 3) (read-only)."""
        return self._direction

    @property
    def length(self) -> np.ndarray:
        """Lengths, (n,) µm: cylinder end face to end face; spherocylinder tip to tip (read-only)."""
        return self._length

    @property
    def diameter(self) -> np.ndarray:
        """Diameters, (n,) µm (read-only)."""
        return self._diameter

    @property
    def fibre_shape(self) -> str:
        """``"cylinder"`` or ``"spherocylinder"``."""
        return self._shape

    # ------------------------------------------------------------------ derived
    @property
    def axis_half_length(self) -> np.ndarray:
        """Half-length of each axis segment (µm): L/2 for cylinders, (L - d)/2 for spherocylinders."""
        if self._shape == "spherocylinder":
            return 0.5 * (self._length - self._diameter)
        return 0.5 * self._length

    def endpoints(self) -> np.ndarray:
        """Ends of each fibre, centre -/+ length/2 along the axis: (n, 2, 3) µm (tips for spherocylinders)."""
        half = (0.5 * self._length)[:, None] * self._direction
        return np.stack([self._centre - half, self._centre + half], axis=1)

    def volumes(self) -> np.ndarray:
        """Analytic volume of each fibre (µm³)."""
        r = 0.5 * self._diameter
        if self._shape == "spherocylinder":
            return np.pi * r**2 * (self._length - self._diameter) + 4.0 / 3.0 * np.pi * r**3
        return np.pi * r**2 * self._length

    def orientation_tensor(self, weights: str | np.ndarray | None = "volume") -> np.ndarray:
        """Orientation tensor of the fibres: volume-weighted by default, ``None`` for equal weights."""
        from .orientation import orientation_tensor

        if len(self) == 0:
            raise ValueError("an empty fibre table has no orientation tensor")
        if isinstance(weights, str):
            if weights != "volume":
                raise ValueError(f"`weights` must be 'volume', None or an array, got weights={weights!r}")
            return orientation_tensor(self._direction, self.volumes())
        return orientation_tensor(self._direction, weights)

    # ------------------------------------------------------------------ editing
    def __len__(self) -> int:
        return int(self._length.shape[0])

    def __getitem__(self, key: object) -> FibreTable:
        """A table of the selected rows: an int, a slice, an index array or a boolean mask."""
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            n = len(self)
            if not -n <= int(key) < n:
                raise IndexError(f"fibre index {key} out of range for a table of {n} fibres")
            key = [int(key)]
        if isinstance(key, np.ndarray) and key.dtype == bool and key.shape != (len(self),):
            raise IndexError(f"boolean mask must have shape ({len(self)},), got {key.shape}")
        return FibreTable(
            self._centre[key], self._direction[key], self._length[key], self._diameter[key], self._shape  # type: ignore[index]
        )

    def drop(self, indices: object) -> FibreTable:
        """The table without the rows ``indices`` (ints or a boolean mask)."""
        keep = np.ones(len(self), dtype=bool)
        keep[np.asarray(indices)] = False
        return self[keep]

    def replace(self, **columns: object) -> FibreTable:
        """A copy with some columns replaced, e.g. ``table.replace(length=table.length * 0.9)``."""
        unknown = set(columns) - {"centre", "direction", "length", "diameter", "fibre_shape"}
        if unknown:
            raise TypeError(f"unknown FibreTable column(s): {', '.join(sorted(unknown))}")
        args: dict[str, Any] = {
            "centre": self._centre,
            "direction": self._direction,
            "length": self._length,
            "diameter": self._diameter,
            "fibre_shape": self._shape,
        }
        args.update(columns)
        return FibreTable(**args)

    @classmethod
    def concat(cls, *tables: FibreTable) -> FibreTable:
        """Rows of all ``tables`` in order; they must share one fibre shape."""
        if not tables:
            raise ValueError("`tables` must hold at least one FibreTable")
        for t in tables:
            if not isinstance(t, FibreTable):
                raise TypeError(f"`tables` must be FibreTable objects, got {type(t).__name__}")
        shapes = {t.fibre_shape for t in tables}
        if len(shapes) > 1:
            raise ValueError(f"cannot concatenate tables of different fibre shapes: {sorted(shapes)}")
        return cls(
            np.concatenate([t.centre for t in tables]),
            np.concatenate([t.direction for t in tables]),
            np.concatenate([t.length for t in tables]),
            np.concatenate([t.diameter for t in tables]),
            tables[0].fibre_shape,
        )

    @classmethod
    def empty(cls, fibre_shape: str = "cylinder") -> FibreTable:
        """A table without fibres."""
        return cls(np.zeros((0, 3)), np.zeros((0, 3)), np.zeros(0), np.zeros(0), fibre_shape)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FibreTable):
            return NotImplemented
        return self._shape == other._shape and all(
            np.array_equal(a, b)
            for a, b in (
                (self._centre, other._centre),
                (self._direction, other._direction),
                (self._length, other._length),
                (self._diameter, other._diameter),
            )
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        if len(self) == 0:
            return f"FibreTable(0 {self._shape}s)"
        return (
            f"FibreTable({len(self)} {self._shape}s, diameter {self._diameter.mean():.4g} µm, "
            f"length {self._length.mean():.4g} µm on average)"
        )

    # ------------------------------------------------------------------ files
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (floats are written exactly by ``json``)."""
        return {
            "format": _FORMAT,
            "version": _VERSION,
            "fibre_shape": self._shape,
            "units": "um",
            "centre": self._centre.tolist(),
            "direction": self._direction.tolist(),
            "length": self._length.tolist(),
            "diameter": self._diameter.tolist(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FibreTable:
        """Inverse of :meth:`to_dict`."""
        if not isinstance(data, Mapping) or data.get("format") != _FORMAT:
            raise FileFormatError(f"not a voxtwin fibre table (expected format {_FORMAT!r})")
        if data.get("version") != _VERSION:
            raise FileFormatError(f"unsupported fibre table version {data.get('version')!r} (this reads {_VERSION})")
        try:
            return cls(data["centre"], data["direction"], data["length"], data["diameter"], data["fibre_shape"])
        except KeyError as exc:
            raise FileFormatError(f"fibre table is missing the field {exc}") from None

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write to ``.csv`` or ``.json`` (chosen by the suffix); returns the path."""
        p = Path(path)
        suffix = p.suffix.lower()
        if suffix == ".json":
            p.write_text(json.dumps(self.to_dict()))
        elif suffix == ".csv":
            header = f"# {_FORMAT} v{_VERSION}; fibre_shape={self._shape}; lengths in um\n" + ",".join(_CSV_COLUMNS)
            data = np.column_stack([self._centre, self._direction, self._length, self._diameter])
            np.savetxt(p, data.reshape(-1, 8), fmt="%.17g", delimiter=",", header=header, comments="")
        else:
            raise ValueError(f"`path` must end in .csv or .json, got path={str(path)!r}")
        return p

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> FibreTable:
        """Read a table written by :meth:`save` (``.csv`` or ``.json``)."""
        p = Path(path)
        suffix = p.suffix.lower()
        if suffix == ".json":
            try:
                return cls.from_dict(json.loads(p.read_text()))
            except json.JSONDecodeError as exc:
                raise FileFormatError(f"{p}: not valid JSON ({exc})") from None
        if suffix != ".csv":
            raise ValueError(f"`path` must end in .csv or .json, got path={str(path)!r}")
        lines = p.read_text().splitlines()
        if len(lines) < 2 or not lines[0].startswith(f"# {_FORMAT} v{_VERSION};") or "fibre_shape=" not in lines[0]:
            raise FileFormatError(f"{p}: not a voxtwin fibre table (first line must be '# {_FORMAT} v{_VERSION}; ...')")
        if tuple(lines[1].split(",")) != _CSV_COLUMNS:
            raise FileFormatError(f"{p}: columns must be {','.join(_CSV_COLUMNS)}, got {lines[1]!r}")
        fibre_shape = lines[0].split("fibre_shape=", 1)[1].split(";", 1)[0].strip()
        rows = [line for line in lines[2:] if line.strip()]
        data = np.zeros((0, 8))
        if rows:
            try:
                data = np.loadtxt(io.StringIO("\n".join(rows)), delimiter=",", dtype=np.float64, ndmin=2)
            except ValueError as exc:
                raise FileFormatError(f"{p}: every data row must hold 8 numbers ({exc})") from None
            if data.shape[1] != 8:
                raise FileFormatError(f"{p}: every data row must hold 8 numbers, got {data.shape[1]}")
        return cls(data[:, 0:3], data[:, 3:6], data[:, 6], data[:, 7], fibre_shape)

    def _arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Columns as the C++ bindings take them."""
        return self._centre, self._direction, self._length, self._diameter
