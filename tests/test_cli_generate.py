"""`voxtwin generate`: files written, the summary, and failures as exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tifffile

import voxtwin as vt
from voxtwin.cli import EXIT_FAILED, main


def test_generate_writes_labels_and_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out, table = tmp_path / "block.npy", tmp_path / "fibres.csv"
    argv = ["generate", "--out", str(out), "--fibres", str(table), "--shape", "40", "36", "32", "--seed", "3"]
    assert main([*argv, "--angle", "45", "--device", "cpu"]) == 0
    summary = json.loads(capsys.readouterr().out)
    labels = np.load(out)
    fibres = vt.FibreTable.load(table)
    # The same call through the library gives the same bytes: the CLI adds nothing of its own.
    twin = vt.generate_fibres(vt.seed000_spec().rotated_in_plane(45.0), (40, 36, 32), 4.0, 3, device="cpu")
    assert labels.tobytes() == twin.labels.tobytes() and fibres == twin.fibres
    assert summary["fibres"] == len(fibres) and summary["achieved_volume_fraction"] == twin.achieved_volume_fraction


def test_generate_from_a_spec_file_to_tiff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = vt.FibreSpec(0.05, 6.0, vt.Normal(30.0, 5.0, low=10.0), vt.orientation.Isotropic(), "spherocylinder")
    (tmp_path / "spec.json").write_text(json.dumps(spec.to_dict()))
    out = tmp_path / "block.tif"
    argv = ["generate", "--spec", str(tmp_path / "spec.json"), "--out", str(out), "--shape", "30", "20", "10"]
    assert main([*argv, "--voxel-size", "2", "--device", "cpu"]) == 0
    capsys.readouterr()
    twin = vt.generate_fibres(spec, (30, 20, 10), 2.0, 0, device="cpu")
    assert np.array_equal(tifffile.imread(out), twin.labels.transpose(2, 1, 0))


def test_generate_failures_are_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--out", str(tmp_path / "x.png"), "--shape", "8", "8", "8"]) == 1
    assert "`--out`" in capsys.readouterr().err
    assert main(["generate", "--out", str(tmp_path / "x.npy"), "--volume-fraction", "1.5"]) == 1
    assert "`volume_fraction`" in capsys.readouterr().err


def test_generate_method_migrate_reaches_what_rsa_cannot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["generate", "--shape", "40", "40", "40", "--seed", "2", "--volume-fraction", "0.35", "--device", "cpu"]
    assert main([*argv, "--out", str(tmp_path / "m.npy"), "--method", "migrate"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["method"] == "migrate" and summary["target_reached"]
    spec = vt.FibreSpec(0.35, 15.0, 100.0, vt.orientation.Aligned((1.0, 0.0, 0.0), 15.0))
    twin = vt.generate_fibres(spec, (40, 40, 40), 4.0, 2, device="cpu", method="migrate")
    assert np.load(tmp_path / "m.npy").tobytes() == twin.labels.tobytes()  # the flag reaches the library call
    assert twin.achieved_volume_fraction >= 0.345 and not vt.overlapping_fibres(twin.fibres, (40, 40, 40), 4.0).any()
    # The negative control: the default (RSA) on the same block jams short of 35 % and says so in the exit code.
    rc = main([*argv, "--out", str(tmp_path / "r.npy"), "--max-attempts", "5000"])
    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert "stopped at volume fraction" in err
    assert rc == EXIT_FAILED and summary["method"] == "rsa" and summary["achieved_volume_fraction"] < 0.3


def test_generate_rejects_an_unknown_method(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["generate", "--out", str(tmp_path / "x.npy"), "--method", "sideways"])
    assert exc.value.code == 2 and "--method" in capsys.readouterr().err
    assert not (tmp_path / "x.npy").exists()
