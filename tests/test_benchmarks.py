"""The benchmark suite runs and records its results (how fast is its own business, never a test's)."""
import json

import pytest

from benchmarks.__main__ import main

pytestmark = pytest.mark.lessons


def test_quick_benchmark_run_writes_json_and_markdown(tmp_path, capsys):
    assert main(["--quick", "--out", str(tmp_path)]) == 0
    record = json.loads((tmp_path / "results.json").read_text())
    suites = {row["suite"] for row in record["rows"]}
    assert suites == {"engine", "kernels", "convolution", "lenet", "xai"}
    assert all(seconds > 0 for row in record["rows"] for seconds in row["seconds"].values())
    assert "| benchmark |" in (tmp_path / "results.md").read_text()
    assert "LeNet-5 training epoch" in capsys.readouterr().out


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
    assert "old table" not in text and "| mul+sum forward/backward, 4x4 |" in text
    readme.write_text("no markers here")
    with pytest.raises(ValueError, match="benchmark-table"):
        main(["engine", "--quick", "--out", str(tmp_path), "--readme", str(readme)])
