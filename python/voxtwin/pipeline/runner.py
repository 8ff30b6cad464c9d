"""Runs the stages in order into a run folder, skipping those already done with the same settings."""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from .. import _core
from .._backend import backend_info, set_num_threads
from .config import check_inputs, dumps, load_config
from .context import Context
from .rundir import RunDir, StepRecord, fingerprint
from .stages import STAGES


def run(config: str | os.PathLike[str] | Mapping[str, Any] | None = None, *, resume: bool = True,
        progress: bool | None = None, stop_after: str | None = None,
        on_event: Callable[[str, str, str], None] | None = None, mpi_ranks: int | None = None) -> RunDir:
    """Run the pipeline described by ``config`` (a TOML path, a mapping, or None for the built-in
    example) into its run folder and return it.

    With ``resume`` (default), a stage already finished with the same settings and inputs is not
    run again, so an interrupted run continues where it stopped; ``resume=False`` redoes every stage.
    ``stop_after`` names the last stage to run (``scan``, ``segment``, ``characterize``,
    ``twins``, ``assemble``, ``simulate``).

    ``on_event(kind, stage, text)`` hears what happens as it happens: kind ``"start"`` (a stage
    begins; text "i/n"), ``"reused"`` (a stage taken from the run folder), ``"warning"`` (each
    distinct warning of a stage, "Category: message", also stored in the stage's summary) and
    ``"done"`` (text: seconds). ``run_dir.reused`` lists the stages taken from the run folder.
    ``mpi_ranks`` (> 1) overrides ``simulation.mpi_ranks``: the simulate stage's homogenizations run
    under ``mpirun -n mpi_ranks`` (see :mod:`voxtwin.pipeline.simulate_mpi`).
    """
    def emit(kind: str, stage: str, text: str = "") -> None:
        if on_event is not None:
            on_event(kind, stage, text)

    if mpi_ranks is not None:
        cfg = dict(load_config(config))
        cfg["simulation"] = dict(cfg["simulation"], mpi_ranks=mpi_ranks)
        cfg = load_config(cfg)  # checked again with the override
    else:
        cfg = load_config(config)
    check_inputs(cfg)
    names = [stage.NAME for stage in STAGES]
    if stop_after is not None and stop_after not in names:
        raise ValueError(f"`stop_after` must be one of {names}, got stop_after={stop_after!r}")
    run_dir = RunDir(cfg["run"]["output"])
    (run_dir.path / "config.toml").write_text(dumps(cfg), encoding="utf-8")
    run_dir.set_info(name=cfg["run"]["name"], version=_core.__version__, config=cfg,
                     cuda=bool(backend_info()["cuda_available"]), device=cfg["run"]["device"])
    if cfg["run"]["threads"]:
        set_num_threads(cfg["run"]["threads"])
    ctx = Context(cfg, run_dir, progress=cfg["run"]["progress"] if progress is None else progress)
    fps: dict[str, str] = {}
    run_dir.reused = []
    last = names.index(stop_after) + 1 if stop_after is not None else len(names)
    for i, stage in enumerate(STAGES, 1):
        fp = fingerprint(stage.settings(cfg), *(fps[d] for d in stage.DEPENDS))
        fps[stage.NAME] = fp
        if resume and run_dir.is_done(stage.NAME, fp):
            run_dir.reused.append(stage.NAME)
            emit("reused", stage.NAME, f"{i}/{last}")
            for text in (run_dir.record(stage.NAME) or StepRecord(stage.NAME, fp)).summary.get("warnings", []):
                emit("warning", stage.NAME, text)
        else:
            emit("start", stage.NAME, f"{i}/{last}")
            start = time.perf_counter()
            with warnings.catch_warnings(record=True) as caught:  # listed in the report and told to on_event
                warnings.simplefilter("always")
                outcome = stage.run(ctx)
            texts = list(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))  # once each, in order
            if texts:
                outcome.summary["warnings"] = texts
            for text in texts:
                emit("warning", stage.NAME, text)
            seconds = time.perf_counter() - start
            run_dir.finish(StepRecord(stage.NAME, fp, outputs=outcome.outputs, summary=outcome.summary,
                                      figures=outcome.figures, seconds=seconds))
            emit("done", stage.NAME, f"{seconds:.1f}")
        if stage.NAME == stop_after:
            break
    return run_dir
