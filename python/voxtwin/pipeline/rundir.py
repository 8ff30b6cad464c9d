"""A run folder: every step's outputs, a manifest, and what makes a run resumable.

Layout::

    RUN_DIR/
      run.json            manifest: voxtwin version, config, steps done (fingerprint, outputs, time)
      config.toml         the configuration the run was started with
      volumes/            zarr stores (labels, twins, assemblies)
      tables/             CSV statistics
      results/            JSON results of each step
      figures/            PNG figures
      report.html         written by `voxtwin report`

A step is skipped on a rerun when the manifest holds it with the same fingerprint (a hash of
its settings and of the fingerprints of the steps it depends on) and all its outputs exist.
The manifest is rewritten atomically after each step, so an interrupted run loses at most the
step that was running.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SUBDIRS = ("volumes", "tables", "results", "figures")


def fingerprint(settings: Any, *upstream: str) -> str:
    """Stable hash of a step's settings (JSON-serialisable) and its upstream fingerprints."""
    payload = json.dumps({"settings": settings, "upstream": list(upstream)}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclass
class StepRecord:
    """What a finished step left behind."""

    name: str
    fingerprint: str
    outputs: dict[str, str] = field(default_factory=dict)  # role -> path relative to the run folder
    summary: dict[str, Any] = field(default_factory=dict)  # numbers and words for the report
    figures: list[str] = field(default_factory=list)  # PNG paths relative to the run folder
    seconds: float = 0.0
    finished: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "fingerprint": self.fingerprint,
            "outputs": self.outputs,
            "summary": self.summary,
            "figures": self.figures,
            "seconds": self.seconds,
            "finished": self.finished,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StepRecord:
        return cls(
            name=str(data["name"]),
            fingerprint=str(data["fingerprint"]),
            outputs=dict(data.get("outputs", {})),
            summary=dict(data.get("summary", {})),
            figures=list(data.get("figures", [])),
            seconds=float(data.get("seconds", 0.0)),
            finished=str(data.get("finished", "")),
        )


class RunDir:
    """A run folder with its manifest (see the module docstring)."""

    MANIFEST = "run.json"

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True) -> None:
        self.path = Path(path)
        self.reused: list[str] = []  # stages the last `run` took from this folder instead of running them
        if create:
            for sub in ("", *SUBDIRS):
                (self.path / sub).mkdir(parents=True, exist_ok=True)
        elif not (self.path / self.MANIFEST).is_file():
            raise FileNotFoundError(f"`run_dir` is not a voxtwin run folder (no {self.MANIFEST}): {self.path}")
        self._manifest = self._load()

    # ------------------------------------------------------------------ manifest
    def _load(self) -> dict[str, Any]:
        file = self.path / self.MANIFEST
        if not file.is_file():
            return {"steps": {}, "order": []}
        try:
            data = json.loads(file.read_text())
        except json.JSONDecodeError as exc:
            raise ValueError(f"run manifest {file} is not valid JSON ({exc}); delete it to start the run afresh") from None
        data.setdefault("steps", {})
        data.setdefault("order", [])
        return data

    def _save(self) -> None:
        file = self.path / self.MANIFEST
        tmp = file.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self._manifest, indent=2, sort_keys=True, default=str))
        os.replace(tmp, file)  # atomic: a crash leaves the old manifest or the new one

    def set_info(self, **info: Any) -> None:
        """Run-level facts (version, config, start time) stored in the manifest."""
        self._manifest.setdefault("info", {}).update(info)
        self._save()

    @property
    def info(self) -> dict[str, Any]:
        return dict(self._manifest.get("info", {}))

    # ------------------------------------------------------------------ steps
    def record(self, name: str) -> StepRecord | None:
        """The record of a finished step, or None."""
        data = self._manifest["steps"].get(name)
        return StepRecord.from_dict(data) if data else None

    def steps(self) -> list[StepRecord]:
        """Finished steps in the order they finished."""
        return [StepRecord.from_dict(self._manifest["steps"][n]) for n in self._manifest["order"] if n in self._manifest["steps"]]

    def is_done(self, name: str, fp: str) -> bool:
        """True when step `name` finished with fingerprint `fp` and its outputs are all still there."""
        rec = self.record(name)
        if rec is None or rec.fingerprint != fp:
            return False
        return all((self.path / p).exists() for p in [*rec.outputs.values(), *rec.figures])

    def finish(self, rec: StepRecord) -> None:
        """Store a finished step (atomically)."""
        rec.finished = rec.finished or _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
        self._manifest["steps"][rec.name] = rec.to_dict()
        if rec.name in self._manifest["order"]:
            self._manifest["order"].remove(rec.name)
        self._manifest["order"].append(rec.name)
        self._save()

    def forget(self, name: str) -> None:
        """Drop a step (and so everything downstream of it will be redone by fingerprint)."""
        self._manifest["steps"].pop(name, None)
        if name in self._manifest["order"]:
            self._manifest["order"].remove(name)
        self._save()

    # ------------------------------------------------------------------ files
    def rel(self, path: str | os.PathLike[str]) -> str:
        """Path relative to the run folder (for the manifest)."""
        return str(Path(path).resolve().relative_to(self.path.resolve()))

    def file(self, sub: str, name: str) -> Path:
        """A path inside one of the run folder's subfolders."""
        if sub not in SUBDIRS:
            raise ValueError(f"`sub` must be one of {SUBDIRS}, got sub={sub!r}")
        return self.path / sub / name

    def write_json(self, name: str, data: Any) -> Path:
        """Write results/<name>.json atomically and return its path."""
        file = self.file("results", f"{name}.json")
        tmp = file.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=_json_default))
        os.replace(tmp, file)
        return file

    def read_json(self, name: str) -> Any:
        return json.loads(self.file("results", f"{name}.json").read_text())


def _json_default(obj: Any) -> Any:
    """numpy scalars and arrays in JSON."""
    try:
        import numpy as np

        if isinstance(obj, np.ndarray):
            return obj.tolist()
        if isinstance(obj, np.generic):
            return obj.item()
    except ImportError:  # pragma: no cover - numpy is a core dependency
        pass
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} to JSON")
