"""The studio's pages in headless Chromium (Playwright, sync API) against a real uvicorn server on a
free 127.0.0.1 port: drawing a 1 and a 0, the six explanations following a clicked class, a tap
drawing a dot, Clear leaving nothing of a drawing (answers still due included), the playground
learning, the ConvNet page training (and both saying when the loss diverged), each page echoing a
refused value as typed and clearing the refusal once the value is fixed, and a Black Box session:
two students (two browser contexts) answering before and after the explanations while the
teacher's view counts them (the comparison over those who finished). The Draw page fills its
settings from /api/info, and Kernel SHAP's fewest samples follow the cell size.

Chromium comes from the system (`apt-get install chromium`), launched by path. Under CI (env CI
set) a missing browser fails the tests; elsewhere they are skipped with the reason. With
MINIDL_SCREENSHOTS=<folder> the tests save the README's screenshots there.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
from pathlib import Path

import pytest

if not os.environ.get("CI"):  # under CI a missing dependency is an error, not a skip
    pytest.importorskip("starlette", reason="the studio extra is not installed: pip install -e '.[studio]'")
    pytest.importorskip("uvicorn", reason="the studio extra is not installed: pip install -e '.[studio]'")

from minidl.studio.convnet import LeNetTrainer
from studio_server import running_studio

pytestmark = pytest.mark.studio

CHROMIUM = os.environ.get("MINIDL_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = os.environ.get("MINIDL_SCREENSHOTS")


def _missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (under CI the browser tests must run: install chromium and playwright)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def server_url(tmp_path_factory):
    poll_file = tmp_path_factory.mktemp("poll") / "poll.sqlite3"  # the Black Box test's class only
    with running_studio(max_sessions=2, idle_seconds=60, poll_file=poll_file) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[dev]')")
    if not Path(CHROMIUM).is_file():
        _missing(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set MINIDL_CHROMIUM)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


def save_screenshot(page, name: str) -> None:
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def open_draw(page, server_url: str) -> None:
    """Open the Draw page and wait until it has filled its settings from /api/info and takes strokes."""
    page.goto(f"{server_url}/draw")
    page.wait_for_selector("body[data-ready]", timeout=10_000)


def stroke(page, points: list[tuple[float, float]]) -> None:
    """Drag the mouse through points given in the pad's 280×280 coordinates."""
    box = page.locator("#pad").bounding_box()
    page.mouse.move(box["x"] + points[0][0], box["y"] + points[0][1])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x, box["y"] + y, steps=2)
    page.mouse.up()


def drawn_top_class(page) -> int:
    page.wait_for_selector("#bars[data-top]", timeout=10_000)
    page.wait_for_selector("#lime[data-target]", timeout=10_000)
    page.wait_for_selector("#kernel_shap[data-target]", timeout=10_000)
    return int(page.get_attribute("#bars", "data-top"))


def canvas_pixels(page, selector: str) -> str:
    return page.eval_on_selector(selector, "canvas => canvas.toDataURL()")


OVERLAYS = ["#saliency", "#gradcam", "#gradcam_plus_plus", "#integrated_gradients", "#lime", "#kernel_shap"]


def test_draw_a_one_a_zero_and_explanations_that_follow_the_clicked_class(server_url, page):
    import math

    open_draw(page, server_url)
    stroke(page, [(140, 50 + 9 * i) for i in range(21)])
    assert drawn_top_class(page) == 1

    blank = page.evaluate(
        "() => { const c = document.createElement('canvas'); c.width = c.height = 140; return c.toDataURL(); }"
    )
    before = {name: canvas_pixels(page, name) for name in OVERLAYS}
    assert all(image != blank for image in before.values()), "an explanation overlay stayed empty"
    total = page.text_content("#total-ms")
    assert total.startswith("Server time for the six maps: ") and total.count(" ms") == 1, total
    assert all(page.text_content(f"{name}-ms").endswith(" ms)") for name in OVERLAYS)

    page.click("#bars button[data-digit='7']")
    page.wait_for_selector("#lime[data-target='7']", timeout=10_000)
    page.wait_for_selector("#kernel_shap[data-target='7']", timeout=10_000)
    assert page.get_attribute("#bars", "data-target") == "7"
    assert "7" in page.text_content("#why")
    after = {name: canvas_pixels(page, name) for name in OVERLAYS}
    unchanged = [name for name in OVERLAYS if after[name] == before[name]]
    assert not unchanged, f"overlays that did not change for class 7: {unchanged}"

    page.click("#clear")
    circle = [(140 + 75 * math.sin(2 * math.pi * i / 40), 140 - 95 * math.cos(2 * math.pi * i / 40)) for i in range(42)]
    stroke(page, circle)
    assert drawn_top_class(page) == 0
    save_screenshot(page, "draw")


# Chromium draws the round caps of a line of length 0; the HTML standard prunes such a line before
# stroking (whatwg/html#1079) and other browsers have drawn nothing. The page must not depend on it,
# so these tests stroke as the standard says: a path whose lines all have length 0 draws nothing.
STANDARD_STROKE = """
(() => {
  const context = CanvasRenderingContext2D.prototype;
  const { beginPath, moveTo, lineTo, stroke } = context;
  const paths = new WeakMap(); // context → {last: the last point, long: a line of length > 0 so far}
  const path = (c) => paths.get(c) || paths.set(c, { last: null, long: false }).get(c);
  context.beginPath = function () { paths.delete(this); return beginPath.call(this); };
  context.moveTo = function (x, y) { path(this).last = [x, y]; return moveTo.call(this, x, y); };
  context.lineTo = function (x, y) {
    const p = path(this);
    p.long ||= p.last !== null && (p.last[0] !== x || p.last[1] !== y);
    p.last = [x, y];
    return lineTo.call(this, x, y);
  };
  context.stroke = function (...args) { if (path(this).long) stroke.apply(this, args); };
})();
"""


def refusals(page) -> list[str]:
    """Filled in as they happen: the page's console errors and the studio's answers of 400 and up."""
    seen: list[str] = []
    page.on("console", lambda message: seen.append(message.text) if message.type == "error" else None)
    page.on(
        "response",
        lambda response: seen.append(f"{response.status} {response.url}") if response.status >= 400 else None,
    )
    return seen


def inked_pixels(page) -> int:
    """Pixels of the pad at least half covered by ink (white on black: the red channel says it)."""
    return page.evaluate(
        """() => { const pad = document.getElementById("pad");
                   const pixels = pad.getContext("2d").getImageData(0, 0, pad.width, pad.height).data;
                   return pixels.filter((v, i) => i % 4 === 0 && v >= 128).length; }"""
    )


def test_a_tap_draws_a_dot_that_is_classified_like_any_drawing(server_url, page):
    page.add_init_script(STANDARD_STROKE)
    refused = refusals(page)
    open_draw(page, server_url)
    card = page.locator("main section").first
    width = card.bounding_box()["width"]
    box = page.locator("#pad").bounding_box()
    page.mouse.click(box["x"] + 140, box["y"] + 140)
    page.wait_for_function(
        "document.getElementById('lime').dataset.target || document.getElementById('status').textContent",
        timeout=10_000,
    )
    assert page.text_content("#status") == "" and not refused, (page.text_content("#status"), refused)
    dot = math.pi * 9**2  # a disc of the stroke's width, 18 pixels
    assert 0.9 * dot < inked_pixels(page) < 1.1 * dot, inked_pixels(page)
    assert page.get_attribute("#bars", "data-top") is not None
    assert card.bounding_box()["width"] == width  # no message widened the card


def leftovers(page) -> list[str]:
    """What the Draw page still shows of a drawing: its ink, texts, data attributes, painted canvases."""
    left = [] if inked_pixels(page) == 0 else ["ink on #pad"]
    return left + page.evaluate(
        """() => {
      const left = [];
      const element = (id) => document.getElementById(id);
      const maps = ["saliency", "gradcam", "gradcam_plus_plus", "integrated_gradients", "lime", "kernel_shap"];
      const notes = ["integrated_gradients-note", "lime-note", "kernel_shap-note", "total-ms"];
      for (const id of ["status", "bars", ...notes, ...maps.map((map) => `${map}-ms`)])
        if (element(id).textContent) left.push(`#${id}: ${element(id).textContent}`);
      if (element("why").textContent !== "Why? Draw a digit first.") left.push(`#why: ${element("why").textContent}`);
      for (const [id, key] of [["bars", "top"], ["bars", "target"], ["lime", "target"], ["kernel_shap", "target"]])
        if (key in element(id).dataset) left.push(`#${id} data-${key}`);
      for (const id of ["input", ...maps]) {
        const canvas = element(id);
        if (canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data.some((v) => v))
          left.push(`#${id} painted`);
      }
      return left;
    }"""
    )


ONE = [(140, 50 + 9 * i) for i in range(21)]


def test_clear_leaves_nothing_of_the_old_drawing(server_url, page):
    open_draw(page, server_url)
    stroke(page, ONE)
    drawn_top_class(page)
    assert len(leftovers(page)) > 10  # the helper sees what a drawing leaves
    page.click("#clear")
    assert leftovers(page) == []


@pytest.mark.parametrize("route", ["/api/predict", "/api/lime", "/api/kernel_shap"])
def test_an_answer_about_a_cleared_drawing_is_dropped(server_url, page, route):
    held = []
    page.route(f"**{route}", lambda pending: held.append(pending))  # answered when the test says
    open_draw(page, server_url)
    stroke(page, ONE)
    while not held:
        page.wait_for_timeout(20)
    page.click("#clear")
    with page.expect_response(f"**{route}"):
        held[0].continue_()
    page.wait_for_timeout(300)  # the page has the answer: time for it to (wrongly) show it
    assert leftovers(page) == []


def typed(page, selector: str, text: str) -> str:
    """Type text into a box as a student would (then Enter) and return the status line once it changed."""
    before = page.text_content("#status")
    page.fill(selector, text)
    page.press(selector, "Enter")
    page.wait_for_function(
        "(before) => document.getElementById('status').textContent !== before", arg=before, timeout=10_000
    )
    return page.text_content("#status")


def test_draw_echoes_what_was_typed_for_lime_and_clears_the_refusal_once_fixed(server_url, page):
    open_draw(page, server_url)
    stroke(page, ONE)
    drawn_top_class(page)
    assert typed(page, "#samples", "5") == "num_samples must be an integer in [10, 2000], got 5"
    assert typed(page, "#samples", "") == 'num_samples must be an integer in [10, 2000], got ""'  # not 0
    assert typed(page, "#samples", "300") == ""
    assert page.text_content("#lime-note").startswith("LIME: 300 perturbed images")


def test_draw_fills_its_settings_from_the_server_and_kernel_shaps_minimum_follows_the_cell_size(server_url, page):
    open_draw(page, server_url)
    assert page.eval_on_selector_all("#cell-size option", "options => options.map((o) => o.value)") == [
        "2",
        "4",
        "7",
        "14",
    ]
    assert page.input_value("#cell-size") == "4" and page.input_value("#samples") == "200"
    assert page.input_value("#shap-samples") == "1000" and page.get_attribute("#shap-samples", "max") == "2000"
    assert page.get_attribute("#shap-samples", "min") == "196" and page.get_attribute("#samples", "min") == "10"
    stroke(page, ONE)
    drawn_top_class(page)
    page.select_option("#cell-size", "2")
    assert page.get_attribute("#shap-samples", "min") == "784"
    assert "over 196 cells of 2×2 needs at least 784" in page.text_content("#samples-note")
    refused = typed(page, "#shap-samples", "500")
    assert refused.startswith("num_samples must be at least 784 for Kernel SHAP with cell_size 2"), refused


def test_playground_echoes_what_was_typed_and_clears_the_refusal_once_fixed(server_url, page):
    page.goto(f"{server_url}/playground")
    page.wait_for_selector("#stats[data-steps]", timeout=10_000)
    refusal = "settings not applied: each hidden width must be an integer in [1, 8], got "
    assert typed(page, "input[name=hidden]", "4, x") == refusal + '"x"'  # not null
    assert typed(page, "input[name=hidden]", "4, 9") == refusal + "9"
    assert typed(page, "input[name=hidden]", "3, 2") == ""
    page.wait_for_function("document.querySelectorAll('#neurons .layer').length === 2")


def test_convnet_echoes_what_was_typed_and_clears_the_refusal_once_fixed(server_url, page):
    page.goto(f"{server_url}/convnet")
    page.wait_for_selector("#stats[data-steps]", timeout=15_000)
    refusal = "settings not applied: example must be an integer in [0, 199], got "
    assert typed(page, "#example-index", "500") == refusal + "500"
    assert typed(page, "#example-index", "") == refusal + '""'  # not example 0
    assert typed(page, "#example-index", "7") == ""


def test_a_closed_connection_stays_said_when_a_setting_changes(server_url, page):
    def closing_at_once(websocket):  # a studio that ends the session as soon as the page connects
        websocket.send(json.dumps({"type": "closed", "reason": "idle for 120 s"}))
        websocket.close()

    page.route_web_socket("**/ws/playground", closing_at_once)
    page.goto(f"{server_url}/playground")
    page.wait_for_function("document.getElementById('status').textContent.includes('closed')")
    said = page.text_content("#status")
    page.select_option("select[name=dataset]", "xor")
    page.wait_for_timeout(300)  # time for the page to (wrongly) take it back
    assert page.text_content("#status") == said


def test_playground_play_lowers_the_loss_and_moves_the_boundary(server_url, page):
    page.goto(f"{server_url}/playground")
    page.wait_for_selector("#stats[data-steps]", timeout=10_000)
    page.select_option("select[name=dataset]", "xor")
    page.wait_for_function("document.querySelector('#stats').dataset.steps === '0'", timeout=10_000)
    first_loss = float(page.get_attribute("#stats", "data-train-loss"))
    first_boundary = canvas_pixels(page, "#boundary")
    frames_before = int(page.get_attribute("#stats", "data-frames"))
    page.click("#play")
    started = time.monotonic()
    page.wait_for_function("Number(document.querySelector('#stats').dataset.steps) >= 400", timeout=30_000)
    elapsed = time.monotonic() - started
    frames = int(page.get_attribute("#stats", "data-frames")) - frames_before
    page.click("#play")  # pause
    print(
        f"\nplayground: {frames} frames in {elapsed:.1f} s = {frames / elapsed:.1f} frames/s (a loaded machine "
        "slows this)"
    )
    last_loss = float(page.get_attribute("#stats", "data-train-loss"))
    assert last_loss < 0.8 * first_loss, f"train loss went from {first_loss:.3f} to {last_loss:.3f}"
    assert canvas_pixels(page, "#boundary") != first_boundary
    save_screenshot(page, "playground")


def test_playground_says_when_the_loss_diverged(server_url, page):
    page.goto(f"{server_url}/playground")
    page.wait_for_selector("#stats[data-steps]", timeout=10_000)
    # Beyond the page's menus but within what the server allows: steps this large make the loss NaN.
    page.evaluate(
        """() => { for (const [name, value] of [["learning_rate", "10"], ["l2", "1"]])
                     document.querySelector(`select[name=${name}]`).add(new Option(value, value, true, true)); }"""
    )
    page.select_option("select[name=activation]", "relu")  # sends the settings, then the step
    page.click("#step")
    page.wait_for_function("document.querySelector('#diverged-note').textContent !== ''", timeout=10_000)
    assert "lower the learning rate" in page.text_content("#diverged-note")
    assert "train loss diverged" in page.text_content("#stats")


def test_convnet_page_trains_and_its_curve_moves(server_url, page):
    page.goto(f"{server_url}/convnet")
    page.wait_for_selector("#stats[data-steps]", timeout=15_000)
    curve = canvas_pixels(page, "#loss")
    page.click("#start")
    page.wait_for_function("Number(document.querySelector('#stats').dataset.steps) >= 90", timeout=60_000)
    page.click("#start")  # stop
    assert int(page.get_attribute("#stats", "data-points")) >= 90
    assert canvas_pixels(page, "#loss") != curve
    assert "test accuracy" in page.text_content("#stats")
    save_screenshot(page, "convnet")


def test_convnet_page_says_when_the_loss_diverged(server_url, page, monkeypatch):
    step = LeNetTrainer.step
    monkeypatch.setattr(LeNetTrainer, "step", lambda self: (math.nan, step(self)[1]))  # a loss that overflowed
    page.goto(f"{server_url}/convnet")
    page.wait_for_selector("#stats[data-steps]", timeout=15_000)
    page.click("#start")
    page.wait_for_function("document.querySelector('#diverged-note').textContent !== ''", timeout=30_000)
    page.click("#start")  # stop
    assert "lower the learning rate" in page.text_content("#diverged-note")
    assert "loss diverged" in page.text_content("#stats")


def answer_questions(page, stage: str, trust: str, feature: str) -> None:
    """Tick a student's two answers of a stage and send them; wait for the page to go on."""
    page.wait_for_selector(f"#questions[data-stage={stage}]", timeout=10_000)
    assert page.is_disabled("#send")  # nothing is sent before both are ticked
    page.check(f"input[name=trust_{stage}][value={trust}]")
    assert page.is_disabled("#send")
    page.check(f"input[name=feature_{stage}][value={feature}]")
    page.click("#send")
    page.wait_for_selector(f"#questions:not([data-stage={stage}])", timeout=10_000)


def shares(page) -> list[str]:
    """The teacher's view, its bars' shares in words: this class before and after, the paper's."""
    return page.eval_on_selector_all(".share span:last-child", "spans => spans.map((span) => span.textContent)")


def counts_shown(page, before: int, after: int) -> None:
    page.wait_for_selector(f"#comparisons[data-before='{before}'][data-after='{after}']", timeout=10_000)


def test_two_students_answer_before_and_after_the_explanations_and_the_teacher_sees_the_counts(
    server_url, browser, page
):
    teacher = page
    teacher.goto(f"{server_url}/blackbox/results")
    counts_shown(teacher, 0, 0)
    assert shares(teacher)[:2] == ["nobody has finished yet"] * 2
    assert shares(teacher)[2:4] == ["10/27 (37%)", "3/27 (11%)"] and shares(teacher)[6:] == [
        "12/27 (44%)",
        "25/27 (93%)",
    ]

    students = [browser.new_context(viewport={"width": 1280, "height": 900}) for _ in range(2)]
    ann, bob = (context.new_page() for context in students)
    errors: list[str] = []
    for student in (ann, bob):
        student.on("pageerror", lambda error: errors.append(str(error)))
        student.goto(f"{server_url}/blackbox")
        student.wait_for_selector(".case canvas", timeout=10_000)
        assert student.locator(".case").count() == 10 and student.locator(".case .wrong").count() == 2
        assert student.locator(".explanation").count() == 0  # no explanation before the first answers
    save_screenshot(ann, "blackbox_before")
    answer_questions(ann, "before", "yes", "shape")
    answer_questions(bob, "before", "no", "background")
    counts_shown(teacher, 2, 0)
    assert shares(teacher)[:2] == ["nobody has finished yet"] * 2  # the paper's are of the same people
    assert "the 0 student(s) who have answered both before and after" in teacher.text_content("#finished")
    assert "; 2 more have answered only part so far." in teacher.text_content("#finished")

    assert ann.locator(".explanation canvas").count() == 20  # LIME and Grad-CAM of each picture
    assert ann.get_attribute("#questions", "data-stage") == "after"
    save_screenshot(ann, "blackbox_after")
    ann.reload()  # the page asks the server what this browser answered, and goes on from there
    ann.wait_for_selector("#questions[data-stage=after]", timeout=10_000)
    assert ann.locator(".explanation canvas").count() == 20
    answer_questions(ann, "after", "no", "background")
    counts_shown(teacher, 2, 1)
    assert shares(teacher)[:2] == ["1/1 (100%)", "0/1 (0%)"]  # Ann's before beside Ann's after, not Bob's
    assert teacher.get_attribute("#comparisons", "data-unfinished") == "1"
    answer_questions(bob, "after", "no", "background")
    counts_shown(teacher, 2, 2)
    assert shares(teacher)[:2] == ["1/2 (50%)", "0/2 (0%)"] and shares(teacher)[4:6] == ["1/2 (50%)", "2/2 (100%)"]
    save_screenshot(teacher, "blackbox_results")

    assert bob.get_attribute("#questions", "data-stage") == "done"
    assert "after: the background (snow or grass)" in bob.text_content("#own-answers")
    for context in students:
        context.close()
    assert not errors, f"JavaScript errors on the students' pages: {errors}"
