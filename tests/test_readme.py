"""The Python examples of the README and of the course site's pages run as written, each in a
scratch folder (some save files) and a fresh namespace. An example that imports PyTorch runs
where PyTorch is installed (it is never a dependency of minidl) and is skipped, saying so, elsewhere."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
EXAMPLES = [
    (page, index, code)
    for page in PAGES
    for index, code in enumerate(re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S))
]


@pytest.mark.parametrize(
    "page, index, code", EXAMPLES, ids=[f"{page.relative_to(ROOT)}:{index}" for page, index, _ in EXAMPLES]
)
def test_the_example_runs(page, index, code, tmp_path, monkeypatch):
    if re.search(r"^import torch|^from torch", code, re.M):
        pytest.importorskip("torch", reason="the example shows PyTorch interplay; PyTorch is not installed")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, f"{page.relative_to(ROOT)} example {index}", "exec"), {})


def test_the_readme_and_the_getting_started_page_have_examples():
    pages = {page.name for page, _, _ in EXAMPLES}
    assert {"README.md", "getting-started.md"} <= pages


def test_the_readme_is_a_front_page_whose_test_command_is_the_one_ci_runs():
    """At most 200 lines, the two quick-start commands sharing .venv, and the second one, word for
    word, in .ci/run (which CI runs on a clean clone)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```bash\n(python3 -m venv .venv && .*?)\n```", readme)
    assert len(readme.splitlines()) <= 200
    assert commands[:2] == [
        "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/python -m lessons --all",
        "python3 -m venv .venv && .venv/bin/pip install -e '.[dev]' && .venv/bin/python -m pytest -q",
    ]
    assert commands[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
