"""The whole workflow at a reduced size: numbers that can fail, resumability, report, command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import voxtwin as vt
from voxtwin.pipeline import RunDir, demo_config, run, write_report
from voxtwin.pipeline.stages import STAGES

pytestmark = [pytest.mark.slow, pytest.mark.ai]
torch = pytest.importorskip("torch")

STAGE_NAMES = [s.NAME for s in STAGES]


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> RunDir:
    return run(demo_config("small", output=str(tmp_path_factory.mktemp("demo") / "run")), progress=False)


def test_every_stage_finished(small_run: RunDir) -> None:
    assert [s.name for s in small_run.steps()] == STAGE_NAMES


def test_stacks_of_rotated_layers_are_nearly_isotropic_in_plane(small_run: RunDir) -> None:
    """Seed 000 Fig. 4k,l: helicoidal and quasi-isotropic stacks of the same blocks are close to
    isotropic in the XY plane, far less anisotropic than a unidirectional stack."""
    sim = small_run.read_json("simulation")
    a = {name: rec["A_E (xy)"] for name, rec in sim.items()}
    assert a["helicoidal"] < a["unidirectional"] and a["quasi_isotropic"] < a["unidirectional"]
    assert a["helicoidal"] < 1.1 and a["quasi_isotropic"] < 1.1
    assert a["unidirectional"] > 1.15
    ud = sim["unidirectional"]["E_x, E_y, E_z (GPa)"]
    assert ud[0] > ud[1]  # 0° fibres run along X
    # The same eight layers in another order: the same in-plane stiffness (per-layer seeds differ slightly).
    hel, qi = sim["helicoidal"]["E_x, E_y, E_z (GPa)"], sim["quasi_isotropic"]["E_x, E_y, E_z (GPa)"]
    np.testing.assert_allclose(hel, qi, rtol=0.03)
    for rec in sim.values():
        assert rec["converged"]
        C = np.asarray(rec["C (GPa)"])
        # Between the phases' own stiffness (PLA and basalt fibre, Voigt entries).
        lib = vt.material_library()
        assert lib["pla"].C[0, 0] < C[0, 0] < lib["basalt_fibre"].C[0, 0]


def test_layer_profiles_follow_the_stacking_sequence(small_run: RunDir) -> None:
    sim = small_run.read_json("simulation")
    assemblies = small_run.read_json("assemblies")
    assert assemblies["helicoidal"]["layer angles (degrees)"] == [0.0, 45.0, 90.0, 135.0] * 2
    assert assemblies["quasi_isotropic"]["layer angles (degrees)"] == [0.0, 90.0, 45.0, 135.0, 135.0, 45.0, 90.0, 0.0]
    ex = np.asarray(sim["helicoidal"]["layer E_x (GPa)"])
    ey = np.asarray(sim["helicoidal"]["layer E_y (GPa)"])
    assert np.all(ex[[0, 4]] > ey[[0, 4]]) and np.all(ey[[2, 6]] > ex[[2, 6]])  # 0° layers stiff in x, 90° in y


def test_segmentation_and_twins_meet_their_targets(small_run: RunDir) -> None:
    seg = small_run.record("segment").summary
    assert seg["IoU vs truth (matrix, fibre, void)"][1] > seg["multi-Otsu IoU vs truth"][1]
    twins = small_run.read_json("twins")
    assert set(twins) == {"0", "45", "90", "135"}
    for rec in twins.values():
        assert rec["converged"]
        assert all(s[-1] >= 0.85 for s in rec["S"].values())
        assert rec["actions"][0] == "generate" and len(rec["actions"]) >= 2  # the nominal start was corrected


def test_outputs_exist_and_the_report_embeds_the_figures(small_run: RunDir) -> None:
    for step in small_run.steps():
        for rel in [*step.outputs.values(), *step.figures]:
            assert (small_run.path / rel).exists(), rel
    store = vt.io.read(small_run.path / "volumes" / "assembly_helicoidal.zarr", array_path="labels", progress=False)
    assert store.data.dtype == np.uint8 and set(np.unique(store.data)) <= {0, 1}
    page = write_report(small_run.path).read_text()
    n_figures = sum(len(s.figures) for s in small_run.steps())
    assert page.count("data:image/png;base64,") == n_figures >= 10
    assert "modulus rose" in page and "closed loop S" in page


def test_a_finished_run_resumes_without_redoing_work(small_run: RunDir, monkeypatch: pytest.MonkeyPatch) -> None:
    config = json.loads(json.dumps(small_run.info["config"]))
    for stage in STAGES:
        monkeypatch.setattr(stage, "run", lambda ctx, _n=stage.NAME: pytest.fail(f"stage {_n} ran again"))
    again = run(config, progress=False)
    assert [s.finished for s in again.steps()] == [s.finished for s in small_run.steps()]


def test_an_interrupted_run_continues_where_it_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash in one stage keeps the stages before it; the rerun starts at the failed stage."""
    from voxtwin.pipeline.stages import twins

    config = demo_config("small", output=str(tmp_path / "run"))
    original = twins.run

    def crash(ctx: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(twins, "run", crash)
    with pytest.raises(KeyboardInterrupt):
        run(config, progress=False, stop_after="twins")
    done = RunDir(tmp_path / "run", create=False)
    assert [s.name for s in done.steps()] == ["scan", "segment", "characterize"]
    kept = [s.finished for s in done.steps()]
    monkeypatch.setattr(twins, "run", original)
    resumed = run(config, progress=False, stop_after="twins")
    assert [s.name for s in resumed.steps()] == ["scan", "segment", "characterize", "twins"]
    assert [s.finished for s in resumed.steps()][:3] == kept


def test_cli_report_and_bad_config(small_run: RunDir, tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "voxtwin", "report", str(small_run.path), "--out",
                          str(tmp_path / "r.html")], capture_output=True, text=True)
    assert out.returncode == 0 and (tmp_path / "r.html").is_file()
    bad = tmp_path / "bad.toml"
    bad.write_text("[twins]\nthreshold = 2.0\n")
    proc = subprocess.run([sys.executable, "-m", "voxtwin", "run", str(bad)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "`twins.threshold` must be in (0, 1]" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "voxtwin", "report", str(tmp_path / "nothing")], capture_output=True,
                          text=True)
    assert proc.returncode == 1 and "not a voxtwin run folder" in proc.stderr
