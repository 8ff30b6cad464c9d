"""Volume I/O: exact round trips in every format, axis order against tifffile/Fiji, voxel sizes, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tifffile
import voxtwin as vt
import zarr

# Voxel sizes pass through decimal text (ImageJ) or TIFF rationals: agreement to 1e-6 relative.
VOXEL_SIZE_RTOL = 1e-6
SHAPE = (7, 5, 3)  # all different, so any swapped axis shows


def _volume(dtype: str, rng: np.random.Generator) -> np.ndarray:
    dt = np.dtype(dtype)
    if dt.kind == "f":
        return rng.normal(size=SHAPE).astype(dt)
    if dt.kind == "b":
        return rng.random(SHAPE) < 0.5
    info = np.iinfo(dt)
    return rng.integers(info.min, info.max, size=SHAPE, endpoint=True, dtype=dt)


@pytest.mark.parametrize("suffix", [".tif", ".zarr", ".npy"])
@pytest.mark.parametrize("dtype", ["uint8", "uint16", "int16", "int32", "float32", "float64", "bool"])
def test_round_trip_is_exact(tmp_path: Path, rng: np.random.Generator, suffix: str, dtype: str) -> None:
    data = _volume(dtype, rng)
    path = tmp_path / f"vol{suffix}"
    vs = None if suffix == ".npy" else 1.3
    vt.io.write(path, data, voxel_size=vs)
    vol = vt.io.read(path)
    assert vol.data.dtype == data.dtype
    assert vol.data.shape == SHAPE
    assert vol.data.flags.c_contiguous
    np.testing.assert_array_equal(vol.data, data)
    if vs is None:
        assert vol.voxel_size is None
    else:
        assert vol.voxel_size == pytest.approx(vs, rel=VOXEL_SIZE_RTOL)
    assert vol.metadata["format"] == {".tif": "tiff", ".zarr": "zarr", ".npy": "npy"}[suffix]


@pytest.mark.parametrize("byte_order", ["little", "big"])
@pytest.mark.parametrize("order", ["F", "C"])
@pytest.mark.parametrize("dtype", ["uint16", "float32", "int8"])
def test_raw_round_trip(tmp_path: Path, rng: np.random.Generator, byte_order: str, order: str, dtype: str) -> None:
    data = _volume(dtype, rng)
    path = tmp_path / "vol.raw"
    vt.io.write(path, data, byte_order=byte_order, order=order)
    assert path.stat().st_size == data.nbytes
    vol = vt.io.read(path, shape=SHAPE, dtype=dtype, byte_order=byte_order, order=order)
    np.testing.assert_array_equal(vol.data, data)
    assert vol.data.dtype.isnative and vol.data.flags.c_contiguous


def test_raw_layout_is_x_fastest_by_default(tmp_path: Path) -> None:
    # Independent reference: bytes written by hand, x fastest, big-endian (as Fiji's "Import > Raw" reads).
    data = np.arange(np.prod(SHAPE), dtype=np.uint16).reshape(SHAPE)
    path = tmp_path / "hand.bin"
    path.write_bytes(np.ascontiguousarray(data.transpose(2, 1, 0)).astype(">u2").tobytes())
    vol = vt.io.read(path, shape=SHAPE, dtype="uint16", byte_order="big")
    np.testing.assert_array_equal(vol.data, data)
    # dtype may carry the byte order itself
    np.testing.assert_array_equal(vt.io.read(path, shape=SHAPE, dtype=">u2").data, data)


def test_raw_header_offset(tmp_path: Path) -> None:
    data = np.arange(np.prod(SHAPE), dtype=np.uint8).reshape(SHAPE)
    path = tmp_path / "with_header.raw"
    path.write_bytes(b"HEADER!!" + np.ascontiguousarray(data.T).tobytes())
    np.testing.assert_array_equal(vt.io.read(path, shape=SHAPE, dtype="uint8", offset=8).data, data)


def test_raw_size_mismatch_names_file_and_sizes(tmp_path: Path) -> None:
    path = tmp_path / "short.raw"
    path.write_bytes(bytes(100))
    with pytest.raises(vt.FileFormatError, match=r"short\.raw.*100 bytes.*needs 210 bytes"):
        vt.io.read(path, shape=SHAPE, dtype="uint16", byte_order="little")


def test_raw_requires_shape_dtype_and_byte_order(tmp_path: Path) -> None:
    path = tmp_path / "v.raw"
    path.write_bytes(bytes(2 * 105))
    with pytest.raises(ValueError, match="`shape`"):
        vt.io.read(path, dtype="uint16", byte_order="little")
    with pytest.raises(ValueError, match="`dtype`"):
        vt.io.read(path, shape=SHAPE)
    with pytest.raises(ValueError, match="`byte_order` is required"):
        vt.io.read(path, shape=SHAPE, dtype="uint16")
    with pytest.raises(ValueError, match="contradicts"):
        vt.io.read(path, shape=SHAPE, dtype="<u2", byte_order="big")
    with pytest.raises(ValueError, match="`byte_order` must be"):
        vt.io.read(path, shape=SHAPE, dtype="uint16", byte_order="middle")
    with pytest.raises(ValueError, match="raw files only"):
        vt.io.read(tmp_path / "v.raw", format="npy", shape=SHAPE)


def test_tiff_pages_run_along_z(tmp_path: Path) -> None:
    # tifffile (like Fiji) sees pages = z slices, each page (y rows, x columns).
    data = np.arange(np.prod(SHAPE), dtype=np.uint16).reshape(SHAPE)
    path = vt.io.write(tmp_path / "v.tif", data, voxel_size=2.0)
    with tifffile.TiffFile(path) as tif:
        assert len(tif.pages) == SHAPE[2]
        page1 = tif.pages[1].asarray()
        assert tif.imagej_metadata["spacing"] == pytest.approx(2.0)
        assert tif.imagej_metadata["unit"] == "micron"
    assert page1.shape == (SHAPE[1], SHAPE[0])
    np.testing.assert_array_equal(page1, data[:, :, 1].T)
    # and a stack written by tifffile (z, y, x) reads back as [x, y, z]
    zyx = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    tifffile.imwrite(tmp_path / "ext.tif", zyx, photometric="minisblack")
    assert vt.io.read(tmp_path / "ext.tif").data.shape == (4, 3, 2)
    np.testing.assert_array_equal(vt.io.read(tmp_path / "ext.tif").data, zyx.transpose(2, 1, 0))


def test_tiff_voxel_size_from_imagej_units(tmp_path: Path) -> None:
    zyx = np.zeros((3, 4, 5), dtype=np.uint8)
    # 0.5 mm in x/y and 1 mm in z: anisotropic, reported in metadata with a warning
    tifffile.imwrite(tmp_path / "mm.tif", zyx, imagej=True, resolution=(2.0, 2.0),
                     metadata={"spacing": 1.0, "unit": "mm", "axes": "ZYX"})
    with pytest.warns(UserWarning, match="anisotropic"):
        vol = vt.io.read(tmp_path / "mm.tif")
    assert vol.voxel_size is None
    assert vol.metadata["spacing_um"] == pytest.approx((500.0, 500.0, 1000.0))
    # the caller's voxel size wins, silently
    assert vt.io.read(tmp_path / "mm.tif", voxel_size=1.3).voxel_size == 1.3
    # inch resolutions are print resolutions, not voxel sizes
    tifffile.imwrite(tmp_path / "dpi.tif", zyx, imagej=True, resolution=(100.0, 100.0),
                     metadata={"unit": "inch", "axes": "ZYX"})
    assert vt.io.read(tmp_path / "dpi.tif").voxel_size is None


def test_tiff_folder_round_trip_and_natural_order(tmp_path: Path, rng: np.random.Generator) -> None:
    data = rng.integers(0, 65535, size=(6, 4, 12), dtype=np.uint16)
    folder = vt.io.write(tmp_path / "slices", data, voxel_size=0.8, format="tiff-folder", progress=False)
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 12
    vol = vt.io.read(folder, progress=False)
    np.testing.assert_array_equal(vol.data, data)
    assert vol.voxel_size == pytest.approx(0.8, rel=VOXEL_SIZE_RTOL)
    # slices named 1..12 without zero padding are ordered naturally (2 before 10)
    other = tmp_path / "unpadded"
    other.mkdir()
    for z in range(12):
        tifffile.imwrite(other / f"img{z + 1}.tif", np.ascontiguousarray(data[:, :, z].T))
    np.testing.assert_array_equal(vt.io.read(other, progress=False).data, data)


def test_tiff_folder_with_mismatched_slice_names_it(tmp_path: Path) -> None:
    tifffile.imwrite(tmp_path / "a1.tif", np.zeros((4, 5), np.uint8))
    tifffile.imwrite(tmp_path / "a2.tif", np.zeros((4, 6), np.uint8))
    with pytest.raises(vt.FileFormatError, match=r"a2\.tif.*does not match"):
        vt.io.read(tmp_path, progress=False)


def test_zarr_is_v3_chunked_compressed_with_attributes(tmp_path: Path, rng: np.random.Generator) -> None:
    data = rng.integers(0, 3, size=(40, 30, 20), dtype=np.uint8)
    path = vt.io.write(tmp_path / "labels.zarr", data, voxel_size=4.0, chunks=16, format="zarr")  # plain array
    arr = zarr.open_array(str(path), mode="r")
    assert arr.metadata.zarr_format == 3
    assert arr.chunks == (16, 16, 16)
    assert arr.compressors
    assert tuple(arr.metadata.dimension_names) == ("x", "y", "z")
    assert arr.attrs["voxtwin"]["voxel_size_um"] == 4.0
    meta = json.loads((path / "zarr.json").read_text())
    assert meta["zarr_format"] == 3


def test_zarr_written_by_someone_else(tmp_path: Path, rng: np.random.Generator) -> None:
    data = rng.integers(0, 255, size=(8, 6, 4), dtype=np.uint8)
    # a bare array, no attributes: taken as [x, y, z]
    zarr.create_array(store=str(tmp_path / "bare.zarr"), data=data)
    vol = vt.io.read(tmp_path / "bare.zarr")
    np.testing.assert_array_equal(vol.data, data)
    assert vol.voxel_size is None
    # (z, y, x) with dimension names: transposed to [x, y, z]
    zarr.create_array(store=str(tmp_path / "zyx.zarr"), data=data.transpose(2, 1, 0).copy(),
                      dimension_names=("z", "y", "x"))
    np.testing.assert_array_equal(vt.io.read(tmp_path / "zyx.zarr").data, data)
    # or the caller says so
    zarr.create_array(store=str(tmp_path / "zyx_bare.zarr"), data=data.transpose(2, 1, 0).copy())
    np.testing.assert_array_equal(vt.io.read(tmp_path / "zyx_bare.zarr", axes="zyx").data, data)
    # a v2 store in a group with several arrays: choose one
    group = zarr.open_group(str(tmp_path / "group.zarr"), mode="w", zarr_format=2)
    group.create_array("raw", data=data)
    group.create_array("labels", data=data // 100)
    with pytest.raises(vt.FileFormatError, match="2 arrays"):
        vt.io.read(tmp_path / "group.zarr")
    np.testing.assert_array_equal(vt.io.read(tmp_path / "group.zarr", array_path="labels").data, data // 100)


def test_ome_zarr_axes_and_scale(tmp_path: Path, rng: np.random.Generator) -> None:
    data = rng.integers(0, 255, size=(8, 6, 4), dtype=np.uint8)
    group = zarr.open_group(str(tmp_path / "ome.zarr"), mode="w")
    group.create_array("0", data=data.transpose(2, 1, 0).copy())
    axes = [{"name": n, "type": "space", "unit": "micrometer"} for n in "zyx"]
    group.attrs["ome"] = {"multiscales": [{"axes": axes, "datasets": [
        {"path": "0", "coordinateTransformations": [{"type": "scale", "scale": [2.5, 2.5, 2.5]}]}]}]}
    vol = vt.io.read(tmp_path / "ome.zarr")
    np.testing.assert_array_equal(vol.data, data)
    assert vol.voxel_size == pytest.approx(2.5)


def test_unreadable_files_name_the_file(tmp_path: Path) -> None:
    bad_tif = tmp_path / "broken.tif"
    bad_tif.write_bytes(b"this is not a tiff")
    with pytest.raises(vt.FileFormatError, match=r"broken\.tif"):
        vt.io.read(bad_tif)
    bad_npy = tmp_path / "broken.npy"
    bad_npy.write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(vt.FileFormatError, match=r"broken\.npy"):
        vt.io.read(bad_npy)
    np.save(tmp_path / "four_d.npy", np.zeros((2, 2, 2, 2)))
    with pytest.raises(vt.FileFormatError, match=r"four_d\.npy.*3D"):
        vt.io.read(tmp_path / "four_d.npy")
    (tmp_path / "bad.zarr").mkdir()
    (tmp_path / "bad.zarr" / "zarr.json").write_text("{not json")
    with pytest.raises(vt.FileFormatError, match=r"bad\.zarr"):
        vt.io.read(tmp_path / "bad.zarr")
    with pytest.raises(vt.FileFormatError, match=r"mystery\.dat.*unknown volume format"):
        (tmp_path / "mystery.dat").write_bytes(b"")
        vt.io.read(tmp_path / "mystery.dat")
    with pytest.raises(FileNotFoundError, match=r"missing\.tif"):
        vt.io.read(tmp_path / "missing.tif")


def test_colour_tiff_is_rejected(tmp_path: Path) -> None:
    tifffile.imwrite(tmp_path / "rgb.tif", np.zeros((4, 5, 3), np.uint8), photometric="rgb")
    with pytest.raises(vt.FileFormatError, match=r"rgb\.tif.*colour"):
        vt.io.read(tmp_path / "rgb.tif")


def test_write_keeps_existing_files_unless_asked(tmp_path: Path) -> None:
    data = np.ones((2, 3, 4), np.uint8)
    path = vt.io.write(tmp_path / "v.tif", data)
    with pytest.raises(FileExistsError, match=r"v\.tif"):
        vt.io.write(path, data * 2)
    np.testing.assert_array_equal(vt.io.read(path).data, data)
    vt.io.write(path, data * 2, overwrite=True)
    np.testing.assert_array_equal(vt.io.read(path).data, data * 2)


def test_failed_write_leaves_old_file_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = np.ones((2, 3, 4), np.uint8)
    path = vt.io.write(tmp_path / "v.npy", data)

    def fail(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(np, "save", fail)
    with pytest.raises(OSError, match="disk full"):
        vt.io.write(path, data * 3, overwrite=True)
    monkeypatch.undo()
    np.testing.assert_array_equal(vt.io.read(path).data, data)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v.npy"]


def test_write_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"`data` must be 3D"):
        vt.io.write(tmp_path / "a.tif", np.zeros((2, 2)))
    with pytest.raises(TypeError, match=r"`data` must hold"):
        vt.io.write(tmp_path / "a.tif", np.zeros((2, 2, 2), dtype=complex))
    with pytest.raises(TypeError, match=r"`data` must be a numpy array"):
        vt.io.write(tmp_path / "a.tif", [[[1]]])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"`voxel_size` must be > 0"):
        vt.io.write(tmp_path / "a.tif", np.zeros((2, 2, 2)), voxel_size=-1)
    with pytest.raises(ValueError, match=r"`path` must end in"):
        vt.io.write(tmp_path / "a.png", np.zeros((2, 2, 2)))
    with pytest.warns(UserWarning, match="no place for voxel_size"):
        vt.io.write(tmp_path / "a.npy", np.zeros((2, 2, 2)), voxel_size=1.0)
    assert not (tmp_path / "a.tif").exists()


def test_real_fiberform_reads_the_right_way_round(fiberform_path: Path) -> None:
    vol = vt.io.read(fiberform_path, voxel_size=1.3)
    assert vol.data.shape == (100, 100, 100) and vol.data.dtype == np.uint8
    assert vol.voxel_size == 1.3
    # independent reader: tifffile gives (z, y, x)
    np.testing.assert_array_equal(vol.data, tifffile.imread(fiberform_path).transpose(2, 1, 0))
    # its resolution is in inches (a print default), so no voxel size is invented
    assert vt.io.read(fiberform_path).voxel_size is None
    # README: a threshold near 90 gives a fibre fraction of about 0.17
    assert float(np.mean(vol.data > 90)) == pytest.approx(0.17, abs=0.01)
