"""The course site: `mkdocs build --strict` of the quick lessons (MINIDL_LESSON_QUICK=1) succeeds without
a warning, every lesson page is that lesson run as a notebook in a Jupyter kernel (its code, printed
numbers and figures, its .py and .ipynb downloads beside it), and headless Chromium finds what a
reader needs: a lesson's figures and output, GradCAM's docstring on the API page, every internal link
answered, and no request leaving the machine (the site works offline)."""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urljoin, urlsplit
from urllib.request import urlopen

import pytest

from lessons import LESSONS

pytestmark = pytest.mark.docs

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("site")
    environment = {**os.environ, "MINIDL_LESSON_QUICK": "1", "MINIDL_OUTPUT": str(folder / "minidl-output")}
    environment.pop("MPLBACKEND", None)  # as a reader's shell would be; the lessons show figures whatever it is
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(folder / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
        env=environment,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return folder


def test_every_lesson_is_a_page_of_its_run_with_its_downloads(site):
    for lesson in LESSONS:
        page = (site / "site" / "lessons" / lesson.name / "index.html").read_text(encoding="utf-8")
        assert "What we saw" in page, lesson.name
        assert "data:image/png;base64," in page, f"{lesson.name}: no figure"
        assert f'href="../{lesson.name}.ipynb"' in page and f'href="../{lesson.name}.py"' in page
        notebook = json.loads((site / "site" / "lessons" / f"{lesson.name}.ipynb").read_text(encoding="utf-8"))
        assert notebook["nbformat"] == 4 and any(cell["cell_type"] == "code" for cell in notebook["cells"])
        assert (site / "site" / "lessons" / f"{lesson.name}.py").read_bytes() == (
            ROOT / "lessons" / f"{lesson.name}.py"
        ).read_bytes()
        assert list((site / "minidl-output" / "lessons-quick" / lesson.name).glob("*.png")), lesson.name


@pytest.fixture(scope="module")
def served(site):
    handler = functools.partial(QuietHandler, directory=str(site / "site"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, served):
    """A page whose requests to anywhere but the site's server are refused and recorded."""
    page = browser.new_page()
    page.left_the_machine = []

    def only_local(route) -> None:
        if route.request.url.startswith(served) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            page.left_the_machine.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    yield page
    page.close()


def test_a_lesson_page_shows_its_figures_and_what_it_printed(page, served):
    page.goto(served + "lessons/gradcam/")
    assert "Grad-CAM" in page.title()
    figures = page.locator("img[src^='data:image/png']")
    assert figures.count() >= 3
    assert all(figures.nth(k).evaluate("img => img.naturalWidth > 100") for k in range(figures.count()))
    text = page.locator("body").inner_text()
    assert "What we saw" in text and "five steps" in text
    assert page.left_the_machine == []


def test_the_api_page_lists_gradcam_with_its_docstring(page, served):
    page.goto(served + "api/xai/")
    heading = page.locator("[id='minidl.xai.GradCAM'].doc-heading")
    assert heading.count() == 1 and "GradCAM" in heading.inner_text()
    assert "maps = cam(images, target=None)" in page.locator("body").inner_text()
    assert page.left_the_machine == []


def test_every_internal_link_resolves_and_nothing_leaves_the_machine(page, served):
    """Every page of the site, reached by following the links from the home page: each link within the
    site answers (a download, the lesson's .py and .ipynb, by a plain GET), and the pages load nothing
    from elsewhere (no CDN, no web font)."""
    to_visit, seen, broken = [served], set(), []
    while to_visit:
        url = to_visit.pop()
        if url in seen:
            continue
        seen.add(url)
        if not url.endswith("/") and not url.endswith(".html"):
            try:
                with urlopen(url, timeout=30) as answer:
                    if answer.status != 200 or not answer.read(1):
                        broken.append(url)
            except HTTPError:
                broken.append(url)
            continue
        response = page.goto(url)
        if response is None or response.status != 200:
            broken.append(url)
            continue
        for href in page.eval_on_selector_all("a[href]", "links => links.map(link => link.getAttribute('href'))"):
            target = urljoin(url, href).split("#")[0]
            if target.startswith(served) and target not in seen:
                to_visit.append(target)
    assert broken == []
    assert len([url for url in seen if url.endswith("/")]) >= len(LESSONS) + 10
    assert len([url for url in seen if url.endswith(".ipynb")]) == len(LESSONS)
    assert page.left_the_machine == []


def test_pages_link_nowhere_but_to_the_site_and_a_few_named_places(site):
    """The only addresses outside the site are links a reader may follow, never a script, a style
    sheet, a font or an image to fetch."""
    loaded = re.compile(r'<(?:script|link|img)[^>]+(?:src|href)="(https?:)?//', re.I)
    for page in (site / "site").rglob("*.html"):
        match = loaded.search(page.read_text(encoding="utf-8"))
        assert match is None, f"{page.relative_to(site)} loads {match.group(0)}"
        hosts = {urlsplit(url).netloc for url in re.findall(r'href="(https?://[^"]+)"', page.read_text("utf-8"))}
        assert hosts <= {"squidfunk.github.io", "www.kaggle.com", "github.com", "www.mkdocs.org"}, hosts
