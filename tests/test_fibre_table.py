"""The fibre table: validation, editing, derived quantities, exact CSV/JSON round trips."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import voxtwin as vt
from voxtwin.errors import FileFormatError


def _table(rng: np.random.Generator, n: int = 25, fibre_shape: str = "cylinder") -> vt.FibreTable:
    u = rng.normal(size=(n, 3))
    d = rng.uniform(5.0, 20.0, n)
    return vt.FibreTable(rng.uniform(0, 500, (n, 3)), u, d + rng.uniform(0.0, 100.0, n), d, fibre_shape)


def test_columns_are_read_only_copies(rng: np.random.Generator) -> None:
    centre = rng.uniform(0, 10, (3, 3))
    t = vt.FibreTable(centre, [[1, 0, 0]] * 3, [5.0] * 3, [1.0] * 3)
    centre[0, 0] = -1.0
    assert t.centre[0, 0] != -1.0
    with pytest.raises(ValueError):
        t.length[0] = 3.0
    assert t.centre.dtype == np.float64 and t.direction.shape == (3, 3)


def test_directions_are_normalized_and_unit_rows_kept_bit_for_bit() -> None:
    unit = np.array([0.6, 0.0, 0.8])
    t = vt.FibreTable([[0, 0, 0], [1, 1, 1]], [[0.0, 3.0, 4.0], unit], [2.0, 2.0], [1.0, 1.0])
    np.testing.assert_allclose(t.direction[0], [0.0, 0.6, 0.8], rtol=1e-15)
    assert t.direction[1].tobytes() == unit.tobytes()


def test_editing_makes_new_tables(rng: np.random.Generator) -> None:
    t = _table(rng)
    assert len(t[3:7]) == 4 and len(t[t.length > 60]) == int(np.sum(t.length > 60))
    assert t[2] == t[[2]]
    dropped = t.drop([0, 5])
    assert len(dropped) == len(t) - 2 and dropped[0] == t[1]
    shorter = t.replace(length=t.length * 0.5 + t.diameter * 0.5)
    assert np.array_equal(shorter.centre, t.centre) and not np.array_equal(shorter.length, t.length)
    both = vt.FibreTable.concat(t[:10], t[10:])
    assert both == t
    with pytest.raises(ValueError, match="different fibre shapes"):
        vt.FibreTable.concat(t, _table(rng, 3, "spherocylinder"))
    with pytest.raises(IndexError):
        t[len(t)]
    with pytest.raises(TypeError, match="unknown"):
        t.replace(colour=1)


def test_volumes_endpoints_and_tensor() -> None:
    c = vt.FibreTable([[0, 0, 0], [10, 0, 0]], [[1, 0, 0], [0, 0, 1]], [10.0, 30.0], [2.0, 4.0])
    s = vt.FibreTable([[0, 0, 0]], [[0, 1, 0]], [10.0], [2.0], "spherocylinder")
    np.testing.assert_allclose(c.volumes(), [math.pi * 10.0, math.pi * 4.0 * 30.0])
    np.testing.assert_allclose(s.volumes(), [math.pi * 8.0 + 4.0 / 3.0 * math.pi])
    np.testing.assert_allclose(s.axis_half_length, [4.0])
    np.testing.assert_allclose(c.endpoints()[1], [[10, 0, -15], [10, 0, 15]])
    w = c.volumes()
    np.testing.assert_allclose(c.orientation_tensor(), np.diag([w[0], 0.0, w[1]]) / w.sum())
    np.testing.assert_allclose(c.orientation_tensor(None), np.diag([0.5, 0.0, 0.5]))


@pytest.mark.parametrize("suffix", [".csv", ".json"])
@pytest.mark.parametrize("fibre_shape", ["cylinder", "spherocylinder"])
def test_files_round_trip_exactly(tmp_path: Path, rng: np.random.Generator, suffix: str, fibre_shape: str) -> None:
    t = _table(rng, 40, fibre_shape)
    path = t.save(tmp_path / f"fibres{suffix}")
    back = vt.FibreTable.load(path)
    assert back == t and back.fibre_shape == fibre_shape
    empty = vt.FibreTable.empty(fibre_shape)
    assert vt.FibreTable.load(empty.save(tmp_path / f"empty{suffix}")) == empty


def test_csv_is_readable_by_other_tools(tmp_path: Path, rng: np.random.Generator) -> None:
    t = _table(rng, 5)
    path = t.save(tmp_path / "fibres.csv")
    data = np.genfromtxt(path, delimiter=",", names=True, skip_header=1)
    np.testing.assert_array_equal(data["length_um"], t.length)
    np.testing.assert_array_equal(data["cx_um"], t.centre[:, 0])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"diameter": [-1.0]}, "`diameter`"),
        ({"length": [0.0]}, "`length`"),
        ({"direction": [[0.0, 0.0, 0.0]]}, "`direction`"),
        ({"centre": [[np.nan, 0.0, 0.0]]}, "`centre`"),
        ({"centre": [[0.0, 0.0]]}, "`centre`"),
        ({"length": [1.0, 2.0]}, "same number of rows"),
        ({"fibre_shape": "ellipsoid"}, "`fibre_shape`"),
        ({"fibre_shape": "spherocylinder", "length": [1.0]}, "tip to tip"),
    ],
)
def test_bad_tables_are_rejected(kwargs: dict[str, object], match: str) -> None:
    args: dict[str, object] = {
        "centre": [[0.0, 0.0, 0.0]],
        "direction": [[1.0, 0.0, 0.0]],
        "length": [10.0],
        "diameter": [2.0],
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        vt.FibreTable(**args)  # type: ignore[arg-type]


def test_bad_files_raise_file_format_errors(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("x,y\n1,2\n")
    with pytest.raises(FileFormatError, match="not a voxtwin fibre table"):
        vt.FibreTable.load(tmp_path / "bad.csv")
    (tmp_path / "bad.json").write_text('{"format": "something else"}')
    with pytest.raises(FileFormatError):
        vt.FibreTable.load(tmp_path / "bad.json")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(FileFormatError, match="JSON"):
        vt.FibreTable.load(tmp_path / "broken.json")
    with pytest.raises(ValueError, match="`path`"):
        vt.FibreTable.empty().save(tmp_path / "fibres.txt")
