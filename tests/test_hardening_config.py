"""Pipeline configuration checked before any stage runs: bad angles, materials, seeds, shapes, and
run names or outputs that would leave the run folder."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest

import voxtwin as vt
from voxtwin.pipeline import run
from voxtwin.pipeline.config import load_config

# Every case is refused by load_config itself; none may take longer than reading the file.
UP_FRONT_S = 5.0


@pytest.mark.parametrize(
    ("user", "error", "match"),
    [
        ({"twins": {"angles": [math.nan]}}, ValueError, r"`twins.angles` must hold finite angles"),
        ({"assembly": {"stacks": [[0.0, math.inf]]}}, ValueError, r"`assembly.stacks\[0\]` must hold finite"),
        ({"materials": {"1": "unobtainium"}}, ValueError, r"`materials.1` names no library material"),
        ({"materials": {"0": {"kind": "isotropic", "E": 3.4, "nu": 0.5}}}, ValueError, r"`materials.0`.*`nu`"),
        ({"materials": {"0": {"kind": "isotropic", "E": 3.4e9, "nu": 0.3}}}, ValueError, r"`materials.0`.*GPa"),
        ({"run": {"seed": 10**20}}, ValueError, r"`run.seed` must be in \[0, 2\*\*64\)"),
        ({"run": {"seed": 1e20}}, TypeError, r"`run.seed` must be an integer"),
        ({"run": {"name": "../../../escape"}}, ValueError, r"`run.name` must be a plain folder name"),
        ({"run": {"name": "a/b"}}, ValueError, r"`run.name`"),
        ({"run": {"name": ".hidden"}}, ValueError, r"`run.name`"),
        ({"builtin": {"shape": [100000, 100000, 100000]}}, vt.InsufficientMemoryError, r"`builtin.shape`"),
        ({"twins": {"block_shape": [100000, 100000, 100000]}}, vt.InsufficientMemoryError, r"`twins.block_shape`"),
        ({"assembly": {"layer_shape": [100000, 100000]}}, vt.InsufficientMemoryError, r"`assembly.layer_shape`"),
    ],
)
def test_bad_configuration_is_refused_up_front(user: dict, error: type, match: str) -> None:
    start = time.perf_counter()
    with pytest.raises(error, match=match):
        load_config(user)
    assert time.perf_counter() - start < UP_FRONT_S


def test_an_explicit_output_is_taken_on_purpose(tmp_path: Path) -> None:
    """`run.output` is where the user asked (examples/pipeline.toml writes to ../runs); only the
    name-derived default is confined to runs/."""
    out = tmp_path / "elsewhere"
    assert load_config({"run": {"output": str(out)}})["run"]["output"] == str(out)
    assert load_config({"run": {"name": "my run 2"}})["run"]["output"] == str(Path("runs") / "my run 2")


def test_missing_inputs_stop_the_run_before_any_stage(tmp_path: Path) -> None:
    config = {"run": {"output": str(tmp_path / "r")}, "assembly": {"gcode": str(tmp_path / "part.gcode")}}
    with pytest.raises(vt.MissingFileError, match="`assembly.gcode`"):
        run(config, progress=False)
    assert not (tmp_path / "r").exists()


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_device_as_gcode_stops_the_run_before_any_stage(tmp_path: Path) -> None:
    config = {"run": {"output": str(tmp_path / "r")}, "assembly": {"gcode": "/dev/zero"}}
    with pytest.raises(vt.FileFormatError, match="`assembly.gcode`.*not a regular file"):
        run(config, progress=False)
    assert not (tmp_path / "r").exists()
