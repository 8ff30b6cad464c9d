"""Bad volume files: every one gives a FileFormatError / MissingFileError / InsufficientMemoryError
naming the file, before anything large is allocated (crafted files, written by each test)."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import pytest
import tifffile
import zarr

import voxtwin as vt

HUGE = 2**40  # elements: far beyond the memory of any test machine


def _patch_tiff_tag(path: Path, tag: str, value: int) -> None:
    """Overwrite one SHORT/LONG tag value of the first page in place (little-endian classic TIFF)."""
    with tifffile.TiffFile(path) as tif:
        t = tif.pages[0].tags[tag]
        offset, dtype = t.valueoffset, t.dtype
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(struct.pack("<H" if dtype == 3 else "<I", value))


def test_missing_file_is_a_voxtwin_error_and_a_file_not_found_error(tmp_path: Path) -> None:
    with pytest.raises(vt.MissingFileError, match="nothing.tif") as info:
        vt.io.read(tmp_path / "nothing.tif")
    assert isinstance(info.value, FileNotFoundError) and isinstance(info.value, vt.VoxtwinError)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
@pytest.mark.parametrize("fmt", ["raw", "npy", "tiff", "zarr"])
def test_devices_are_refused_before_reading(fmt: str) -> None:
    kwargs = {"shape": (10, 10, 10), "dtype": "uint8"} if fmt == "raw" else {}
    with pytest.raises(vt.FileFormatError, match="not a regular file"):
        vt.io.read("/dev/zero", format=fmt, **kwargs)


def test_tiff_pages_of_different_sizes_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "mixed.tif"
    with tifffile.TiffWriter(path) as tw:
        tw.write(np.zeros((8, 8), np.uint8), photometric="minisblack")
        tw.write(np.zeros((6, 8), np.uint8), photometric="minisblack")
    with pytest.raises(vt.FileFormatError, match="pages differ"):
        vt.io.read(path)


def test_tiff_pages_of_different_dtypes_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "mixed_dtype.tif"
    with tifffile.TiffWriter(path) as tw:
        tw.write(np.zeros((8, 8), np.uint8), photometric="minisblack")
        tw.write(np.zeros((8, 8), np.uint16), photometric="minisblack")
    with pytest.raises(vt.FileFormatError, match="pages differ"):
        vt.io.read(path)


def test_a_reduced_resolution_thumbnail_page_is_not_a_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "thumb.tif"
    with tifffile.TiffWriter(path) as tw:
        tw.write(np.arange(3 * 8 * 8, dtype=np.uint8).reshape(3, 8, 8), photometric="minisblack")
        tw.write(np.zeros((2, 2), np.uint8), photometric="minisblack", subfiletype=1)  # a preview
    assert vt.io.read(path).data.shape == (8, 8, 3)


def test_tiny_tiff_is_a_file_format_error(tmp_path: Path) -> None:
    path = tmp_path / "six.tif"
    path.write_bytes(b"II*\x00\x08\x00")
    with pytest.raises(vt.FileFormatError, match="six.tif"):
        vt.io.read(path)


def test_tiff_header_declaring_a_huge_page_is_refused_before_allocating(tmp_path: Path) -> None:
    path = tmp_path / "huge.tif"
    tifffile.imwrite(path, np.zeros((4, 4), np.uint8), photometric="minisblack")
    _patch_tiff_tag(path, "ImageWidth", 2**31 - 1)
    _patch_tiff_tag(path, "ImageLength", 2**31 - 1)
    with pytest.raises((vt.InsufficientMemoryError, vt.FileFormatError), match="huge.tif"):
        vt.io.read(path)


def _npy_with_header(path: Path, header: bytes, payload: bytes = b"") -> None:
    header = header + b" " * (-(10 + len(header) + 1) % 64) + b"\n"
    path.write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + payload)


@pytest.mark.parametrize("header", [
    b"{'descr': '|u1', 'fortran_order': False, 'shape': (4, 4, ",  # cut short: tokenize error in numpy
    b"{'descr': '|u1', 'fortran_order': False}",  # no shape
    b"not a dict at all",
])
def test_broken_npy_header_is_a_file_format_error(tmp_path: Path, header: bytes) -> None:
    path = tmp_path / "broken.npy"
    _npy_with_header(path, header)
    with pytest.raises(vt.FileFormatError, match="broken.npy"):
        vt.io.read(path)


def test_npy_header_declaring_more_than_the_file_holds_is_truncation(tmp_path: Path) -> None:
    path = tmp_path / "short.npy"
    _npy_with_header(path, b"{'descr': '|u1', 'fortran_order': False, 'shape': (4, 4, 4), }", bytes(10))
    with pytest.raises(vt.FileFormatError, match="truncated"):
        vt.io.read(path)


def test_npy_header_declaring_a_huge_array_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.npy"
    _npy_with_header(path, f"{{'descr': '|u1', 'fortran_order': False, 'shape': ({HUGE}, 1, 1), }}".encode())
    with pytest.raises(vt.FileFormatError, match="truncated"):  # the file cannot hold it: refused, nothing read
        vt.io.read(path)


def test_zarr_header_declaring_a_huge_array_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "huge.zarr"
    zarr.create_array(store=str(path), shape=(HUGE, 1024, 1024), chunks=(64, 64, 64), dtype="uint8")
    with pytest.raises(vt.InsufficientMemoryError, match="huge.zarr"):
        vt.io.read(path)


def _chunk_files(store: Path) -> list[Path]:
    array_dir = store / "0" if (store / "0").is_dir() else store  # OME-Zarr: level 0 is the array read
    return sorted(p for p in (array_dir / "c").rglob("*") if p.is_file())


@pytest.mark.parametrize("fmt", ["ome-zarr", "zarr"])
def test_zarr_store_with_a_deleted_chunk_is_refused(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "v.zarr"
    data = np.zeros((8, 8, 8), np.uint8)  # all fill value: zarr would normally store no chunk at all
    vt.io.write(path, data, chunks=4, format=fmt)
    files = _chunk_files(path)
    assert len(files) == 8
    files[3].unlink()
    with pytest.raises(vt.FileFormatError, match="1 of 8 chunks are missing"):
        vt.io.read(path)


@pytest.mark.parametrize("fmt", ["ome-zarr", "zarr"])
def test_zarr_store_with_a_corrupt_chunk_names_the_store(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / "v.zarr"
    vt.io.write(path, np.arange(512, dtype=np.uint16).reshape(8, 8, 8), chunks=4, format=fmt)
    target = _chunk_files(path)[2]
    target.write_bytes(os.urandom(target.stat().st_size))
    with pytest.raises(vt.FileFormatError, match="v.zarr"):
        vt.io.read(path)


def test_round_trip_still_exact(tmp_path: Path) -> None:
    data = np.random.default_rng(0).integers(0, 3, (9, 7, 5), dtype=np.uint8)
    for name in ("a.zarr", "a.npy", "a.tif"):
        vt.io.write(tmp_path / name, data, voxel_size=2.0 if name != "a.npy" else None)
        assert np.array_equal(vt.io.read(tmp_path / name).data, data)
