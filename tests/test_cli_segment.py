"""``voxtwin segment``: Otsu, a saved U-Net, and a U-Net trained on strokes, from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from _blocks import fibre_block

import voxtwin as vt
from voxtwin.cli import main
from voxtwin.segment import FIBRE, MATRIX, VOID


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray, np.ndarray]:
    labels = fibre_block((24, 24, 24), diameter=6.0, length=20.0, n_pores=2, seed=5)
    grey = vt.segment.synthetic_ct(labels, noise=10, seed=1)
    path = vt.io.write(tmp_path_factory.mktemp("cli") / "scan.tif", grey, voxel_size=2.0)
    return path, grey, labels


def test_otsu(scan: tuple[Path, np.ndarray, np.ndarray], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, grey, _ = scan
    out = tmp_path / "labels.zarr"
    assert main(["segment", str(path), str(out), "--quiet"]) == 0
    summary = json.loads(capsys.readouterr().out)
    written = vt.io.read(out)
    np.testing.assert_array_equal(written.data, vt.segment.otsu(grey))
    assert written.voxel_size == pytest.approx(2.0)
    assert summary["method"] == "otsu" and len(summary["thresholds"]) == 2
    assert sum(summary["phase_fractions"].values()) == pytest.approx(1.0)
    # an existing output is kept unless --overwrite
    assert main(["segment", str(path), str(out), "--quiet"]) == 1
    assert "exists" in capsys.readouterr().err


@pytest.mark.ai
def test_unet_trained_and_reused(scan: tuple[Path, np.ndarray, np.ndarray], tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    path, grey, labels = scan
    strokes = vt.segment.brush_annotations(labels, objects={FIBRE: 4, MATRIX: 4, VOID: 2}, seed=1)
    vt.io.write(tmp_path / "strokes.npy", strokes)
    model_path = tmp_path / "unet.pt"
    tiny = ["--features", "4", "--window", "16", "--epochs", "1", "--steps", "3", "--device", "cpu", "--quiet"]
    assert main(["segment", str(path), str(tmp_path / "a.tif"), "--method", "unet", "--annotations",
                 str(tmp_path / "strokes.npy"), "--model", str(model_path), *tiny]) == 0
    capsys.readouterr()
    assert main(["segment", str(path), str(tmp_path / "b.tif"), "--method", "unet", "--model", str(model_path),
                 "--device", "cpu", "--quiet"]) == 0
    trained = vt.io.read(tmp_path / "a.tif").data
    np.testing.assert_array_equal(trained, vt.io.read(tmp_path / "b.tif").data)
    np.testing.assert_array_equal(trained, vt.segment.load_model(model_path).predict(grey, progress=False))
    capsys.readouterr()
    assert main(["segment", str(path), str(tmp_path / "c.tif"), "--method", "unet", "--quiet"]) == 1
    assert "needs --model" in capsys.readouterr().err


def test_raw_scan(scan: tuple[Path, np.ndarray, np.ndarray], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, grey, _ = scan
    raw = vt.io.write(tmp_path / "scan.raw", grey)
    assert main(["segment", str(raw), str(tmp_path / "l.tif"), "--shape", "24", "24", "24", "--dtype", "uint8",
                 "--voxel-size", "1.5", "--quiet"]) == 0
    assert json.loads(capsys.readouterr().out)["voxel_size_um"] == 1.5
    np.testing.assert_array_equal(vt.io.read(tmp_path / "l.tif").data, vt.segment.otsu(grey))
