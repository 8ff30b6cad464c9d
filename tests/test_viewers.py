"""VTK image data (.vti), 3D pictures rendered off-screen, `voxtwin export` and `voxtwin view`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import voxtwin as vt
from voxtwin.cli import EXIT_BACKEND, main
from voxtwin.render3d import fibre_directions, offscreen_backend, render_fibres, render_layout


def test_vti_round_trip_keeps_values_and_spacing(tmp_path: Path, rng: np.random.Generator) -> None:
    pytest.importorskip("vtkmodules")
    from voxtwin.io.vti import read_vti

    labels = rng.integers(0, 3, size=(7, 5, 3), dtype=np.uint8)
    vt.io.write(tmp_path / "labels.vti", labels, voxel_size=2.5)
    back, spacing, origin = read_vti(tmp_path / "labels.vti")
    np.testing.assert_array_equal(back, labels)  # [x, y, z] order kept (VTK: x fastest)
    assert spacing == (2.5, 2.5, 2.5) and origin == (1.25, 1.25, 1.25)
    stress = rng.normal(size=(6, 4, 3, 2))
    vt.io.write(tmp_path / "stress.vti", stress, voxel_size=1.0)
    back, spacing, _ = read_vti(tmp_path / "stress.vti")
    np.testing.assert_array_equal(back, stress)
    assert spacing == (1.0, 1.0, 1.0)


def test_export_command_converts_between_formats(tmp_path: Path, rng: np.random.Generator) -> None:
    pytest.importorskip("vtkmodules")
    from voxtwin.io.vti import read_vti

    labels = rng.integers(0, 3, size=(20, 18, 16), dtype=np.uint8)
    store = vt.io.write(tmp_path / "labels.zarr", labels, voxel_size=4.0, chunks=8)
    assert main(["export", str(store), "--format", "vti"]) == 0
    back, spacing, _ = read_vti(tmp_path / "labels.vti")
    np.testing.assert_array_equal(back, labels)
    assert spacing == (4.0,) * 3
    assert main(["export", str(store), "--format", "vti", "--level", "1"]) == 0
    coarse, spacing, _ = read_vti(tmp_path / "labels_level1.vti")
    np.testing.assert_array_equal(coarse, vt.io.read(store, array_path="1").data)
    assert spacing == (8.0,) * 3
    assert main(["export", str(store), "--format", "tiff"]) == 0
    tif = vt.io.read(tmp_path / "labels.tif")
    np.testing.assert_array_equal(tif.data, labels)
    assert tif.voxel_size == pytest.approx(4.0)
    assert main(["export", str(tmp_path / "labels.tif"), "--format", "ome-zarr", "--out",
                 str(tmp_path / "again.zarr")]) == 0
    np.testing.assert_array_equal(vt.io.read(tmp_path / "again.zarr").data, labels)
    assert main(["export", str(store), "--level", "9"]) == 1


def test_view_without_napari_says_how_to_get_it(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "napari", None)  # as if napari were not installed
    store = vt.io.write(tmp_path / "v.zarr", np.zeros((4, 4, 4), np.uint8), voxel_size=1.0)
    assert main(["view", str(store)]) == EXIT_BACKEND
    assert 'pip install "voxtwin[view]"' in capsys.readouterr().err


def test_fibre_directions_recover_the_generation_axes() -> None:
    spec = vt.FibreSpec(0.08, 6.0, 40.0, vt.orientation.Aligned((0, 1, 0), 3.0))
    twin = vt.generate_fibres(spec, (48, 48, 48), 1.0, seed=2, periodic=False, device="cpu")
    _, dirs = fibre_directions(twin.labels)
    assert len(dirs) > 5
    assert np.median(np.abs(dirs[:, 1])) > 0.95  # along y, as generated


def _background_fraction(image: np.ndarray) -> float:
    return float(np.mean(np.all(image == image[0, 0], axis=-1)))


def test_twin_picture_is_3d_non_blank_of_the_size_asked_and_red_for_fibres_along_x(tmp_path: Path) -> None:
    import matplotlib.image as mpimg

    spec = vt.FibreSpec(0.10, 6.0, 40.0, vt.orientation.Aligned((1, 0, 0), 3.0))
    twin = vt.generate_fibres(spec, (40, 40, 40), 2.0, seed=5, device="cpu")
    pic = render_fibres(twin.labels, 2.0, tmp_path / "twin.png", size=(320, 240))
    image = (mpimg.imread(pic.path)[..., :3] * 255).astype(np.uint8)
    assert image.shape == (240, 320, 3)
    assert _background_fraction(image) < 0.95  # pixels differ from the background
    if offscreen_backend()[0] is None:
        pytest.skip(f"3D rendering unavailable here (2D fallback drawn): {offscreen_backend()[1]}")
    assert pic.rendered_3d, pic.note
    coloured = image[(image.max(axis=-1).astype(int) - image.min(axis=-1)) > 60]  # saturated = fibre surface
    assert len(coloured) > 500
    mean = coloured.mean(axis=0)
    assert mean[0] > 1.5 * mean[1] and mean[0] > 1.5 * mean[2], mean  # x-aligned fibres are red


def test_layout_picture_is_non_blank_and_air_cells_are_left_out(tmp_path: Path) -> None:
    import matplotlib.image as mpimg

    angle = np.full((3, 2, 4), np.nan)
    angle[:, :, :2] = 0.0
    angle[:, :, 2] = 90.0
    pic = render_layout(angle, 500.0, tmp_path / "layout.png", size=(300, 200))
    image = mpimg.imread(pic.path)[..., :3]
    assert image.shape == (200, 300, 3)
    assert _background_fraction((image * 255).astype(np.uint8)) < 0.97
    with pytest.raises(ValueError, match="angle"):
        render_layout(np.zeros((2, 2)), 1.0, tmp_path / "x.png")
    with pytest.raises(ValueError, match="block_size_um"):
        render_layout(angle, -1.0, tmp_path / "x.png")


def test_fallback_draws_2d_and_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import matplotlib.image as mpimg

    import voxtwin.render3d as r3

    monkeypatch.setattr(r3, "offscreen_backend", lambda: (None, "no OpenGL here (test)"))
    labels = np.zeros((10, 10, 10), np.uint8)
    labels[:, 4:6, 4:6] = 1
    pic = render_fibres(labels, 1.0, tmp_path / "f.png", size=(400, 300))
    assert not pic.rendered_3d and "no OpenGL here" in pic.note
    image = mpimg.imread(pic.path)
    assert image.shape[:2] == (300, 400)


def test_generate_and_assemble_commands_draw_pictures_and_write_ome_zarr(tmp_path: Path) -> None:
    import matplotlib.image as mpimg
    import zarr

    out, pic = tmp_path / "twin.zarr", tmp_path / "twin.png"
    assert main(["generate", "--out", str(out), "--shape", "24", "24", "24", "--voxel-size", "2", "--diameter", "6",
                 "--length", "30", "--picture", str(pic)]) == 0
    assert "multiscales" in zarr.open_group(str(out), mode="r").attrs["ome"]
    assert vt.io.read(out).voxel_size == 2.0
    assert mpimg.imread(pic).shape[:2] == (520, 640)
    lib = vt.BlockLibrary.from_spec(vt.FibreSpec(0.1, 4.0, 12.0, vt.orientation.Aligned((1, 0, 0), 5.0)),
                                    angles=(0, 90), block_shape=(8, 8, 8), voxel_size=2.0)
    lib.save(tmp_path / "lib")
    assert main(["assemble", str(tmp_path / "lib"), "--stack", "0,90", "--layer-shape", "2", "2",
                 "--picture", str(tmp_path / "stack.png"), "--quiet"]) == 0
    assert _background_fraction((mpimg.imread(tmp_path / "stack.png")[..., :3] * 255).astype(np.uint8)) < 0.97
