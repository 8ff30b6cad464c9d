"""`voxtwin metrics` and `voxtwin stochastic calibrate|sample`."""

from __future__ import annotations

import json

import numpy as np

from voxtwin import cli, metrics, stochastic


def test_metrics_command_writes_csv_json_and_plot(tmp_path, capsys) -> None:
    vol = stochastic.ExcursionModel("gaussian", 0.3, (4.0, 2.0, 2.0)).sample((32, 32, 32), 2.0, seed=1)
    np.save(tmp_path / "vol.npy", vol)
    out = tmp_path / "m"
    assert cli.main(["metrics", str(tmp_path / "vol.npy"), "--voxel-size", "2", "--out", str(out)]) == 0
    summary = json.loads((out / "metrics.json").read_text())
    direct = metrics.two_point(vol, voxel_size=2.0, periodic=False)
    np.testing.assert_allclose(summary["two_point"]["x"], direct.x)
    assert summary["topology"]["euler"] == metrics.euler_characteristic(vol)
    assert (out / "chords.csv").read_text().startswith("distance_um,x,y,z")
    assert (out / "metrics.png").stat().st_size > 0
    c2 = tmp_path / "c2"
    assert cli.main(["metrics", str(tmp_path / "vol.npy"), "--metrics", "cluster_function", "--periodic",
                     "--out", str(c2)]) == 0
    np.testing.assert_allclose(json.loads((c2 / "metrics.json").read_text())["cluster_function"]["y"],
                               metrics.cluster_function(vol, voxel_size=2.0).y)
    assert cli.main(["metrics", str(tmp_path / "vol.npy"), "--metrics", "s3"]) != 0
    assert "--metrics" in capsys.readouterr().err


def test_stochastic_calibrate_then_sample(tmp_path) -> None:
    truth = stochastic.ExcursionModel("gaussian", 0.3, (6.0, 3.0, 3.0)).sample((64, 64, 64), 1.0, seed=2)
    for plane, imgs in (("xy", truth[:, :, ::8]), ("xz", truth[:, ::8, :])):
        np.save(tmp_path / f"{plane}.npy", np.moveaxis(imgs, 1 if plane == "xz" else 2, 0))
    model_path = tmp_path / "model.json"
    assert cli.main(["stochastic", "calibrate", "--xy", str(tmp_path / "xy.npy"), "--xz", str(tmp_path / "xz.npy"),
                     "--voxel-size", "1", "--out", str(model_path)]) == 0
    model = stochastic.ExcursionModel.load(model_path)
    assert abs(model.volume_fraction - truth.mean()) < 0.02
    assert model.correlation_lengths[0] > model.correlation_lengths[1]
    assert cli.main(["stochastic", "sample", str(model_path), str(tmp_path / "s.zarr"), "--shape", "40", "30", "20",
                     "--voxel-size", "1", "--seed", "3", "--quiet"]) == 0
    import zarr

    stored = np.asarray(zarr.open_group(str(tmp_path / "s.zarr"))["labels"][:])
    assert stored.tobytes() == model.sample((40, 30, 20), 1.0, seed=3).tobytes()
