"""Bad G-code: numbers that are not coordinates, binary data, endless devices, arcs and moves that
would expand beyond memory. Each gives a FileFormatError naming the file and line (or an
InsufficientMemoryError) before any large allocation; cases that once crashed run in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import voxtwin as vt
from voxtwin import gcode

HEADER = "G21\nG90\nM82\nG92 E0\nG1 Z0.2\n;TYPE:Solid infill\n;WIDTH:0.45\nG1 X0 Y0\n"


def write(tmp_path: Path, body: str, name: str = "t.gcode") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + textwrap.dedent(body).strip() + "\n")
    return path


def library() -> vt.BlockLibrary:
    lib = vt.BlockLibrary((5, 5, 5), 100.0)
    for kind in ("inner", "outer"):
        for a in (0, 45, 90, 135):
            lib.add_array(f"{kind}_{a}", np.zeros((5, 5, 5), dtype=np.uint8), angle=a, kind=kind)
    return lib


def test_scientific_notation_is_not_read_as_an_e_word(tmp_path: Path) -> None:
    path = write(tmp_path, "G1 X1e30 Y5 E2")
    with pytest.raises(vt.FileFormatError, match=r"t.gcode, line 9: .*scientific notation"):
        gcode.read(path)
    path = write(tmp_path, "G1 X1E3 Y5 E2")  # upper case in a spaced line: as ambiguous
    with pytest.raises(vt.FileFormatError, match="line 9"):
        gcode.read(path)


def test_compact_words_without_spaces_still_parse(tmp_path: Path) -> None:
    plan = gcode.read(write(tmp_path, "G1X10Y0E2\nG1X10Y10E4"))
    assert plan.end[-1].tolist() == pytest.approx([10000.0, 10000.0, 200.0])
    assert plan.extrusion[-2:].tolist() == pytest.approx([2.0, 2.0])


@pytest.mark.parametrize("number", ["1" + "0" * 30, "1" + "0" * 17, "1000000", "-250000.5"])
def test_coordinates_beyond_any_printer_are_refused_with_the_line(tmp_path: Path, number: str) -> None:
    path = write(tmp_path, f"G1 X5 Y5 E1\nG1 X{number} Y5 E2")
    with pytest.raises(vt.FileFormatError, match=r"line 10: .*beyond"):
        gcode.read(path)


def test_a_million_digit_number_is_refused_quickly(tmp_path: Path) -> None:
    path = write(tmp_path, "G1 X" + "9" * 1_000_000 + " Y5 E2")
    with pytest.raises(vt.FileFormatError, match="line 9: a number of 1000000 characters"):
        gcode.read(path)


def test_relative_moves_accumulating_beyond_the_bound_are_refused(tmp_path: Path) -> None:
    moves = "\n".join(f"G1 X90000 E{i + 1}" for i in range(3))
    path = write(tmp_path, "G91\n" + moves)
    with pytest.raises(vt.FileFormatError, match=r"line 11: the move goes beyond"):
        gcode.read(path)


def test_arc_with_absurd_turns_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "G2 X0 Y0 I5 J0 P1000000000 E1")
    with pytest.raises(vt.FileFormatError, match="line 9: arc turns P"):
        gcode.read(path)


def test_arc_whose_chords_do_not_fit_memory_is_refused(tmp_path: Path) -> None:
    # radius 50 m at a 1e-6 µm chord tolerance: ~1e11 chords per turn
    path = write(tmp_path, "G1 X0 Y0\nG2 X0 Y0 I50000 J0 P1000 E1")
    with pytest.raises(vt.InsufficientMemoryError, match="line 10: an arc of"):
        gcode.read(path, arc_tolerance_um=1e-6)


@pytest.mark.skipif(not os.path.exists("/dev/urandom"), reason="no /dev/urandom")
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_devices_are_refused_at_once(device: str) -> None:
    with pytest.raises(vt.FileFormatError, match="not a G-code text file"):
        gcode.read(device)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(vt.MissingFileError, match="nothing.gcode"):
        gcode.read(tmp_path / "nothing.gcode")


def test_rasterize_on_tiny_cells_is_refused_before_allocating(tmp_path: Path) -> None:
    plan = gcode.read(write(tmp_path, "G1 X90000 Y0 E10\nG1 X90000 Y90000 E20"))
    with pytest.raises(vt.InsufficientMemoryError, match="cell grid"):
        gcode.rasterize(plan, (0.5, 0.5, 200.0))


_CRASH = """
import sys
import voxtwin as vt
sys.path.insert(0, {tests!r})
from test_hardening_gcode import library
for path in {paths!r}:
    try:
        plan = vt.gcode.read(path)
        vt.gcode.to_assembly(plan, library())
        print("accepted", path)
    except (vt.VoxtwinError, ValueError, TypeError) as exc:
        print(type(exc).__name__, exc)
"""


def test_once_crashing_coordinates_end_in_a_clear_error_in_a_subprocess(tmp_path: Path) -> None:
    """A coordinate of 10**e mm written in digits used to overflow an int64 cast and crash numpy
    (e = 30), or fail with a bare MemoryError or a negative-dimension error (e = 6..17)."""
    paths = []
    for exponent in (6, 15, 17, 30):
        paths.append(str(write(tmp_path, f"G1 X5 Y5 E1\nG1 X1{'0' * exponent} Y5 E2", f"e{exponent}.gcode")))
    script = _CRASH.format(tests=str(Path(__file__).parent), paths=paths)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr  # no signal, no traceback
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 4 and all(line.startswith("FileFormatError") and "line 10" in line for line in lines), lines
