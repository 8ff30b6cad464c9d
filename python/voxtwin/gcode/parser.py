"""Reading slicer G-code (PrusaSlicer, Slic3r, Cura, Simplify3D, ...) into a :class:`PrintPlan`.

Understood: G0/G1 moves with E extrusion; G2/G3 arcs (I/J centre offsets or R radius, optional
helical Z), linearized within ``arc_tolerance_um``; G90/G91 absolute/relative positions and
M82/M83 absolute/relative extrusion (as in Marlin: G90/G91 set E too, M82/M83 then override);
G92 position resets (``G92 E0`` after retractions); G20/G21 inches/millimetres; G28 homing;
line numbers (N) and checksums (*). Feature types come from ``;TYPE:`` comments (PrusaSlicer,
SuperSlicer, Orca, Cura), ``; feature`` comments (Simplify3D) or a role comment after the move
(Slic3r's ``--gcode-comments``); road widths from ``;WIDTH:`` comments or the header's
"extrusion width" lines. Layers are the heights at which material is deposited. Other commands
(temperatures, fans, tool changes, dwell) do not move the nozzle and are skipped.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from pathlib import Path

import numpy as np

from .. import _validate
from .._limits import available_memory, read_capped, require_memory
from ..errors import FileFormatError, VoxtwinWarning
from .plan import UNKNOWN, PrintPlan, categorize

__all__ = ["GcodeWarning", "read"]


class GcodeWarning(VoxtwinWarning):
    """A malformed G-code line skipped by ``read(..., errors="warn")``."""


_WORD = re.compile(r"([A-Za-z])\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+))?")
# A number glued to an exponent-like E word ("X1e30"): firmware reads X1 E30, a person meant 1e30.
# (atomic group: no backtracking into a long run of digits, linear time)
_GLUED_EXPONENT = re.compile(r"[XYZIJRFPE]\s*[-+]?(?>\d+(?:\.\d*)?|\.\d+)[eE][-+]?\d", re.IGNORECASE)
_MAX_NUMBER_CHARS = 40  # longer digit strings are not coordinates (and would be slow to convert)
#: Largest |coordinate| accepted, mm: 100 m is beyond any printer; larger values are typos or damage
#: (and overflow integer cell indices later on).
MAX_COORDINATE_MM = 1e5
_ROW_BYTES = 512  # memory of one parsed move while reading (a tuple of 11 floats and its list slot)
_MAX_BYTES = 1 << 31  # 2 GiB of G-code text at most (devices and endless pipes are cut off here)
_CHECKSUM = re.compile(r"\*\d+\s*$")
_PAREN = re.compile(r"\([^)]*\)")
_WIDTH_HEADER = re.compile(r"^\s*(?:external )?perimeters? extrusion width\s*=\s*([\d.]+)\s*mm", re.IGNORECASE)
_WIDTH_ANY = re.compile(r"^\s*\w[\w ]* extrusion width\s*=\s*([\d.]+)\s*mm", re.IGNORECASE)
# Slic3r's --gcode-comments role names after an extruding move.
_ROLE_COMMENTS = {"perimeter", "external perimeter", "overhang perimeter", "infill", "solid infill",
                  "internal infill", "top solid infill", "bridge infill", "gap fill", "skirt", "brim",
                  "support material", "support material interface", "wipe tower"}
_COMMAND = re.compile(r"([GMTgmt])\s*(\d+(?:\.\d+)?)(?![\d.])")
_MACRO = re.compile(r"[A-Z_][A-Z0-9_]+(\s|$)")
_HANDLED = {"G0", "G1", "G2", "G3", "G20", "G21", "G28", "G90", "G91", "G92", "M82", "M83"}
_MM_PER = {"G20": 25.4, "G21": 1.0}


class _Malformed(Exception):
    pass


def _binary(head: bytes) -> bool:
    """More than 1 % control bytes (other than tab, CR, LF) or bytes that are not UTF-8: not G-code
    text (a few Latin-1 characters in comments are fine)."""
    control = sum(head.count(bytes([c])) for c in range(32) if c not in (9, 10, 13))
    invalid = head.decode("utf-8", errors="replace").count("\ufffd")
    return control + invalid > len(head) // 100


def _words(code: str) -> list[tuple[str, float | None]]:
    """Letter/number words of a code fragment; _Malformed if anything else is in it."""
    words = []
    pos = 0
    glued = _GLUED_EXPONENT.search(code)
    if glued and (" " in code.strip() or "e" in glued.group(0)):
        raise _Malformed(f"{glued.group(0)!r} looks like scientific notation, which G-code does not have (firmware "
                         "reads it as two words); write the number in plain digits, or a space before an E word")
    for m in _WORD.finditer(code):
        if code[pos:m.start()].strip():
            raise _Malformed(f"unexpected text {code[pos:m.start()].strip()!r}")
        number = m.group(2)
        if number is not None and len(number) > _MAX_NUMBER_CHARS:
            raise _Malformed(f"a number of {len(number)} characters after {m.group(1)!r}")
        value = None if number is None else float(number)
        if value is not None and m.group(1).upper() in "XYZIJRE" and abs(value) > MAX_COORDINATE_MM:
            raise _Malformed(f"{m.group(1).upper()}{number} is beyond ±{MAX_COORDINATE_MM:g} mm")
        words.append((m.group(1).upper(), value))
        pos = m.end()
    if code[pos:].strip():
        raise _Malformed(f"unexpected text {code[pos:].strip()!r}")
    return words


def _arc_geometry(start: np.ndarray, end: np.ndarray, centre: np.ndarray, clockwise: bool, tol: float,
                  turns: int) -> tuple[float, float, float, int]:
    """Radius, start angle, sweep (rad) and number of chords of an XY arc."""
    r = float(np.hypot(*(start[:2] - centre)))
    a0 = math.atan2(start[1] - centre[1], start[0] - centre[0])
    a1 = math.atan2(end[1] - centre[1], end[0] - centre[0])
    sweep = (a0 - a1) if clockwise else (a1 - a0)
    sweep %= 2 * math.pi
    if sweep < 1e-12:
        sweep = 2 * math.pi  # end on start: a full circle
    sweep += 2 * math.pi * max(turns - 1, 0)
    step = 2 * math.acos(max(-1.0, 1 - tol / r)) if r > tol else math.pi
    return r, a0, sweep, max(1, math.ceil(sweep / step))


def _arc_count(start: np.ndarray, end: np.ndarray, centre: np.ndarray, clockwise: bool, tol: float,
               turns: int) -> int:
    """Number of chords ``_arc_points`` will make (checked against memory first)."""
    return _arc_geometry(start, end, centre, clockwise, tol, turns)[3]


def _arc_points(start: np.ndarray, end: np.ndarray, centre: np.ndarray, clockwise: bool, tol: float,
                turns: int) -> np.ndarray:
    """Points (k, 3) after ``start`` along an XY arc about ``centre`` ending exactly at ``end`` (mm)."""
    r, a0, sweep, n = _arc_geometry(start, end, centre, clockwise, tol, turns)
    k = np.arange(1, n + 1) / n
    ang = a0 + (-1 if clockwise else 1) * sweep * k
    pts = np.column_stack([centre[0] + r * np.cos(ang), centre[1] + r * np.sin(ang), start[2] + k * (end[2] - start[2])])
    pts[-1] = end
    return pts


def read(path: str | os.PathLike, *, errors: str = "raise", arc_tolerance_um: float = 5.0) -> PrintPlan:
    """Parses a G-code file into a :class:`PrintPlan` (lengths in µm).

    ``errors``: "raise" (default) raises :class:`voxtwin.FileFormatError` at the first malformed
    line, naming the file and line number; "warn" emits a :class:`GcodeWarning` with the line
    number and skips the line. ``arc_tolerance_um``: largest distance between an arc and its
    chords.
    """
    _validate.choice("errors", errors, ("raise", "warn"))
    tol_mm = _validate.positive("arc_tolerance_um", arc_tolerance_um, "µm") / 1000.0
    path = Path(os.fspath(path))

    def text_only(head: bytes) -> None:
        if head[:4] == b"GCDE":
            raise FileFormatError(f"`path`={str(path)!r} is binary G-code (.bgcode); export ASCII G-code from the slicer")
        if b"\0" in head or _binary(head):
            raise FileFormatError(f"`path`={str(path)!r} is not a G-code text file (binary data in its first bytes)")

    raw = read_capped(path, min(_MAX_BYTES, available_memory() // 8), "G-code `path`", check_head=text_only)
    # each line of text becomes at most a few moves; refuse a file whose moves cannot fit in memory
    require_memory(raw.count(b"\n") * _ROW_BYTES, f"reading the G-code {path.name} ({len(raw)} bytes)")
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")

    pos = np.zeros(3)  # mm, in the current coordinate system
    e = 0.0
    rel_xyz = False
    rel_e = False
    unit = 1.0
    feature = ""
    width = math.nan
    names: dict[str, int] = {}
    default_width = math.nan
    any_width = math.nan
    generator = ""
    rows: list[tuple] = []  # (x0, y0, z0, x1, y1, z1, de, feature_id, category, width_um, line)

    def fail(lineno: int, line: str, reason: str) -> None:
        msg = f"{path.name}, line {lineno}: {reason}: {line.strip()!r}"
        if errors == "raise":
            raise FileFormatError(msg)
        warnings.warn(msg, GcodeWarning, stacklevel=3)

    for lineno, line in enumerate(text.splitlines(), start=1):
        code, _, comment = line.partition(";")
        comment = comment.strip()
        if comment and not code.strip():  # a comment line: features, widths, header
            upper = comment.upper()
            if upper.startswith("TYPE:"):
                feature = comment[5:].strip()
            elif comment.lower().startswith("feature "):
                feature = comment[8:].strip()
            elif upper.startswith("WIDTH:"):
                try:
                    width = float(comment[6:]) * 1000.0
                except ValueError:
                    fail(lineno, line, "bad ;WIDTH: value")
            elif not generator and comment.lower().startswith("generated by"):
                generator = comment[len("generated by"):].split(" on ")[0].strip()
            else:
                m = _WIDTH_HEADER.match(comment)
                if m and math.isnan(default_width):
                    default_width = float(m.group(1)) * 1000.0
                m = _WIDTH_ANY.match(comment)
                if m and math.isnan(any_width):
                    any_width = float(m.group(1)) * 1000.0
            continue
        code = _CHECKSUM.sub("", _PAREN.sub(" ", code)).strip()
        if not code:
            continue
        try:
            if code[0] in "Nn" and len(code.split()) > 1 and code.split()[0][1:].isdigit():  # line number
                code = code.split(None, 1)[1]
            cmd_match = _COMMAND.match(code)
            if cmd_match is None:
                if _MACRO.match(code):  # firmware macro (Klipper: START_PRINT, EXCLUDE_OBJECT_START NAME=..)
                    continue
                raise _Malformed("a line must start with a G, M or T command")
            number = cmd_match.group(2)
            whole, _, sub = number.partition(".")
            cmd = f"{cmd_match.group(1).upper()}{int(whole)}" + (f".{sub}" if sub else "")
            if cmd not in _HANDLED:  # temperatures, fans, tool changes, dwell, printer checks, ...
                continue
            args: dict[str, float | None] = dict(_words(code[cmd_match.end():]))
            if cmd in ("G0", "G1", "G2", "G3"):
                if any(v is None for v in args.values()):
                    raise _Malformed("an axis letter without a number")
                target = pos.copy()
                for a, letter in enumerate("XYZ"):
                    if letter in args:
                        v = args[letter] * unit  # type: ignore[operator]
                        target[a] = pos[a] + v if rel_xyz else v
                if np.abs(target).max() > MAX_COORDINATE_MM:
                    raise _Malformed(f"the move goes beyond ±{MAX_COORDINATE_MM:g} mm (to {target.tolist()} mm)")
                de = 0.0
                if "E" in args:
                    v = args["E"] * unit  # type: ignore[operator]
                    de = v if rel_e else v - e
                    e = e + v if rel_e else v
                if cmd in ("G0", "G1"):
                    pts = target[None, :]
                else:
                    if "R" in args:
                        r = float(args["R"]) * unit  # type: ignore[arg-type]
                        chord = target[:2] - pos[:2]
                        half = float(np.hypot(*chord)) / 2
                        if half == 0 or abs(r) < half * (1 - 1e-9):
                            raise _Malformed("arc radius R is shorter than half the chord")
                        h = math.sqrt(max(r * r - half * half, 0.0))
                        normal = np.array([-chord[1], chord[0]]) / (2 * half)
                        # G2 (clockwise) with R > 0 takes the short way: centre to the right of the chord
                        side = -1.0 if (cmd == "G2") == (r > 0) else 1.0
                        centre = pos[:2] + chord / 2 + side * h * normal
                    elif "I" in args or "J" in args:
                        centre = pos[:2] + np.array([args.get("I") or 0.0, args.get("J") or 0.0]) * unit
                    else:
                        raise _Malformed("an arc needs I/J or R")
                    r0 = float(np.hypot(*(pos[:2] - centre)))
                    r1 = float(np.hypot(*(target[:2] - centre)))
                    if r0 == 0 or abs(r0 - r1) > max(0.01, 0.01 * r0):
                        raise _Malformed(f"arc end is not on the arc (radius {r0:.4f} mm at the start, {r1:.4f} mm at the end)")
                    p_turns = args.get("P") or 1
                    if p_turns != int(p_turns) or not 1 <= p_turns <= 1000:
                        raise _Malformed(f"arc turns P must be a whole number in 1..1000, got P={p_turns!r}")
                    turns = int(p_turns)
                    n_pts = _arc_count(pos, target, centre, cmd == "G2", tol_mm, turns)
                    require_memory((len(rows) + n_pts) * _ROW_BYTES,
                                   f"{path.name}, line {lineno}: an arc of {n_pts} chords within arc_tolerance_um")
                    pts = _arc_points(pos, target, centre, cmd == "G2", tol_mm, turns)
                if de == 0.0 and np.array_equal(target, pos) and cmd in ("G0", "G1"):
                    continue  # a feed-rate change ("G1 F600"): no move
                fid = names.setdefault(feature, len(names)) if feature else -1
                cat = categorize(feature)
                role = comment.lower()
                if cat == UNKNOWN and role in _ROLE_COMMENTS:  # Slic3r: the role follows the move
                    fid, cat = names.setdefault(role, len(names)), categorize(role)
                prev = pos
                share = de / len(pts)
                for p in pts:
                    rows.append((*prev, *p, share, fid, cat, width, lineno))
                    prev = p
                pos = target
            elif cmd == "G90":
                rel_xyz = rel_e = False
            elif cmd == "G91":
                rel_xyz = rel_e = True
            elif cmd == "M82":
                rel_e = False
            elif cmd == "M83":
                rel_e = True
            elif cmd in _MM_PER:
                unit = _MM_PER[cmd]
            elif cmd == "G92":
                if not args:
                    pos[:] = 0.0
                    e = 0.0
                for a, letter in enumerate("XYZ"):
                    if letter in args:
                        pos[a] = (args[letter] or 0.0) * unit
                if "E" in args:
                    e = (args["E"] or 0.0) * unit
            elif cmd == "G28":
                axes = [a for a, letter in enumerate("XYZ") if letter in args] or [0, 1, 2]
                pos[axes] = 0.0
        except _Malformed as exc:
            fail(lineno, line, str(exc))
        except (ValueError, TypeError, OverflowError) as exc:
            fail(lineno, line, f"cannot parse ({exc})")

    data = np.array(rows, dtype=np.float64).reshape(-1, 11)
    start = data[:, 0:3] * 1000.0
    end = data[:, 3:6] * 1000.0
    extrusion = data[:, 6]
    xy = np.hypot(end[:, 0] - start[:, 0], end[:, 1] - start[:, 1])
    depositing = (extrusion > 0) & (xy > 0)
    z = np.round(end[:, 2], 3)  # 1 nm: heights written with a few decimals compare exactly
    layer_z = np.unique(z[depositing])
    layer = np.full(len(z), -1, dtype=np.int32)
    if len(layer_z):
        idx = np.minimum(np.searchsorted(layer_z, z), len(layer_z) - 1)
        layer = np.where(layer_z[idx] == z, idx, -1).astype(np.int32)
    fallback = default_width if not math.isnan(default_width) else any_width
    return PrintPlan(start=start, end=end, extrusion=extrusion, feature=data[:, 7].astype(np.int32),
                     category=data[:, 8].astype(np.uint8), width=data[:, 9], line=data[:, 10].astype(np.int64),
                     layer=layer, layer_z=layer_z, feature_names=tuple(names), default_width_um=fallback,
                     source=path.name, generator=generator)
