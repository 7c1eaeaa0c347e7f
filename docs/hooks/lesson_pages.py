"""MkDocs hook: the lesson scripts themselves (lessons/*.py) as the site's lesson pages, in the deck's
order and titled with their slides, each with links to download it as .py and as .ipynb; and the
studio's screenshots, from where the package keeps them.

mkdocs-jupyter turns each script into a page and runs it in a Jupyter kernel while the site builds,
so a page shows the code, the numbers it printed and the figures it drew in that build; the
lessons read MINIDL_LESSON_QUICK (a quick build) and the other settings from the environment.
"""

from __future__ import annotations

from pathlib import Path

import jupytext
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

from lessons import LESSONS, lesson_file

ROOT = Path(__file__).resolve().parents[2]


def on_config(config):
    """The Lessons section of the navigation: its index, then one page per lesson, titled with its slide."""
    for entry in config["nav"]:
        if isinstance(entry, dict) and "Lessons" in entry:
            pages = [{lesson.slide: f"lessons/{lesson.name}.py"} for lesson in LESSONS]
            entry["Lessons"] = ["lessons/index.md", *pages]
    return config


@event_priority(100)  # before mkdocs-jupyter's on_files, which turns the scripts into pages
def on_files(files: Files, config) -> Files:
    for lesson in LESSONS:
        files.append(File(f"lessons/{lesson.name}.py", str(ROOT), config["site_dir"], config["use_directory_urls"]))
    for screenshot in sorted((ROOT / "minidl" / "studio" / "screenshots").glob("*.png")):
        files.append(File.generated(config, f"screenshots/{screenshot.name}", abs_src_path=str(screenshot)))
    return files


def on_page_content(html: str, page, config, files) -> str:
    """A lesson page opens with its two downloads."""
    name = Path(page.file.src_uri).stem
    if not page.file.src_uri.startswith("lessons/") or not page.file.src_uri.endswith(".py"):
        return html
    links = (
        f'<p class="lesson-downloads">Download this lesson: <a href="../{name}.py" download>{name}.py</a> '
        f"(a script with cells, for VS Code, Spyder or <code>python</code>) · "
        f'<a href="../{name}.ipynb" download>{name}.ipynb</a> (a notebook, for Jupyter or Colab)</p>'
    )
    return links + html


def on_post_build(config) -> None:
    """Each lesson's downloads beside its page: the script as it is, and the notebook jupytext makes of it."""
    folder = Path(config["site_dir"]) / "lessons"
    for lesson in LESSONS:
        source = lesson_file(lesson)
        (folder / f"{lesson.name}.py").write_bytes(source.read_bytes())
        notebook = jupytext.read(source)
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        jupytext.write(notebook, folder / f"{lesson.name}.ipynb")
