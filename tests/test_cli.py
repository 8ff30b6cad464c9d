"""The command line: help, info, and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from voxtwin.cli import main


def test_info_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert "version" in info and "cuda_available" in info


def test_help_lists_subcommands() -> None:
    out = subprocess.run([sys.executable, "-m", "voxtwin", "--help"], capture_output=True, text=True, check=True)
    assert "info" in out.stdout


def test_unknown_subcommand_exits_with_usage_error() -> None:
    proc = subprocess.run([sys.executable, "-m", "voxtwin", "frobnicate"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr
