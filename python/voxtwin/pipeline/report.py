"""A self-contained HTML summary of a run folder: every figure embedded, no external resources."""

from __future__ import annotations

import base64
import html
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .rundir import RunDir, StepRecord

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#222;line-height:1.45}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2.2rem}
.meta{color:#666;font-size:.9rem}table{border-collapse:collapse;margin:.6rem 0;font-size:.9rem}
td,th{border:1px solid #ddd;padding:.25rem .55rem;text-align:right}th{background:#f4f4f4;text-align:left}
td.k{text-align:left;font-weight:600;background:#fafafa}figure{display:inline-block;margin:.5rem;vertical-align:top;max-width:100%}
figure img{max-width:100%;border:1px solid #eee}figcaption{font-size:.8rem;color:#555;text-align:center}
pre{background:#f7f7f7;padding:.8rem;overflow:auto;font-size:.8rem}.time{color:#888;font-weight:normal;font-size:.9rem}
.warn{background:#fff8e1;border-left:4px solid #f0b400;padding:.4rem .9rem;margin:.6rem 0}.warn ul{margin:.3rem 0;padding-left:1.2rem}
details summary{cursor:pointer;font-weight:600}
"""


def _fmt_number(x: float) -> str:
    if x == 0 or (1e-3 <= abs(x) < 1e5):
        return f"{x:.4g}"
    return f"{x:.4e}"


def _is_matrix(value: Any) -> bool:
    return (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) > 0
        and all(isinstance(row, Sequence) and not isinstance(row, str) for row in value)
        and all(isinstance(v, (int, float)) for row in value for v in row)
    )


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return _fmt_number(float(value)) if isinstance(value, float) else str(value)
    if _is_matrix(value):
        rows = "".join("<tr>" + "".join(f"<td>{_cell(v)}</td>" for v in row) + "</tr>" for row in value)
        return f"<table>{rows}</table>"
    if isinstance(value, Mapping):
        return _table(value)
    if isinstance(value, Sequence) and not isinstance(value, str):
        return ", ".join(_cell(v) for v in value)
    return html.escape(str(value))


def _table(data: Mapping[str, Any]) -> str:
    rows = "".join(f'<tr><td class="k">{html.escape(str(k))}</td><td>{_cell(v)}</td></tr>' for k, v in data.items())
    return f"<table>{rows}</table>"


def _figure(run: RunDir, rel: str) -> str:
    file = run.path / rel
    if not file.is_file():
        return f"<p>(figure missing: {html.escape(rel)})</p>"
    data = base64.b64encode(file.read_bytes()).decode("ascii")
    caption = html.escape(file.stem.replace("_", " "))
    return f'<figure><img alt="{caption}" src="data:image/png;base64,{data}"><figcaption>{caption}</figcaption></figure>'


def _warnings(items: Sequence[str], title: str) -> str:
    """A list of warnings, one per line (a box above the numbers it qualifies)."""
    rows = "".join(f"<li>{html.escape(str(w))}</li>" for w in items)
    return f'<div class="warn"><b>{html.escape(title)}</b><ul>{rows}</ul></div>'


def _step(run: RunDir, rec: StepRecord) -> str:
    parts = [f'<h2 id="{html.escape(rec.name)}">{html.escape(rec.name)} <span class="time">{rec.seconds:.1f} s</span></h2>']
    summary = dict(rec.summary)
    warned = summary.pop("warnings", [])
    if warned:
        parts.append(_warnings(warned, f"warnings ({len(warned)})"))
    if summary:
        parts.append(_table(summary))
    if rec.figures:
        parts.append("<div>" + "".join(_figure(run, f) for f in rec.figures) + "</div>")
    return "\n".join(parts)


def write_report(run_dir: str | os.PathLike[str], path: str | os.PathLike[str] | None = None) -> Path:
    """Write ``report.html`` (or ``path``) for the run folder ``run_dir`` and return its path.

    The page holds the run's facts, every finished step's summary numbers and its figures
    (PNG, embedded as data URIs), and the configuration; it opens offline in any browser.
    """
    run = RunDir(run_dir, create=False)
    info = run.info
    title = html.escape(str(info.get("name", run.path.name)))
    meta = ", ".join(
        f"{html.escape(k)}: {html.escape(str(v))}" for k, v in info.items() if k not in ("name", "config")
    )
    body = [f"<h1>voxtwin run: {title}</h1>", f'<p class="meta">{meta}</p>']
    steps = run.steps()
    if not steps:
        body.append("<p>No step of this run has finished yet.</p>")
    every = [f'{rec.name}: {w}' for rec in steps for w in rec.summary.get("warnings", [])]
    if every:  # at the top too: a reader should not have to find them in the tables
        body.append(_warnings(every, f"{len(every)} warning{'s' if len(every) > 1 else ''} in this run"))
    body.extend(_step(run, rec) for rec in steps)
    if "config" in info:  # collapsed: the settings are there when wanted, not 2,500 px of them
        body.append("<h2>Configuration</h2><details><summary>the run's settings (click to show)</summary><pre>"
                    + html.escape(json.dumps(info["config"], indent=2)) + "</pre></details>")
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>voxtwin run {title}</title><style>{_CSS}</style></head><body>"
        + "\n".join(body)
        + "</body></html>"
    )
    out = Path(path) if path is not None else run.path / "report.html"
    out.write_text(page, encoding="utf-8")
    return out
