"""The benchmark suite runs and records its results (how fast is its own business, never a test's)."""

import json
import subprocess
import time
from pathlib import Path

import pytest

from benchmarks.__main__ import main

pytestmark = pytest.mark.benchmarks


def test_quick_benchmark_run_writes_json_and_markdown(tmp_path, capsys):
    assert main(["--quick", "--out", str(tmp_path)]) == 0
    record = json.loads((tmp_path / "results.json").read_text())
    suites = {row["suite"] for row in record["rows"]}
    assert suites == {"engine", "kernels", "convolution", "lenet", "workers", "xai"}
    assert all(seconds > 0 for row in record["rows"] for seconds in row["seconds"].values())
    assert "| benchmark |" in (tmp_path / "results.md").read_text()
    assert "LeNet-5 training epoch" in capsys.readouterr().out


def test_a_quick_run_writes_nowhere_in_the_repository(capsys):
    repository = Path(__file__).resolve().parent.parent
    if not (repository / ".git").exists():
        pytest.fail("this test needs the git checkout the tests run from")
    before = subprocess.run(
        ["git", "status", "--porcelain", "--ignored"], cwd=repository, capture_output=True, text=True, check=True
    ).stdout
    assert main(["engine", "--quick"]) == 0
    assert "results not saved (a --quick run saves only with --out DIR)" in capsys.readouterr().out
    after = subprocess.run(
        ["git", "status", "--porcelain", "--ignored"], cwd=repository, capture_output=True, text=True, check=True
    ).stdout
    assert after == before
    with pytest.raises(SystemExit) as exit_:
        main(["engine", "--quick", "--readme"])
    assert exit_.value.code == 2


def test_unknown_suite_is_refused():
    with pytest.raises(SystemExit) as exit_:
        main(["gpu"])
    assert exit_.value.code == 2


def test_readme_block_is_replaced_and_the_rest_kept(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- benchmark-table -->\nold table\n<!-- /benchmark-table -->\noutro\n")
    assert main(["engine", "--quick", "--out", str(tmp_path), "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith("intro\n<!-- benchmark-table -->\n") and text.endswith("<!-- /benchmark-table -->\noutro\n")
    assert "old table" not in text and "| MLP 64-128-10 step, batch 256 |" in text
    assert "mul+sum" not in text  # the front page keeps the rows a student's training spends its time on
    readme.write_text("no markers here")
    with pytest.raises(ValueError, match="benchmark-table"):
        main(["engine", "--quick", "--out", str(tmp_path), "--readme", str(readme)])


def test_the_readme_table_has_at_most_eight_rows_in_the_front_pages_order():
    from benchmarks.report import FRONT_PAGE_CASES, front_page

    rows = [{"suite": "s", "case": "an engine case", "seconds": {"minidl": 0.001, "PyTorch": 0.002}}] + [
        {"suite": "s", "case": f"{start}case {k}", "seconds": {"minidl": 0.001, **({"PyTorch": 0.002} if k else {})}}
        for start in reversed(FRONT_PAGE_CASES)
        for k in range(2)
    ]
    text = front_page(rows, {"cpu": "a CPU", "cores": 2, "torch": "2.x", "torch_threads": 2}, "today")
    table = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert [line.split(" | ")[0][2:] for line in table] == [f"{start}case 1" for start in FRONT_PAGE_CASES]
    assert table[0].endswith("| 1.000 ms | 2.000 ms | 0.50x |")


def test_ratio_is_the_median_of_paired_samples_with_quartiles():
    from benchmarks.report import _ratio

    row = {
        "seconds": {"minidl": 5.0, "PyTorch": 1.0},  # per-round ratios 1, 2, 3, 4, 5, 6, 7, 8, 9
        "samples": {"minidl": [9.0, 1.0, 2.0, 8.0, 3.0, 7.0, 4.0, 6.0, 5.0], "PyTorch": [1.0] * 9},
    }
    assert _ratio(row) == "5.00x (3.00-7.00) of PyTorch's time"  # the median of the ratios and their quartiles
    kernels = {
        "seconds": {"minidl": 1.5, "minidl (reading path)": 4.0},
        "samples": {"minidl": [1.0, 2.0], "minidl (reading path)": [4.0, 4.0]},
    }
    assert _ratio(kernels) == "fast path 3.0x (2.5-3.5) faster"
    assert _ratio({"seconds": {"minidl": 2.0, "PyTorch": 1.0}}) == "2.00x of PyTorch's time"  # one round: no range


def test_fast_candidates_are_timed_as_loops_of_calls():
    from benchmarks.timing import interleaved_timings

    calls = {"fast": 0, "slow": 0}

    def fast():
        calls["fast"] += 1

    def slow():
        calls["slow"] += 1
        time.sleep(0.03)

    timings = interleaved_timings({"fast": fast, "slow": slow}, repeats=3, min_sample_seconds=0.02)
    assert calls["slow"] == 1 + 3  # one warm-up call, then one call per round: it lasts longer than a sample
    assert calls["fast"] > 100  # a loop of calls per sample
    assert [len(s) for s in timings["samples"].values()] == [3, 3]
    assert timings["seconds"]["slow"] >= 0.03 > timings["seconds"]["fast"]
