"""OME-Zarr (NGFF 0.5): pyramids against a direct downsampling, the NGFF schema, ome-zarr's reader,
resumable pyramids of assembly stores, and vt.io.read of level 0 with its voxel size."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import zarr

import voxtwin as vt
from voxtwin.io import downsample as ds
from voxtwin.io.ome_zarr import build_pyramid, level_shapes

F32 = {"rtol": 1e-6, "atol": 1e-7}  # both sides round a float64 mean to float32 once: a few ulps at most


def _direct(volume: np.ndarray, method: str) -> np.ndarray:
    """Reference: each coarse voxel from its (up to) 2×2×2 fine voxels, one by one."""
    out_shape = tuple((n + 1) // 2 for n in volume.shape)
    out = np.empty(out_shape, dtype=volume.dtype)
    for idx in np.ndindex(*out_shape):
        window = volume[tuple(slice(2 * i, 2 * i + 2) for i in idx)].ravel()
        if method == "mode":
            counts = Counter(window.tolist())
            top = max(counts.values())
            out[idx] = min(v for v, c in counts.items() if c == top)  # ties: smallest label
        elif volume.dtype.kind == "f":
            out[idx] = window.astype(np.float64).mean()
        else:
            out[idx] = np.rint(window.astype(np.float64).mean())
    return out


@pytest.mark.parametrize("shape", [(8, 6, 4), (9, 7, 5)])
def test_one_step_equals_direct_downsampling(shape: tuple[int, int, int], rng: np.random.Generator) -> None:
    labels = rng.integers(0, 3, size=shape, dtype=np.uint8)
    np.testing.assert_array_equal(ds.downsample2(labels, "mode"), _direct(labels, "mode"))
    instances = rng.integers(0, 40, size=shape, dtype=np.uint32)  # > 16 values: the pairwise branch
    np.testing.assert_array_equal(ds.downsample2(instances, "mode"), _direct(instances, "mode"))
    grey = rng.normal(size=shape).astype(np.float32)
    np.testing.assert_allclose(ds.downsample2(grey, "mean"), _direct(grey, "mean"), **F32)
    grey16 = rng.integers(0, 60000, size=shape, dtype=np.uint16)
    np.testing.assert_array_equal(ds.downsample2(grey16, "mean"), _direct(grey16, "mean"))
    # Negative control: on labels the mean is not the majority (it invents label 1 between 0 and 2).
    mixed = np.zeros((2, 2, 2), np.uint8)
    mixed[0] = 2
    mixed[1, 0, 0] = 2
    assert ds.downsample2(mixed, "mode")[0, 0, 0] == 2 and ds.downsample2(mixed, "mean")[0, 0, 0] == 1


def test_field_components_are_downsampled_each(rng: np.random.Generator) -> None:
    field = rng.normal(size=(6, 5, 4, 3))
    coarse = ds.downsample2(field, "mean")
    assert coarse.shape == (6, 3, 2, 2)
    for c in range(6):
        np.testing.assert_allclose(coarse[c], _direct(field[c], "mean"))


@pytest.mark.parametrize("kind", ["labels", "grey"])
def test_pyramid_levels_written_chunk_by_chunk_equal_direct_downsampling(
        tmp_path: Path, rng: np.random.Generator, kind: str) -> None:
    shape = (37, 22, 13)
    data = (rng.integers(0, 3, size=shape, dtype=np.uint8) if kind == "labels"
            else rng.normal(100.0, 20.0, size=shape).astype(np.float32))
    path = vt.io.write(tmp_path / "v.zarr", data, voxel_size=2.5, chunks=(8, 8, 8))
    root = zarr.open_group(str(path), mode="r")
    ms = root.attrs["ome"]["multiscales"][0]
    assert [d["path"] for d in ms["datasets"]] == ["0", "1", "2", "3"]  # 37 -> 19 -> 10 -> 5 fits in 8
    method = "mode" if kind == "labels" else "mean"
    level = data
    for i, d in enumerate(ms["datasets"]):
        stored = root[d["path"]][...]
        if i:
            level = _direct(level, method)
        np.testing.assert_allclose(stored, level, **F32)
        scale = d["coordinateTransformations"][0]["scale"]
        assert scale == [2.5 * 2**i] * 3
    assert ms["axes"] == [{"name": n, "type": "space", "unit": "micrometer"} for n in "xyz"]


def test_metadata_validates_against_the_ngff_schema(tmp_path: Path, rng: np.random.Generator) -> None:
    models = pytest.importorskip("ome_zarr_models.v05.image")
    data = rng.integers(0, 3, size=(20, 16, 12), dtype=np.uint8)
    path = vt.io.write(tmp_path / "labels.zarr", data, voxel_size=4.0, chunks=8)
    image = models.Image.from_zarr(zarr.open_group(str(path), mode="r"))
    ms = image.ome_attributes.multiscales[0]
    assert [a.unit for a in ms.axes] == ["micrometer"] * 3
    # Negative control: the validator rejects a broken scale (two entries for three axes).
    meta = json.loads((path / "zarr.json").read_text())
    meta["attributes"]["ome"]["multiscales"][0]["datasets"][0]["coordinateTransformations"][0]["scale"] = [4.0, 4.0]
    (path / "zarr.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError):
        models.Image.from_zarr(zarr.open_group(str(path), mode="r"))


def test_ome_zarr_reader_reads_every_level(tmp_path: Path, rng: np.random.Generator) -> None:
    pytest.importorskip("ome_zarr")
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Reader

    data = rng.normal(size=(24, 20, 10)).astype(np.float32)
    path = vt.io.write(tmp_path / "grey.zarr", data, voxel_size=1.5, chunks=8)
    nodes = list(Reader(parse_url(str(path)))())
    levels = nodes[0].data
    assert len(levels) == 3
    np.testing.assert_array_equal(np.asarray(levels[0]), data)
    np.testing.assert_allclose(np.asarray(levels[1]), _direct(data, "mean"), **F32)
    assert nodes[0].metadata["coordinateTransformations"][0][0]["scale"] == [1.5] * 3


def test_vt_io_read_gives_level_0_with_voxel_size_and_plain_zarr_still_reads(
        tmp_path: Path, rng: np.random.Generator) -> None:
    data = rng.integers(0, 3, size=(10, 9, 8), dtype=np.uint8)
    ome = vt.io.write(tmp_path / "a.zarr", data, voxel_size=3.0, chunks=4)
    vol = vt.io.read(ome)
    np.testing.assert_array_equal(vol.data, data)
    assert vol.voxel_size == 3.0
    plain = vt.io.write(tmp_path / "plain.zarr", data, voxel_size=3.0, format="zarr")
    assert isinstance(zarr.open(str(plain), mode="r"), zarr.Array)
    np.testing.assert_array_equal(vt.io.read(plain).data, data)
    # OME-Zarr from elsewhere: no voxtwin attributes, the scale alone gives the voxel size.
    (ome / "zarr.json").write_text(json.dumps({**json.loads((ome / "zarr.json").read_text()),
                                               "attributes": {"ome": zarr.open_group(str(ome)).attrs["ome"]}}))
    assert vt.io.read(ome).voxel_size == 3.0


def test_bad_arguments_are_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="downsampling"):
        vt.io.write(tmp_path / "x.zarr", np.zeros((4, 4, 4), np.uint8), downsampling="median")
    with pytest.raises(ValueError, match="method"):
        ds.downsample2(np.zeros((2, 2, 2)), "max")
    with pytest.raises(ValueError, match="data"):
        vt.io.write(tmp_path / "y.tif", np.zeros((2, 4, 4, 4), np.float32))


def _assembly() -> vt.Assembly:
    spec = vt.FibreSpec(0.1, 4.0, 20.0, vt.orientation.Aligned((1, 0, 0), 5.0))
    lib = vt.BlockLibrary.from_spec(spec, angles=(0, 90), block_shape=(12, 12, 12), voxel_size=2.0)
    return vt.Assembly.stacked(lib, sequence=[0, 90, 0], layer_shape=(3, 2), axis="z")


def test_assembly_store_is_ome_zarr_with_a_majority_pyramid(tmp_path: Path) -> None:
    asm = _assembly()
    asm.to_zarr(tmp_path / "a.zarr", chunks=(12, 12, 12), progress=False)
    root = zarr.open_group(str(tmp_path / "a.zarr"), mode="r")
    ms = root.attrs["ome"]["multiscales"][0]
    paths = [d["path"] for d in ms["datasets"]]
    assert paths[0] == "labels" and len(paths) == len(level_shapes(asm.shape, (12, 12, 12)))
    assert ms["datasets"][1]["coordinateTransformations"][0]["scale"] == [4.0] * 3
    level = asm.to_numpy()
    for p in paths[1:]:
        level = _direct(level, "mode")
        np.testing.assert_array_equal(root[p][...], level)
    vol = vt.io.read(tmp_path / "a.zarr")  # no array_path needed: the multiscales name level 0
    assert vol.voxel_size == 2.0 and vol.data.shape == asm.shape
    # The metadata against the NGFF 0.5 model. (The whole-hierarchy check, Image.from_zarr, would also
    # want no array named "labels": NGFF reserves that child for label groups, and the assembly
    # store's level 0 has carried that name since before it was OME-Zarr.)
    models = pytest.importorskip("ome_zarr_models.v05.image")
    models.ImageAttrs.model_validate(root.attrs["ome"])
    from ome_zarr.io import parse_url
    from ome_zarr.reader import Reader

    levels = list(Reader(parse_url(str(tmp_path / "a.zarr")))())[0].data
    np.testing.assert_array_equal(np.asarray(levels[-1]), root[paths[-1]][...])


def test_interrupted_pyramid_resumes_to_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asm = _assembly()
    asm.to_zarr(tmp_path / "clean.zarr", chunks=(8, 8, 8), progress=False)
    calls = {"n": 0}
    real = ds.downsample2

    def flaky(block: np.ndarray, method: str) -> np.ndarray:
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return real(block, method)

    import voxtwin.io.ome_zarr as oz

    monkeypatch.setattr(oz, "downsample2", flaky)
    with pytest.raises(KeyboardInterrupt):
        asm.to_zarr(tmp_path / "resumed.zarr", chunks=(8, 8, 8), progress=False, threads=1)
    partial = zarr.open_group(str(tmp_path / "resumed.zarr"), mode="r")
    assert "ome" not in partial.attrs  # no multiscales until every level is written
    flags = partial["pyramid_done/pyramid_1"][...]
    assert 0 < flags.sum() < flags.size
    monkeypatch.setattr(oz, "downsample2", real)
    calls["n"] = 0
    monkeypatch.setattr(oz, "downsample2", lambda b, m: (calls.__setitem__("n", calls["n"] + 1), real(b, m))[1])
    asm.to_zarr(tmp_path / "resumed.zarr", chunks=(8, 8, 8), progress=False, threads=1)
    total = sum(zarr.open_group(str(tmp_path / "clean.zarr"))[f"pyramid_done/{k}"].size
                for k in zarr.open_group(str(tmp_path / "clean.zarr"))["pyramid_done"].array_keys())
    assert calls["n"] == total - int(flags.sum())  # finished chunks are not redone
    clean, resumed = zarr.open_group(str(tmp_path / "clean.zarr")), zarr.open_group(str(tmp_path / "resumed.zarr"))
    assert clean.attrs["ome"] == resumed.attrs["ome"]
    for d in clean.attrs["ome"]["multiscales"][0]["datasets"]:
        np.testing.assert_array_equal(clean[d["path"]][...], resumed[d["path"]][...])


def test_build_pyramid_refuses_more_levels_than_the_volume_has(tmp_path: Path) -> None:
    root = zarr.open_group(str(tmp_path / "g.zarr"), mode="w")
    root.create_array("0", shape=(8, 8, 8), chunks=(8, 8, 8), dtype="uint8")
    with pytest.raises(ValueError, match="levels"):
        build_pyramid(root, "0", ["1"], "mode")
