"""Pipeline configuration: defaults, checks naming section.key, TOML round trip, relative paths."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from voxtwin.pipeline.config import DEFAULTS, dumps, load_config


def test_empty_configuration_is_the_builtin_example() -> None:
    config = load_config()
    assert config["input"]["scan"] == "builtin"
    assert config["run"]["output"] == str(Path("runs") / "run")
    assert config["twins"]["angles"] == [0.0, 45.0, 90.0, 135.0]
    assert set(config) == set(DEFAULTS)


def test_file_values_override_defaults_and_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "cfg.toml").write_text(
        '[run]\nname = "k"\n[input]\nscan = "scan.tif"\nvoxel_size = 1.3\n'
        '[assembly]\nstacks = [[0, 90, 0, 90]]\n[materials]\n1 = "carbon_fibre_t300"\n'
    )
    config = load_config(tmp_path / "cfg.toml")
    assert config["input"]["scan"] == str(tmp_path / "scan.tif")
    assert config["run"]["output"] == str(Path("runs") / "k")  # the default run folder is relative to the caller
    assert config["input"]["voxel_size"] == 1.3
    assert config["assembly"]["stacks"] == [[0, 90, 0, 90]]
    assert config["materials"] == {"1": "carbon_fibre_t300"}


@pytest.mark.parametrize(
    ("user", "error", "match"),
    [
        ({"run": {"device": "gpu"}}, ValueError, r"`run.device` must be one of"),
        ({"twins": {"threshold": 1.5}}, ValueError, r"`twins.threshold` must be in \(0, 1\]"),
        ({"twins": {"method": "sideways"}}, ValueError, r"`twins.method` must be one of 'rsa', 'migrate', 'auto'"),
        ({"twins": {"block_shape": [64, 64]}}, ValueError, r"`twins.block_shape` must have 3 entries"),
        ({"twins": {"max_iter": "ten"}}, TypeError, r"`twins.max_iter` must be an integer"),
        ({"composite": {"factor": 0}}, ValueError, r"`composite.factor` must be >= 1"),
        ({"segmentation": {"method": "magic"}}, ValueError, r"`segmentation.method` must be one of"),
        ({"assembly": {"stacks": [], "gcode": ""}}, ValueError, r"nothing to assemble"),
        ({"assembly": {"stacks": [{"a": 1}]}}, ValueError, r"`assembly.stacks\[0\]`"),
        ({"simulation": {"tol": -1.0}}, ValueError, r"`simulation.tol` must be > 0"),
        ({"twins": {"angels": [0]}}, ValueError, r"unknown key\(s\) \['angels'\] in \[twins\]"),
        ({"twin": {}}, ValueError, r"unknown section\(s\) \['twin'\]"),
        ({"materials": {"fibre": "pla"}}, ValueError, r"`materials` keys must be phase labels"),
        ({"builtin": {"volume_fraction": 0.5}}, ValueError, r"`builtin.volume_fraction` must be in"),
    ],
)
def test_bad_values_name_their_key(user: dict, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        load_config(user)


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[run\nname=")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_config(bad)
    with pytest.raises(FileNotFoundError, match="configuration file not found"):
        load_config(tmp_path / "missing.toml")


def test_dumps_round_trips() -> None:
    config = load_config({"assembly": {"stacks": ["helicoidal", [0, 90]]}, "materials": {"0": {"kind": "isotropic", "E": 3.4, "nu": 0.33}}})
    again = tomllib.loads(dumps(config))
    assert again == config


def test_the_example_configuration_is_valid() -> None:
    example = Path(__file__).resolve().parents[1] / "examples" / "pipeline.toml"
    config = load_config(example)
    assert config["run"]["name"] == "pipeline-example"
    assert config["twins"]["block_shape"] == [125, 125, 125]
    assert config["assembly"]["stacks"][2] == {"name": "unidirectional", "angles": [0] * 8}
