"""The studio's ASGI application (Starlette): five static pages, a JSON API and two WebSockets.

    GET  /  /draw  /playground  /convnet  /blackbox  /blackbox/results
                                              the pages (static HTML, CSS and JS modules)
    GET  /static/<file>                       only files shipped in minidl/studio/static
    GET  /api/info                            classes, activations, data sets, limits, sessions
    POST /api/predict   {"image": 28×28 in [0, 1]} or {"drawing": H×W ink in [0, 1]}, "target"?
                        → the 28×28 input, probabilities, saliency / Grad-CAM / Grad-CAM++ /
                          Integrated Gradients maps, each with its time
    POST /api/lime  /api/kernel_shap
                        {"image": 28×28, "target"?, "cell_size"?, "num_samples"?, "seed"?}
    GET  /api/blackbox                        the Black Box page's images, answers and questions
    GET  /api/blackbox/explanations           their LIME and Grad-CAM maps (computed once)
    POST /api/blackbox/answers  {"browser": id, "answers": {question: choice}} (minidl.studio.poll;
                                              the limits on how often: see blackbox_answers)
    POST /api/blackbox/progress {"browser": id} → what that browser has answered
    GET  /api/blackbox/results                the counts before and after, beside the paper's
    WS   /ws/playground  /ws/convnet          live training (see minidl.studio.sessions)

Requests from other sites are refused first (minidl.studio.origins: Host 400, Origin 403).
Bad input gets a 4xx with a JSON {"error": "..."} naming the field, the value as it was sent and
what was expected; a field the route does not know is refused, not ignored; bodies over
MAX_BODY_BYTES are refused while they arrive; nothing is unpickled.

    IMAGE=$(python -c 'print([[0]*28]*10 + [[0]*13 + [1, 1] + [0]*13]*10 + [[0]*28]*8)')
    curl -s localhost:8000/api/predict -d "{\"image\": $IMAGE}"
"""

from __future__ import annotations

import itertools
import json
import math
import re
import sqlite3
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket

from minidl.studio.blackbox import BlackBoxCases
from minidl.studio.checks import as_written, check_choice, check_integer, check_known
from minidl.studio.convnet import ConvNetLive
from minidl.studio.draw import (
    CELL_SIZES,
    DEFAULT_CELL_SIZE,
    DEFAULT_SAMPLES,
    KERNEL_SHAP_SAMPLES_PER_CELL,
    MAX_SAMPLES,
    MIN_SAMPLES,
    DigitExplainer,
    fewest_samples,
)
from minidl.studio.origins import SameOriginOnly, check_origin
from minidl.studio.playground import (
    ACTIVATIONS,
    DATASETS,
    Playground,
    PlaygroundSettings,
)
from minidl.studio.poll import (
    CHOICES,
    NEW_BROWSER_WINDOW_SECONDS,
    NEW_BROWSERS_PER_ADDRESS,
    PAPER,
    PROMPTS,
    QUESTIONS,
    STAGES,
    Poll,
    PollRefusal,
    default_poll_file,
    is_busy,
)
from minidl.studio.preprocess import SIZE, mnist_like
from minidl.studio.rate_limit import RateLimit
from minidl.studio.sessions import SessionRunner, TrainingSlots

STATIC = Path(__file__).with_name("static")
PAGES = {
    "draw": "draw.html",
    "playground": "playground.html",
    "convnet": "convnet.html",
    "blackbox": "blackbox.html",
    "blackbox/results": "blackbox_results.html",
}
MAX_BODY_BYTES = 1_000_000
MAX_DRAWING_SIDE = 560
PREDICT_FIELDS = ("image", "drawing", "target")
CELL_FIELDS = ("image", "target", "cell_size", "num_samples", "seed")
ANSWER_FIELDS = ("browser", "answers")
BROWSER_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")
# A student submits twice (before, after); a few more for a refusal retried. More is a flood.
SUBMISSIONS_PER_WINDOW, SUBMISSION_WINDOW_SECONDS = 10, 60.0
# The page sends no malformed answers; someone trying the API by hand may send dozens. More, from
# one address within SUBMISSION_WINDOW_SECONDS, is refused before its body is read.
REFUSED_PER_ADDRESS = 60


class BadInput(ValueError):
    """A request the API refuses with status 400 (or the given one and headers) and the message."""

    def __init__(self, message: str, status: int = 400, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.headers = headers


async def read_json(request: Request) -> dict[str, Any]:
    """The body as a JSON object, read up to MAX_BODY_BYTES (a larger body is refused with 413
    as soon as it is seen, whatever its Content-Length claimed)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise BadInput(f"body of {declared} bytes; the limit is {MAX_BODY_BYTES}", 413)
    body = bytearray()
    try:
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                raise BadInput(f"body over {MAX_BODY_BYTES} bytes", 413)
    except ClientDisconnect:
        raise BadInput("the client disconnected before the body was complete") from None
    try:
        payload = json.loads(body)
    except UnicodeDecodeError as error:  # Python's own message would name the codec as 'utf-8'
        byte = error.object[error.start]
        raise BadInput(
            f"the body is not valid JSON: byte {byte:#04x} at position {error.start} is not "
            f"{error.encoding.upper()} text ({error.reason})"
        ) from None
    except ValueError as error:
        raise BadInput(f"the body is not valid JSON: {error}") from None
    except RecursionError:
        raise BadInput("the body's JSON is nested too deeply") from None
    if not isinstance(payload, dict):
        raise BadInput(f"the body must be a JSON object, got {as_written(payload)}")
    return payload


def grey_array(payload: dict[str, Any], key: str, shape: tuple[int, int] | None) -> np.ndarray:
    """payload[key] as a float64 array of values in [0, 1]: of `shape`, or (H, W) with sides
    28..MAX_DRAWING_SIDE when shape is None. Every value must be a JSON number: NumPy alone would
    read "0.5" and true as numbers, and fail on an integer too large for a float."""
    expected = f"{shape[0]}×{shape[1]}" if shape else f"H×W with sides {SIZE}..{MAX_DRAWING_SIDE}"
    rows = payload[key]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise BadInput(f"{key} must be a list of rows ({expected}) of numbers in [0, 1], got {as_written(rows)}")
    lengths = {len(row) for row in rows}
    if len(lengths) > 1:
        raise BadInput(
            f"{key} must be {expected} with all rows of one length, got rows of {min(lengths)} to {max(lengths)} values"
        )
    numbers = set(map(type, itertools.chain.from_iterable(rows))) <= {int, float}
    try:
        values = np.array(rows, dtype=np.float64) if numbers else None
    except OverflowError:  # an integer too large for a float, so out of range: named below
        values = None
    if values is None or not ((values >= 0) & (values <= 1)).all():  # NaN too
        raise BadInput(next(wrong_pixels(key, rows)))
    wrong = (
        values.shape != shape
        if shape
        else (values.ndim != 2 or not all(SIZE <= s <= MAX_DRAWING_SIDE for s in values.shape))
    )
    if wrong:  # the sides written as `expected` writes them, not as NumPy's shape tuple
        sides = f"{len(rows)}×{len(rows[0])}" if rows else "[]"
        raise BadInput(f"{key} must be {expected}, got {sides}")
    return values


def wrong_pixels(key: str, rows: list[list[Any]]) -> Iterator[str]:
    """What is wrong with each value of rows that is not a JSON number in [0, 1], in order, with the
    value as it was written."""
    for row, values in enumerate(rows):
        for column, value in enumerate(values):
            pixel = f"{key}[{row}][{column}] must be a number in [0, 1]"
            if type(value) not in (int, float):
                yield f"{pixel}, got {as_written(value)}"
            elif not 0 <= value <= 1:  # NaN too; exact for an integer of any size
                yield f"{pixel} (ink 1, background 0), got {as_written(value)}"


def integer(payload: dict[str, Any], key: str, default: int | None, low: int, high: int) -> int | None:
    """payload[key] checked (a ValueError is a 400), or default when the key is absent or null."""
    return default if payload.get(key) is None else check_integer(key, payload[key], low, high)


def rounded(values: np.ndarray, digits: int = 3) -> list:
    return np.round(values.astype(np.float64), digits).tolist()


async def predict(request: Request) -> Response:
    payload = await read_json(request)
    check_known("field", payload, PREDICT_FIELDS)
    if ("image" in payload) == ("drawing" in payload):
        raise BadInput('send either "image" (28×28, already like MNIST) or "drawing" (any H×W, prepared here)')
    if "image" in payload:
        image = grey_array(payload, "image", (SIZE, SIZE))
    else:
        try:
            image = mnist_like(grey_array(payload, "drawing", None))
        except ValueError as error:
            raise BadInput(str(error)) from None
    target = integer(payload, "target", None, 0, 9)
    if not image.any():
        raise BadInput("the image is blank: there is nothing to classify or explain")
    result = await run_in_threadpool(request.app.state.explainer.explain, image, target)
    return JSONResponse(
        {
            "input": rounded(image),
            "probabilities": rounded(result["probabilities"], 5),
            "top": result["top"],
            "target": result["target"],
            "maps": {name: rounded(m) for name, m in result["maps"].items()},
            "milliseconds": {name: round(ms, 1) for name, ms in result["milliseconds"].items()},
            "integrated_gradients": {name: round(v, 4) for name, v in result["integrated_gradients"].items()},
        }
    )


def cell_explanation(method: str):
    """The route of LIME or Kernel SHAP (method "lime", "kernel_shap") over grid superpixels."""

    async def explain(request: Request) -> Response:
        payload = await read_json(request)
        check_known("field", payload, CELL_FIELDS)
        if "image" not in payload:
            raise BadInput('send "image": the 28×28 input that /api/predict returned')
        image = grey_array(payload, "image", (SIZE, SIZE))
        target = integer(payload, "target", None, 0, 9)
        if not image.any():
            raise BadInput("the image is blank: there is nothing to explain")
        cell_size = payload.get("cell_size", DEFAULT_CELL_SIZE)
        if type(cell_size) is not int or cell_size not in CELL_SIZES:
            sizes = ", ".join(map(str, CELL_SIZES))
            raise BadInput(f"cell_size must be one of {sizes} (divisors of 28), got {as_written(cell_size)}")
        num_samples = integer(payload, "num_samples", DEFAULT_SAMPLES[method], MIN_SAMPLES, MAX_SAMPLES)
        fewest = fewest_samples(method, cell_size)
        if num_samples < fewest:
            raise BadInput(
                f"num_samples must be at least {fewest} for Kernel SHAP with cell_size {cell_size} "
                f"({KERNEL_SHAP_SAMPLES_PER_CELL} per cell of its {(SIZE // cell_size) ** 2}: with fewer, its "
                "regression often cannot tell the cells apart and the map is made up), got "
                f"{as_written(payload['num_samples'])}"
            )
        seed = integer(payload, "seed", 0, 0, 2**31 - 1)
        result = await run_in_threadpool(
            request.app.state.explainer.explain_cells, method, image, target, cell_size, num_samples, seed
        )
        return JSONResponse(
            {
                **{name: round(value, 4) for name, value in result["summary"].items()},
                "weights": rounded(result["weights"], 5),
                "target": result["target"],
                "cell_size": cell_size,
                "num_samples": num_samples,
                "milliseconds": round(result["milliseconds"], 1),
            }
        )

    return explain


def browser_of(payload: dict[str, Any]) -> str:
    """The browser id of a Black Box request, checked."""
    if "browser" not in payload:
        raise BadInput('send "browser": the random id the Black Box page keeps for this browser')
    browser = payload["browser"]
    if not isinstance(browser, str) or not BROWSER_ID.fullmatch(browser):
        raise BadInput(f"browser must be 16 to 64 letters, digits, - or _, got {as_written(browser)}")
    return browser


async def blackbox(request: Request) -> Response:
    questions = {
        question_id: {"prompt": PROMPTS[question], "stage": stage, "choices": CHOICES[question]}
        for question_id, (question, stage) in QUESTIONS.items()
    }
    return JSONResponse({**request.app.state.blackbox.cases(), "stages": list(STAGES), "questions": questions})


async def blackbox_explanations(request: Request) -> Response:
    return JSONResponse(await run_in_threadpool(request.app.state.blackbox.explanations))


def client_address(request: Request) -> str:
    return request.client.host if request.client else "an unknown address"


def too_many(what: str, wait: float) -> BadInput:
    """The 429 that says what was done too often and when to try again."""
    seconds = math.ceil(wait)
    return BadInput(f"{what}; try again in {seconds} s", 429, {"Retry-After": str(seconds)})


async def blackbox_answers(request: Request) -> Response:
    """Record a browser's answers, all or none (minidl.studio.poll): 409 when the poll refuses them.
    429 when, within the window of each limit: the browser has sent SUBMISSIONS_PER_WINDOW valid
    requests (refused ones do not use up a student's submissions); the address has brought
    new_browsers_per_address browsers new to the poll (made-up ids would fill it); or the address has
    sent REFUSED_PER_ADDRESS malformed requests (a flood of them is refused before its body is read)."""
    state, address = request.app.state, client_address(request)
    wait = state.refused.wait(address, count=False)
    if wait:
        raise too_many(
            f"{address} has sent {REFUSED_PER_ADDRESS} malformed answers within {SUBMISSION_WINDOW_SECONDS:g} s",
            wait,
        )
    try:
        browser, answers = await checked_answers(request)
    except ValueError:  # BadInput, or a check's ValueError: a 400 or 413
        state.refused.wait(address)
        raise
    wait = state.submissions.wait(browser)
    if wait:
        raise too_many(
            f"browser {as_written(browser)} has submitted {SUBMISSIONS_PER_WINDOW} times within "
            f"{SUBMISSION_WINDOW_SECONDS:g} s, the most the poll takes",
            wait,
        )
    if not await in_poll(request, state.poll.answers_of, browser):
        wait = state.new_browsers.wait(address)
        if wait:
            raise too_many(
                f"{address} has brought {state.new_browsers.limit} new browsers to the poll within "
                f"{NEW_BROWSER_WINDOW_SECONDS:g} s, the most one computer may (the teacher can allow more: "
                "--new-browsers-per-address)",
                wait,
            )
    return JSONResponse({"answers": await in_poll(request, state.poll.record, browser, answers)})


async def checked_answers(request: Request) -> tuple[str, dict[str, str]]:
    """The browser id and the answers {question: choice} of a request to /api/blackbox/answers,
    checked: a ValueError says what is wrong."""
    payload = await read_json(request)
    check_known("field", payload, ANSWER_FIELDS)
    browser = browser_of(payload)
    if "answers" not in payload:
        raise BadInput('send "answers": an object {question: choice}, e.g. {"trust_before": "no"}')
    answers = payload["answers"]
    if not isinstance(answers, dict) or not answers:
        raise BadInput(
            f"answers must be an object {{question: choice}} with at least one answer, got {as_written(answers)}"
        )
    check_known("question", answers, QUESTIONS)
    for question_id, choice in answers.items():
        check_choice(f"answers.{question_id}", choice, CHOICES[QUESTIONS[question_id][0]])
    return browser, answers


async def in_poll(request: Request, call: Callable[..., Any], *args: Any) -> Any:
    """call(*args), a method of the app's poll, on a worker thread (SQLite waits for its file lock
    there, not on the event loop): 409 when the poll refuses the answers, 503 when the file is busy
    (another writer held it for BUSY_SECONDS), 500 naming the file when it fails otherwise (it was
    checked when the app started: deleted or damaged since)."""
    try:
        return await run_in_threadpool(call, *args)
    except PollRefusal as refusal:
        raise BadInput(str(refusal), 409) from None
    except (sqlite3.Error, OSError) as error:
        if is_busy(error):
            raise BadInput(f"the poll's file is busy ({error}); try again", 503, {"Retry-After": "1"}) from None
        path = request.app.state.poll.path
        raise BadInput(f"the poll's file {path} failed ({error}): tell the teacher, who can check it", 500) from None


async def blackbox_progress(request: Request) -> Response:
    payload = await read_json(request)
    check_known("field", payload, ("browser",))
    return JSONResponse({"answers": await in_poll(request, request.app.state.poll.answers_of, browser_of(payload))})


async def blackbox_results(request: Request) -> Response:
    counts = await in_poll(request, request.app.state.poll.counts)
    questions = {question: {"prompt": PROMPTS[question], "choices": CHOICES[question]} for question in CHOICES}
    return JSONResponse({**counts, "questions": questions, "paper": PAPER})


async def info(request: Request) -> Response:
    return JSONResponse(
        {
            "classes": list(range(10)),
            "activations": list(ACTIVATIONS),
            "datasets": list(DATASETS),
            "cell_sizes": list(CELL_SIZES),
            "default_cell_size": DEFAULT_CELL_SIZE,
            "max_samples": MAX_SAMPLES,
            "default_samples": DEFAULT_SAMPLES,
            "min_samples": {
                method: {size: fewest_samples(method, size) for size in CELL_SIZES} for method in DEFAULT_SAMPLES
            },
            "max_body_bytes": MAX_BODY_BYTES,
            "sessions": request.app.state.slots.status(),
        }
    )


def page(name: str):
    async def serve(request: Request) -> Response:
        return FileResponse(STATIC / PAGES[name], media_type="text/html")

    return serve


async def home(request: Request) -> Response:
    return RedirectResponse("/draw")


def live(make_session):
    async def endpoint(websocket: WebSocket) -> None:
        state = websocket.app.state
        await SessionRunner(websocket, state.slots, make_session, state.idle_seconds).run()

    return endpoint


def make_playground(settings: dict[str, Any]) -> Playground:
    return Playground(PlaygroundSettings.from_json(settings))


async def bad_input(request: Request, error: BadInput) -> Response:
    return JSONResponse({"error": str(error)}, status_code=error.status, headers=error.headers)


async def refused_by_minidl(request: Request, error: ValueError) -> Response:
    """minidl's own checks raise ValueError at its public boundary; whatever input got past the
    checks here is still refused with that message, as a 400 and not a server error."""
    return JSONResponse({"error": str(error)}, status_code=400)


async def http_error(request: Request, error: HTTPException) -> Response:
    return JSONResponse(
        {"error": f"{request.method} {request.url.path}: {error.detail}"},
        status_code=error.status_code,
        headers=getattr(error, "headers", None),
    )


def create_app(
    max_sessions: int = 4,
    idle_seconds: float = 120.0,
    allowed_origins: Collection[str] = (),
    host: str = "127.0.0.1",
    poll_file: Path | None = None,
    new_browsers_per_address: int = NEW_BROWSERS_PER_ADDRESS,
) -> Starlette:
    """The application with its own model and `max_sessions` training slots; a browser that sends
    nothing, or takes nothing, for idle_seconds loses its slot. It serves requests that name it by
    an IP address, localhost or `host` (where it listens), and the pages of its own origin and of
    allowed_origins (scheme://host[:port]; see minidl.studio.origins). The Black Box page's answers
    go to the SQLite file poll_file (default: minidl.studio.poll.default_poll_file()), made or
    checked here: PollFileError (a ValueError) names it and what is wrong. One address may bring
    new_browsers_per_address browsers new to the poll in NEW_BROWSER_WINDOW_SECONDS (a class behind
    one NAT address needs as many as it has students)."""
    if max_sessions < 1 or not math.isfinite(idle_seconds) or idle_seconds <= 0:
        raise ValueError(
            f"create_app: need max_sessions >= 1 and a positive idle time, got {max_sessions}, {idle_seconds}"
        )
    if isinstance(new_browsers_per_address, bool) or not isinstance(new_browsers_per_address, int):
        raise ValueError(f"create_app: new_browsers_per_address must be an int, got {new_browsers_per_address!r}")
    if new_browsers_per_address < 1:
        raise ValueError(f"create_app: new_browsers_per_address must be at least 1, got {new_browsers_per_address}")
    origins = [check_origin(origin) for origin in allowed_origins]
    routes = [
        Route("/", home),
        *(Route(f"/{name}", page(name)) for name in PAGES),
        Route("/api/info", info),
        Route("/api/predict", predict, methods=["POST"]),
        Route("/api/lime", cell_explanation("lime"), methods=["POST"]),
        Route("/api/kernel_shap", cell_explanation("kernel_shap"), methods=["POST"]),
        Route("/api/blackbox", blackbox),
        Route("/api/blackbox/explanations", blackbox_explanations),
        Route("/api/blackbox/answers", blackbox_answers, methods=["POST"]),
        Route("/api/blackbox/progress", blackbox_progress, methods=["POST"]),
        Route("/api/blackbox/results", blackbox_results),
        WebSocketRoute("/ws/playground", live(make_playground)),
        WebSocketRoute("/ws/convnet", live(ConvNetLive)),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SameOriginOnly, allowed_origins=origins, host=host)],
        exception_handlers={BadInput: bad_input, ValueError: refused_by_minidl, HTTPException: http_error},
    )
    app.state.poll = Poll(poll_file or default_poll_file())  # first: a bad file is said before the model loads
    app.state.explainer = DigitExplainer()
    app.state.explainer.warm_up()
    app.state.blackbox = BlackBoxCases()
    app.state.submissions = RateLimit(SUBMISSIONS_PER_WINDOW, SUBMISSION_WINDOW_SECONDS)
    app.state.new_browsers = RateLimit(new_browsers_per_address, NEW_BROWSER_WINDOW_SECONDS)
    app.state.refused = RateLimit(REFUSED_PER_ADDRESS, SUBMISSION_WINDOW_SECONDS)
    app.state.slots = TrainingSlots(max_sessions)
    app.state.idle_seconds = idle_seconds
    return app
