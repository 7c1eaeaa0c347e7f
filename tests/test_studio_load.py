"""The studio's load benchmark runs end to end in --quick mode: a real server, simulated students
and live playgrounds, no errors, and nothing written (its numbers belong to the benchmark run)."""

import os

import pytest

if not os.environ.get("CI"):  # under CI a missing dependency is an error, not a skip
    pytest.importorskip("httpx", reason="the load benchmark needs httpx: pip install -e '.[dev]'")
    pytest.importorskip("websockets", reason="the load benchmark needs websockets: pip install -e '.[studio]'")

from benchmarks.__main__ import main

pytestmark = pytest.mark.studio


def test_quick_load_benchmark_serves_everyone_without_errors(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert main(["studio", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "results not saved" in out and "error:" not in out
    assert "errors 0" in out and "server alive True" in out
    assert not list(tmp_path.iterdir())
