"""Run folders: manifest, fingerprints, resumability, and the HTML report."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import pytest

from voxtwin.pipeline import RunDir, StepRecord, fingerprint, write_report


def tiny_png(path: Path) -> None:
    """A 1×1 red PNG written by hand (no plotting library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"\x00\xff\x00\x00"
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    path.write_bytes(png)


def test_fingerprint_depends_on_settings_and_upstream() -> None:
    a = fingerprint({"factor": 4})
    assert a == fingerprint({"factor": 4})
    assert a != fingerprint({"factor": 2})
    assert a != fingerprint({"factor": 4}, "upstream-changed")
    # Key order does not matter.
    assert fingerprint({"a": 1, "b": 2}) == fingerprint({"b": 2, "a": 1})


def test_step_is_done_only_with_same_fingerprint_and_outputs(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "run")
    out = run.write_json("segment", {"iou": 0.9})
    fp = fingerprint({"method": "otsu"})
    assert not run.is_done("segment", fp)
    run.finish(StepRecord("segment", fp, outputs={"result": run.rel(out)}, summary={"iou": 0.9}))
    assert run.is_done("segment", fp)
    assert not run.is_done("segment", fingerprint({"method": "unet"}))
    # Reopening keeps the manifest.
    again = RunDir(tmp_path / "run", create=False)
    assert again.is_done("segment", fp)
    assert again.record("segment").summary == {"iou": 0.9}
    # A lost output makes the step undone.
    out.unlink()
    assert not again.is_done("segment", fp)


def test_manifest_survives_a_crash_between_steps(tmp_path: Path) -> None:
    run = RunDir(tmp_path)
    run.finish(StepRecord("a", "1"))
    # A stray temporary file from an interrupted write does not corrupt the manifest.
    (tmp_path / "run.json.tmp").write_text("{ half written")
    assert [s.name for s in RunDir(tmp_path, create=False).steps()] == ["a"]


def test_opening_a_non_run_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="not a voxtwin run folder"):
        RunDir(tmp_path / "nothing", create=False)


def test_corrupt_manifest_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "run.json").write_text("not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        RunDir(tmp_path)


def test_report_is_self_contained(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "run")
    run.set_info(name="demo <1>", version="0.1.0", config={"composite": {"factor": 4}})
    fig = run.file("figures", "modulus_rose.png")
    tiny_png(fig)
    run.finish(
        StepRecord(
            "simulate",
            "fp",
            summary={"E_x (GPa)": 5.25, "C (GPa)": [[1.0, 2.0], [2.0, 1.0]], "converged": True, "note": "<b>x</b>"},
            figures=[run.rel(fig)],
            seconds=1.5,
        )
    )
    page = write_report(run.path).read_text()
    assert "data:image/png;base64," in page
    assert "modulus rose" in page
    assert "demo &lt;1&gt;" in page and "&lt;b&gt;x&lt;/b&gt;" in page  # escaped, never raw HTML
    assert "5.25" in page and "yes" in page
    assert not re.search(r"(src|href)=[\"']https?:", page)
    assert "&quot;factor&quot;: 4" in page  # the configuration, escaped
