"""The whole workflow at a reduced size: numbers that can fail, resumability, report, command line."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import voxtwin as vt
from voxtwin.pipeline import RunDir, demo_config, run, write_report
from voxtwin.pipeline.config import dumps
from voxtwin.cli import main as cli_main
from voxtwin.pipeline.stages import STAGES

pytestmark = [pytest.mark.slow, pytest.mark.ai]
torch = pytest.importorskip("torch")

STAGE_NAMES = [s.NAME for s in STAGES]
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class CliRun:
    """What `voxtwin demo --size small` printed (stdout, stderr), its exit code and its run folder."""

    code: int
    stdout: str
    stderr: str
    run: RunDir


def cli(args: list[str], cwd: Path) -> tuple[int, str, str]:
    """`voxtwin ARGS` in this process (sharing the imports) from folder ``cwd``: exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    old = os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli_main(args)
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def demo_cli(tmp_path_factory: pytest.TempPathFactory) -> CliRun:
    """The small demo, run as a new user runs it: from the command line, into its default folder."""
    cwd = tmp_path_factory.mktemp("demo")
    code, stdout, stderr = cli(["demo", "--size", "small", "--quiet"], cwd)
    return CliRun(code, stdout, stderr, RunDir(cwd / "runs" / "demo-small", create=False))


@pytest.fixture(scope="module")
def small_run(demo_cli: CliRun) -> RunDir:
    assert demo_cli.code == 0, demo_cli.stderr
    return demo_cli.run


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
    config["run"]["output"] = str(small_run.path)  # the CLI wrote it relative to the folder it ran in
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


# ---------------------------------------------------------------- what a new user sees (issue 14)
def _recorded_warnings(run_dir: RunDir) -> list[str]:
    return [w for step in run_dir.steps() for w in step.summary.get("warnings", [])]


def test_cli_demo_names_its_folder_prints_each_stage_and_each_warning_once(demo_cli: CliRun) -> None:
    assert demo_cli.code == 0, demo_cli.stderr
    assert "run folder runs/demo-small\n" in demo_cli.stdout  # where it really writes
    n = len(STAGE_NAMES)
    starts = [line for line in demo_cli.stdout.splitlines() if line.endswith(" ...")]
    assert starts == [f"[{i}/{n}] {name} ..." for i, name in enumerate(STAGE_NAMES, 1)]  # as each stage starts
    recorded = _recorded_warnings(demo_cli.run)
    assert recorded, "the small demo's 4 µm twins have fibres thinner than the composite-voxel factor"
    shown = [line for line in demo_cli.stderr.splitlines() if line.startswith("warning")]
    assert len(shown) == len(set(recorded))
    for text in set(recorded):
        assert sum(line.endswith(text) for line in shown) == 1
    assert ".py:" not in demo_cli.stderr and "warnings.warn" not in demo_cli.stderr  # no file path, no source line


def test_cli_demo_rerun_says_reused(demo_cli: CliRun) -> None:
    code, stdout, stderr = cli(["demo", "--size", "small", "--quiet"], demo_cli.run.path.parent.parent)
    assert code == 0, stderr
    n = len(STAGE_NAMES)
    assert not [line for line in stdout.splitlines() if line.endswith(" ...")]  # nothing ran
    for i, name in enumerate(STAGE_NAMES, 1):
        assert f"[{i}/{n}] {name}: reused from the run folder" in stdout
        took = demo_cli.run.record(name).seconds  # type: ignore[union-attr]
        assert f"  {name:<13} reused (took {took:.1f} s when run)" in stdout
    assert len([line for line in stderr.splitlines() if line.startswith("warning")]) == len(
        set(_recorded_warnings(demo_cli.run)))


def test_report_lists_warnings_and_collapses_the_configuration(small_run: RunDir) -> None:
    import html

    page = write_report(small_run.path).read_text()
    recorded = _recorded_warnings(small_run)
    stages_warned = sum(1 for s in small_run.steps() if s.summary.get("warnings"))
    assert page.count('<div class="warn">') == 1 + stages_warned  # all at the top, then each stage's own
    for text in recorded:
        assert page.count(f"<li>{html.escape(text)}</li>") == 1
    config = page.index("<h2>Configuration</h2>")
    assert page.index("<details>", config) < page.index("<pre>", config)  # folded away until asked for


def test_readme_figures_come_from_a_run(small_run: RunDir) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("readme_figures", ROOT / "scripts" / "readme_figures.py")
    assert spec is not None and spec.loader is not None
    readme_figures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(readme_figures)
    block = readme_figures.markdown(readme_figures.measure("small", small_run.path, resume=True))
    for name, rec in small_run.read_json("simulation").items():
        E = rec["E_x, E_y, E_z (GPa)"]
        assert f"| {name.replace('_', '-')} | {E[0]:.3f} | {E[1]:.3f} | {E[2]:.3f} |" in block
    assert "load average" in block and "cores" in block and "commit" in block
    readme = (ROOT / "README.md").read_text()
    assert readme.count(readme_figures.BEGIN) == 1 and readme.count(readme_figures.END) == 1


IOU_MARGIN = 0.05  # issue 14: the automatic path within 0.05 of the simulated strokes' IoU per class, or a warning


def test_cli_run_with_automatic_strokes_is_as_good_as_the_demo_or_warns(small_run: RunDir, tmp_path: Path) -> None:
    """`voxtwin run` of the small demo's scan with `annotations = "auto"` (no person, no truth): per class
    within IOU_MARGIN of the demo's simulated-strokes IoU, or a SegmentationWarning on the terminal."""
    config = json.loads(json.dumps(small_run.info["config"]))
    config["segmentation"].update({"annotations": "auto", "rounds": 1})
    config["run"]["output"] = str(tmp_path / "auto")
    (tmp_path / "auto.toml").write_text(dumps(config))
    code, stdout, stderr = cli(["run", str(tmp_path / "auto.toml"), "--stop-after", "segment", "--quiet"], tmp_path)
    assert code == 0, stderr
    assert "[1/2] scan ...\n[2/2] segment ...\n" in stdout
    summary = RunDir(tmp_path / "auto", create=False).record("segment").summary  # type: ignore[union-attr]
    assert min(summary["automatic stroke voxels per phase"].values()) > 0
    auto = summary["IoU vs truth (matrix, fibre, void)"]
    demo = small_run.record("segment").summary["IoU vs truth (matrix, fibre, void)"]  # type: ignore[union-attr]
    short = [c for c in range(3) if auto[c] < demo[c] - IOU_MARGIN]
    if short:
        assert "SegmentationWarning" in stderr, (auto, demo)
