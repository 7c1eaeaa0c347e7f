"""The studio without a browser: the MNIST-style preparation of drawings, the shipped weights, the
playground's model, every route of the ASGI app (Starlette's TestClient) and every bad input the
issue lists — malformed JSON, wrong shapes, NaN and inf, oversized bodies, unknown routes, path
traversal, too many sessions, clients that vanish — each answered with a 4xx or a close message."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import sys
import uuid

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

if not os.environ.get("CI"):  # under CI a missing dependency is an error, not a skip
    pytest.importorskip("starlette", reason="the studio extra is not installed: pip install -e '.[studio]'")
    pytest.importorskip("uvicorn", reason="the studio extra is not installed: pip install -e '.[studio]'")
    pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx: pip install -e '.[dev]'")

from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from minidl.datasets import load_mnist, make_blobs
from minidl.inference import predict
from minidl.metrics import accuracy
from minidl.studio.__main__ import bind, is_loopback
from minidl.studio.app import MAX_BODY_BYTES, create_app
from minidl.studio.checks import as_written
from minidl.studio.encoding import encode_signed, encode_unit
from minidl.studio.origins import check_origin
from minidl.studio.playground import STEPS_PER_FRAME, Playground, PlaygroundSettings
from minidl.studio.preprocess import area_resample_matrix, mnist_like
from minidl.studio.weights import load_trained_lenet
from studio_server import receive_until

pytestmark = pytest.mark.studio


def vertical_stroke(height: int = 280, width: int = 280) -> np.ndarray:
    drawing = np.zeros((height, width))
    drawing[height // 6 : 5 * height // 6, width // 2 - 8 : width // 2 + 8] = 1.0
    return drawing


def ring(size: int = 280) -> np.ndarray:
    rows, columns = np.mgrid[0:size, 0:size]
    radius = np.hypot((rows - size / 2) / 1.25, columns - size / 2)
    return ((radius > size * 0.22) & (radius < size * 0.28)).astype(np.float64)


def studio_client(**options) -> TestClient:
    """A test client of create_app(**options) under the name the TestClient gives every server,
    testserver, which the studio serves only when told (minidl.studio.origins)."""
    return TestClient(create_app(allowed_origins=["http://testserver"], **options))


@pytest.fixture(scope="module")
def client():
    with studio_client(max_sessions=2, idle_seconds=30) as test_client:
        yield test_client


# --- preparing a drawing like MNIST ---------------------------------------------------------------


def test_area_resampling_averages_whole_and_partial_pixels():
    weights = area_resample_matrix(5, 2)  # each output pixel covers 2.5 input pixels
    np.testing.assert_allclose(weights, [[0.4, 0.4, 0.2, 0, 0], [0, 0, 0.2, 0.4, 0.4]])
    np.testing.assert_allclose(area_resample_matrix(7, 20).sum(axis=1), 1.0)


def test_mnist_like_scales_the_box_to_20_pixels_keeping_aspect_and_centres_the_mass():
    drawing = np.zeros((300, 300))
    drawing[10:110, 200:250] = 1.0  # a 100×50 block in a corner
    image = mnist_like(drawing)
    rows, columns = np.nonzero(image > 0.5)
    assert (rows.max() - rows.min() + 1, columns.max() - columns.min() + 1) == (20, 10)
    mass_rows, mass_columns = np.nonzero(image)
    centre = (np.average(mass_rows, weights=image[image > 0]), np.average(mass_columns, weights=image[image > 0]))
    np.testing.assert_allclose(centre, (13.5, 13.5), atol=0.5)
    assert image.dtype == np.float32 and image.max() == 1.0


def test_mnist_like_refuses_an_empty_drawing():
    with pytest.raises(ValueError, match="empty"):
        mnist_like(np.zeros((100, 100)))


# --- the shipped model and the playground ---------------------------------------------------------


def test_shipped_lenet_classifies_the_held_out_digits():
    images, labels = load_mnist("test")
    assert accuracy(predict(load_trained_lenet(), images), labels) >= 0.97


def test_make_blobs_puts_the_two_classes_around_opposite_centres():
    points, labels = make_blobs(400, noise=0.1, distance=1.0, seed=3)
    np.testing.assert_allclose(points[labels == 1].mean(axis=0), [0.7071, 0.7071], atol=0.03)
    np.testing.assert_allclose(points[labels == 0].mean(axis=0), [-0.7071, -0.7071], atol=0.03)
    with pytest.raises(ValueError, match="distance"):
        make_blobs(distance=0.0)


@pytest.mark.parametrize("activation", ["step", "sign"])
def test_step_and_sign_pass_no_gradient_to_the_first_layer(activation):
    playground = Playground(PlaygroundSettings(dataset="xor", activation=activation))
    first = playground.model[0].weight.data.copy()
    frame = playground.advance(20)
    assert frame["first_layer_gradient"] == 0.0
    np.testing.assert_array_equal(playground.model[0].weight.data, first)


def test_tanh_network_learns_xor():
    playground = Playground(PlaygroundSettings(dataset="xor", activation="tanh", hidden=[4], learning_rate=0.3))
    start = playground.frame()["train_loss"]
    frame = playground.advance(400)
    assert frame["first_layer_gradient"] > 0 and frame["train_loss"] < 0.5 * start


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"dataset": "moons"}, "dataset must be one of"),
        ({"activation": "gelu"}, "activation must be one of"),
        ({"hidden": [4, 9]}, "hidden width"),
        ({"hidden": "4,4"}, "hidden must be a list"),
        ({"learning_rate": float("nan")}, "learning_rate"),
        ({"batch_size": 2.5}, "batch_size"),
        ({"noise": True}, "noise"),
        ({"colour": 1}, "unknown setting"),
    ],
)
def test_playground_settings_are_checked(settings, message):
    with pytest.raises(ValueError, match=message):
        PlaygroundSettings.from_json(settings)


# --- pages and static files -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, kind",
    [
        ("/draw", "text/html"),
        ("/playground", "text/html"),
        ("/convnet", "text/html"),
        ("/static/style.css", "text/css"),
        ("/static/common.js", "javascript"),
        ("/static/draw.js", "javascript"),
        ("/static/playground.js", "javascript"),
        ("/static/convnet.js", "javascript"),
        ("/blackbox", "text/html"),
        ("/blackbox/results", "text/html"),
        ("/static/blackbox.js", "javascript"),
        ("/static/blackbox_results.js", "javascript"),
    ],
)
def test_pages_and_their_files_are_served(client, path, kind):
    response = client.get(path)
    assert response.status_code == 200 and kind in response.headers["content-type"]


def test_pages_load_nothing_from_other_machines(client):
    for page in ("/draw", "/playground", "/convnet", "/blackbox", "/blackbox/results"):
        html = client.get(page).text
        assert "http://" not in html and "https://" not in html and "//cdn" not in html


def test_home_redirects_to_the_draw_page(client):
    response = client.get("/", follow_redirects=False)
    assert response.status_code in (302, 307) and response.headers["location"] == "/draw"


@pytest.mark.parametrize(
    "path",
    [
        "/static/../app.py",
        "/static/%2e%2e/app.py",
        "/static/..%2fapp.py",
        "/static/%2e%2e%2f%2e%2e%2fdatasets/mnist.py",
        "/static//etc/passwd",
        "/static/../../../../etc/passwd",
        "/static/data/lenet5_mnist.npz",
        "/../minidl/studio/app.py",
    ],
)
def test_no_file_outside_the_static_folder_can_be_read(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "import" not in response.text and "root:" not in response.text


def test_unknown_routes_and_methods_get_json_errors(client):
    missing = client.get("/api/nothing")
    assert missing.status_code == 404 and "/api/nothing" in missing.json()["error"]
    wrong_method = client.get("/api/predict")
    assert wrong_method.status_code == 405 and "error" in wrong_method.json()


def test_info_lists_what_the_pages_offer(client):
    info = client.get("/api/info").json()
    assert info["activations"] == [
        "step",
        "sign",
        "identity",
        "piecewise_linear",
        "sigmoid",
        "tanh",
        "relu",
        "softplus",
    ]
    assert info["datasets"] == ["xor", "circles", "spirals", "blobs"]
    assert info["sessions"] == {"capacity": 2, "active": 0, "waiting": 0}
    # what the Draw page fills its boxes with: Kernel SHAP's fewest samples are 4 per cell
    assert info["cell_sizes"] == [2, 4, 7, 14] and info["default_cell_size"] == 4 and info["max_samples"] == 2000
    assert info["default_samples"] == {"lime": 200, "kernel_shap": 1000}
    assert info["min_samples"] == {
        "lime": {"2": 10, "4": 10, "7": 10, "14": 10},
        "kernel_shap": {"2": 784, "4": 196, "7": 64, "14": 16},
    }


# --- predictions and explanations -----------------------------------------------------------------


def test_a_drawn_vertical_stroke_is_a_one_with_four_gradient_maps_each_timed(client):
    response = client.post("/api/predict", json={"drawing": vertical_stroke().tolist()})
    assert response.status_code == 200
    result = response.json()
    np.testing.assert_allclose(result["input"], mnist_like(vertical_stroke()), atol=1e-3)
    assert result["top"] == result["target"] == 1
    assert abs(sum(result["probabilities"]) - 1) < 1e-3
    for name in ("saliency", "gradcam", "gradcam_plus_plus"):
        values = np.array(result["maps"][name])
        assert values.shape == (28, 28) and values.min() >= 0 and 0.5 < values.max() <= 1.0
    attributions = np.array(result["maps"]["integrated_gradients"])  # signed, scaled by the largest |value|
    assert attributions.shape == (28, 28) and np.abs(attributions).max() == 1.0 and attributions.min() < 0
    assert set(result["milliseconds"]) == set(result["maps"]) and all(ms > 0 for ms in result["milliseconds"].values())


def test_each_map_is_timed_on_its_own(client):
    # Integrated Gradients takes 50 gradients where saliency takes one (the ratio measured: about 8),
    # and Kernel SHAP predicts 5 times as many images at 1000 samples as at 200: each time is its own
    image = mnist_like(vertical_stroke()).tolist()
    times = client.post("/api/predict", json={"image": image}).json()["milliseconds"]
    assert times["integrated_gradients"] > 2 * times["saliency"], times
    shap = [
        client.post("/api/kernel_shap", json={"image": image, "num_samples": n}).json()["milliseconds"]
        for n in (200, 1000)
    ]
    assert shap[1] > shap[0], shap


def test_integrated_gradients_add_up_to_the_logits_change_from_black(client):
    # completeness (Sundararajan et al. 2017): Σ IG = F(x) − F(black), to the midpoint rule's error
    ig = client.post("/api/predict", json={"drawing": ring().tolist()}).json()["integrated_gradients"]
    assert ig["steps"] == 50 and ig["logit_change"] > 5
    assert abs(ig["sum"] - ig["logit_change"]) < 0.02 * ig["logit_change"], ig


def test_a_drawn_ring_is_a_zero(client):
    assert client.post("/api/predict", json={"drawing": ring().tolist()}).json()["top"] == 0


def test_another_target_gives_other_maps(client):
    image = mnist_like(vertical_stroke()).tolist()
    top = client.post("/api/predict", json={"image": image}).json()
    assert client.post("/api/predict", json={"image": image, "target": None}).json()["target"] == top["top"]
    other = client.post("/api/predict", json={"image": image, "target": 7}).json()
    assert other["target"] == 7 and other["top"] == 1
    for name in top["maps"]:
        assert not np.allclose(top["maps"][name], other["maps"][name]), name


def test_kernel_shap_values_over_the_same_cells_add_up_to_the_probability_gained(client):
    image = mnist_like(vertical_stroke()).tolist()
    result = client.post("/api/kernel_shap", json={"image": image, "cell_size": 7}).json()
    weights = np.array(result["weights"])
    assert weights.shape == (28, 28) and result["target"] == 1 and result["num_samples"] == 1000
    cells = weights[::7, ::7]  # one value per 7×7 cell
    assert len(np.unique(weights)) <= 16 and np.array_equal(np.kron(cells, np.ones((7, 7))), weights)
    assert abs(cells.sum() - (result["full_value"] - result["base_value"])) < 1e-3
    assert cells[2, 2] > 0  # the cell holding the stroke's middle speaks for "1"


@pytest.mark.parametrize("cell_size, fewest", [(2, 784), (4, 196), (7, 64), (14, 16)])
def test_kernel_shap_refuses_fewer_samples_than_its_cells_need(client, cell_size, fewest):
    # below 2 samples per cell its regression has fewer independent rows than unknowns and the
    # constraint put what was left on the last cell: 94 % of the sum on a blank cell (issue review)
    image = mnist_like(vertical_stroke()).tolist()
    body = {"image": image, "cell_size": cell_size, "num_samples": fewest - 1}
    refused = client.post("/api/kernel_shap", json=body)
    assert refused.status_code == 400
    assert refused.json()["error"] == (
        f"num_samples must be at least {fewest} for Kernel SHAP with cell_size {cell_size} (4 per cell of its "
        f"{(28 // cell_size) ** 2}: with fewer, its regression often cannot tell the cells apart and the map is made "
        f"up), got {fewest - 1}"
    )
    if cell_size > 2:  # 784 samples take a while; the smaller cells show it is taken
        taken = client.post("/api/kernel_shap", json=body | {"num_samples": fewest})
        assert taken.status_code == 200 and taken.json()["num_samples"] == fewest
    lime = client.post("/api/lime", json=body | {"num_samples": 10})  # LIME's ridge penalty keeps its fit defined
    assert lime.status_code == 200


def test_kernel_shap_at_its_fewest_samples_spreads_its_values_over_the_cells(client):
    # the made-up map the minimum prevents: nearly all of Σφ on one cell, at 10 samples for 49 cells
    image = mnist_like(vertical_stroke()).tolist()
    fewest = client.get("/api/info").json()["min_samples"]["kernel_shap"]["4"]
    body = {"image": image, "cell_size": 4, "num_samples": fewest}
    cells = np.array(client.post("/api/kernel_shap", json=body).json()["weights"])[::4, ::4].ravel()
    assert np.abs(cells).max() < 0.5 * np.abs(cells).sum(), cells


def test_lime_explains_the_chosen_class_with_the_chosen_cells(client):
    image = mnist_like(vertical_stroke()).tolist()
    result = client.post("/api/lime", json={"image": image, "target": 1, "cell_size": 7, "num_samples": 100}).json()
    weights = np.array(result["weights"])
    assert weights.shape == (28, 28) and result["target"] == 1 and result["num_samples"] == 100
    assert len(np.unique(weights)) <= 16  # 4×4 cells of 7×7 pixels
    assert weights[14, 14] > 0  # the cell holding the stroke speaks for "1"


def post_raw(client, path: str, body: bytes):
    return client.post(path, content=body, headers={"content-type": "application/json"})


BAD_BODIES = [
    (b"{", "not valid JSON"),
    (b"\xff\xfe", "not valid JSON"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"image": ' + b"[" * 900 + b"]" * 900 + b"}", r"image\[0\]\[0\] must be a number"),
    (b"[1, 2]", "JSON object"),
    (b"{}", "either"),
    (json.dumps({"image": [[0.5] * 28] * 28, "drawing": [[0.5] * 28] * 28}).encode(), "either"),
    (json.dumps({"image": [[0.5] * 27] * 28}).encode(), "28×28"),
    (json.dumps({"image": [[0.5] * 28] * 27 + [[0.5] * 3]}).encode(), "rows of one length"),
    (json.dumps({"image": [["a"] * 28] * 28}).encode(), 'must be a number in \\[0, 1\\], got "a"'),
    (json.dumps({"image": "zeros"}).encode(), "list of rows"),
    (b'{"image": [' + b",".join([b"[" + b",".join([b"NaN"] * 28) + b"]"] * 28) + b"]}", "got NaN"),
    (b'{"image": [' + b",".join([b"[" + b",".join([b"1e999"] * 28) + b"]"] * 28) + b"]}", "got Infinity"),
    (json.dumps({"image": [[2.0] * 28] * 28}).encode(), "in \\[0, 1\\].*got 2.0"),
    (json.dumps({"image": [[-0.5] * 28] * 28}).encode(), "in \\[0, 1\\].*got -0.5"),
    (json.dumps({"image": [[0.0] * 28] * 28}).encode(), "blank"),
    (json.dumps({"drawing": [[0.0] * 100] * 100}).encode(), "empty"),
    (json.dumps({"drawing": [[1.0] * 10] * 10}).encode(), "sides 28..560"),
    (json.dumps({"drawing": [[1.0] * 600] * 30}).encode(), "sides 28..560"),
    (json.dumps({"image": [[0.5] * 28] * 28, "target": 10}).encode(), "target"),
    (json.dumps({"image": [[0.5] * 28] * 28, "target": True}).encode(), "target"),
    (json.dumps({"image": [[0.5] * 28] * 28, "target": "3"}).encode(), "target"),
]


@pytest.mark.parametrize("body, message", BAD_BODIES)
def test_bad_predict_requests_get_a_400_that_says_why(client, body, message):
    response = post_raw(client, "/api/predict", body)
    assert response.status_code == 400
    assert re.search(message, response.json()["error"]), response.json()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    height=st.integers(28, 64),
    width=st.integers(28, 64),
    ink=st.floats(0.0, 1.0),
    fraction=st.floats(0.0, 0.2),
    seed=st.integers(0, 1000),
)
def test_any_drawing_gets_an_answer_or_a_400_never_a_server_error(client, height, width, ink, fraction, seed):
    drawing = np.where(np.random.default_rng(seed).random((height, width)) < fraction, ink, 0.0)
    response = client.post("/api/predict", json={"drawing": drawing.tolist()})
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        assert abs(sum(response.json()["probabilities"]) - 1) < 1e-3
    else:
        assert "empty" in response.json()["error"]


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"cell_size": 5}, "cell_size"),
        ({"cell_size": True}, "cell_size"),
        ({"cell_size": 4.0}, "cell_size"),
        ({"image": [[0.0] * 28] * 28}, "blank"),
        ({"num_samples": 5}, "num_samples"),
        ({"num_samples": 10**6}, "num_samples"),
        ({"seed": -1}, "seed"),
        ({"target": -1}, "target"),
    ],
)
def test_bad_lime_requests_get_a_400(client, extra, message):
    response = client.post("/api/lime", json={"image": [[0.5] * 28] * 28} | extra)
    assert response.status_code == 400 and message in response.json()["error"]
    assert client.post("/api/lime", json={}).status_code == 400


# Each kind of JSON value that is not what a field takes, with how the answer must echo it.
HOSTILE_VALUES = {
    "401-digit integer": (10**400, "(401 characters)"),  # NumPy's float conversion raised OverflowError: a 500
    "numeric string": ("1", '"1"'),
    "boolean": (True, "true"),
    "null": (None, "null"),
    "list": ([1], "[1]"),
    "object": ({"value": 1}, '{"value": 1}'),
    "NaN": (float("nan"), "NaN"),
    "-Infinity": (float("-inf"), "-Infinity"),
}
PIXEL_FIELDS = [
    ("/api/predict", "image"),
    ("/api/predict", "drawing"),
    ("/api/lime", "image"),
    ("/api/kernel_shap", "image"),
]
OPTIONAL_FIELDS = [
    ("/api/predict", "target"),
    *(
        (route, key)
        for route in ("/api/lime", "/api/kernel_shap")
        for key in ("target", "cell_size", "num_samples", "seed")
    ),
]


@pytest.mark.parametrize("route, key", PIXEL_FIELDS)
@pytest.mark.parametrize("value, echo", HOSTILE_VALUES.values(), ids=HOSTILE_VALUES)
def test_a_pixel_of_any_wrong_kind_gets_a_400_naming_it_and_its_value(client, route, key, value, echo):
    pixels = (mnist_like(vertical_stroke()) if key == "image" else vertical_stroke(140, 140)).tolist()
    pixels[14][14] = value
    response = post_raw(client, route, json.dumps({key: pixels}).encode())
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert f"{key}[14][14] must be a number in [0, 1]" in error and error.endswith(echo), error


@pytest.mark.parametrize("route, key", OPTIONAL_FIELDS)
@pytest.mark.parametrize(
    "value, echo",
    [HOSTILE_VALUES[name] for name in HOSTILE_VALUES if name != "null"],  # null: the default
    ids=[name for name in HOSTILE_VALUES if name != "null"],
)
def test_an_option_of_any_wrong_kind_gets_a_400_naming_it_and_its_value(client, route, key, value, echo):
    body = {"image": mnist_like(vertical_stroke()).tolist(), key: value}
    response = post_raw(client, route, json.dumps(body).encode())
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error.startswith(f"{key} must be") and error.endswith(echo), error


# The Black Box poll's fields; "answers.trust_before" is one answer inside the answers object. An
# object as "answers" is what it takes: its keys are then refused as unknown questions
# (test_studio_blackbox.py), so that value class is left out there.
BLACKBOX_FIELDS = [
    ("/api/blackbox/answers", "browser"),
    ("/api/blackbox/progress", "browser"),
    ("/api/blackbox/answers", "answers"),
    ("/api/blackbox/answers", "answers.trust_before"),
    ("/api/blackbox/answers", "answers.feature_after"),
]


@pytest.mark.parametrize(
    "route, key, value, echo",
    [
        (route, key, value, echo)
        for route, key in BLACKBOX_FIELDS
        for name, (value, echo) in HOSTILE_VALUES.items()
        if not (key == "answers" and name == "object")
    ],
)
def test_a_black_box_field_of_any_wrong_kind_gets_a_400_naming_it_and_its_value(client, route, key, value, echo):
    body = {"browser": uuid.uuid4().hex}  # a browser of its own: no rate limit is reached
    if route.endswith("answers"):
        body["answers"] = {"trust_before": "yes"}
    if "." in key:
        body["answers"] = {key.split(".")[1]: value}
    else:
        body[key] = value
    response = post_raw(client, route, json.dumps(body).encode())
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error.startswith(f"{key} must be") and error.endswith(echo), error


def test_a_value_nested_too_deeply_to_echo_is_named_so():
    value = []
    for _ in range(100_000):  # json.dumps stops at Python's recursion limit, on every version
        value = [value]
    assert as_written(value) == "a list nested too deeply to echo"
    assert as_written({"a": value}) == "a dict nested too deeply to echo"


# The parser accepts a few levels more than json.dumps can write back (on Python 3.11, in the
# studio's stack): an option nested that deep must still get its 400, not a RecursionError's 500.
DEPTHS_AROUND_THE_LIMIT = range(900, 1000)


def test_an_option_nested_as_deep_as_the_parser_allows_gets_a_400(client):
    image = json.dumps(mnist_like(vertical_stroke()).tolist()).encode()
    for depth in DEPTHS_AROUND_THE_LIMIT:
        body = b'{"image": ' + image + b', "target": ' + b"[" * depth + b"]" * depth + b"}"
        response = post_raw(client, "/api/predict", body)
        assert response.status_code == 400, (depth, response.text)
        assert re.match(r"target must be|the body's JSON is nested too deeply", response.json()["error"]), depth


@pytest.mark.parametrize(
    "route, misspelt, known",
    [
        ("/api/predict", {"targt": 3}, "drawing, image, target"),
        ("/api/lime", {"num_sample": 100}, "cell_size, image, num_samples, seed, target"),
        ("/api/lime", {"cellsize": 7, "seeds": 1}, "cell_size, image, num_samples, seed, target"),
        ("/api/kernel_shap", {"num_sample": 100}, "cell_size, image, num_samples, seed, target"),
    ],
)
def test_misspelt_fields_are_refused_with_the_known_ones(client, route, misspelt, known):
    response = client.post(route, json={"image": mnist_like(vertical_stroke()).tolist(), **misspelt})
    assert response.status_code == 400
    names = ", ".join(f'"{name}"' for name in sorted(misspelt))
    assert response.json()["error"] == f"unknown field(s) {names}; known: {known}"


# Whole messages where the studio once wrote a value as Python does (NoneType, bool, shape (28, 27),
# (2, 4, 7, 14), 'utf-8'): each must say it as the request wrote it, in JSON.
ECHOES = [
    ("/api/predict", b"null", "the body must be a JSON object, got null"),
    ("/api/predict", b"true", "the body must be a JSON object, got true"),
    ("/api/predict", b'"image"', 'the body must be a JSON object, got "image"'),
    ("/api/predict", b"[1, 2.5]", "the body must be a JSON object, got [1, 2.5]"),
    ("/api/predict", json.dumps({"image": [[0.5] * 27] * 28}).encode(), "image must be 28×28, got 28×27"),
    ("/api/predict", b'{"image": []}', "image must be 28×28, got []"),
    ("/api/predict", b'{"image": [[]]}', "image must be 28×28, got 1×0"),
    (
        "/api/predict",
        json.dumps({"drawing": [[1.0] * 10] * 10}).encode(),
        "drawing must be H×W with sides 28..560, got 10×10",
    ),
    (
        "/api/lime",
        json.dumps({"image": [[0.5] * 28] * 28, "cell_size": 5}).encode(),
        "cell_size must be one of 2, 4, 7, 14 (divisors of 28), got 5",
    ),
    (
        "/api/predict",
        b'{"image": "\xff"}',
        "the body is not valid JSON: byte 0xff at position 11 is not UTF-8 text (invalid start byte)",
    ),
]


@pytest.mark.parametrize("route, body, message", ECHOES)
def test_messages_write_values_as_json_not_as_python(client, route, body, message):
    response = post_raw(client, route, body)
    assert response.status_code == 400 and response.json()["error"] == message


def test_a_bad_allowed_origin_is_echoed_as_json():
    with pytest.raises(ValueError, match='^allowed origin "ftp://class.example" must be http:// or https://'):
        check_origin("ftp://class.example")


def test_oversized_bodies_are_refused_with_413(client):
    big = b'{"image": "' + b"x" * (MAX_BODY_BYTES + 10) + b'"}'
    assert post_raw(client, "/api/predict", big).status_code == 413

    def chunks():  # no Content-Length: the limit is enforced while reading
        for _ in range(MAX_BODY_BYTES // 100_000 + 2):
            yield b" " * 100_000

    response = client.post("/api/predict", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and "over" in response.json()["error"]
    assert client.get("/api/info").status_code == 200  # the server lives on


# --- live training over WebSockets ----------------------------------------------------------------


def test_playground_session_plays_steps_and_answers_bad_messages(client):
    with client.websocket_connect("/ws/playground") as websocket:
        assert websocket.receive_json()["type"] == "ready"
        data = websocket.receive_json()
        assert data["type"] == "data" and len(data["train"]) + len(data["test"]) == 300
        assert receive_until(websocket.receive_json, "frame")["steps"] == 0
        websocket.send_text("not json")
        assert "bad message" in receive_until(websocket.receive_json, "error")["message"]
        websocket.send_bytes(b"\x00\x01")
        assert "binary" in receive_until(websocket.receive_json, "error")["message"]
        websocket.send_text('["play"]')
        assert "JSON object" in receive_until(websocket.receive_json, "error")["message"]
        websocket.send_text("[" * 5000 + "]" * 5000)
        assert "bad message" in receive_until(websocket.receive_json, "error")["message"]
        websocket.send_json({"type": "dance"})
        assert "unknown message type" in receive_until(websocket.receive_json, "error")["message"]
        websocket.send_json({"type": "settings", "settings": {"activation": "gelu"}})
        assert "settings not applied" in receive_until(websocket.receive_json, "error")["message"]
        websocket.send_json({"type": "settings", "settings": {"dataset": "spirals", "hidden": [8, 8]}})
        assert len(receive_until(websocket.receive_json, "frame")["neurons"]) == 2
        websocket.send_json({"type": "step"})
        assert receive_until(websocket.receive_json, "frame")["steps"] == STEPS_PER_FRAME
        websocket.send_json({"type": "play"})
        steps = [receive_until(websocket.receive_json, "frame")["steps"] for _ in range(3)]
        assert steps == sorted(steps) and steps[-1] > STEPS_PER_FRAME
        websocket.send_json({"type": "pause"})


def test_convnet_session_trains_and_sends_its_pictures(client):
    with client.websocket_connect("/ws/convnet") as websocket:
        receive_until(websocket.receive_json, "ready")
        assert receive_until(websocket.receive_json, "frame")["steps"] == 0
        websocket.send_json({"type": "step"})
        frame = receive_until(websocket.receive_json, "frame")
        assert frame["steps"] == 3 and len(frame["points"]) == 3
        assert len(frame["filters"]) == 6 and len(frame["conv1"]) == 6 and len(frame["conv2"]) == 16
        websocket.send_json({"type": "settings", "settings": {"learning_rate": 5}})
        assert "learning_rate" in receive_until(websocket.receive_json, "error")["message"]
        websocket.send_json({"type": "settings", "settings": {"example": 200}})
        assert "example" in receive_until(websocket.receive_json, "error")["message"]
        websocket.send_json({"type": "settings", "settings": {"example": 7}})
        frame = receive_until(websocket.receive_json, "frame")
        assert frame["steps"] == 0 and frame["label"] == int(load_mnist("test")[1][7])


@pytest.mark.parametrize("path", ["/ws/playground", "/ws/convnet"])
def test_settings_that_are_not_an_object_are_refused_and_the_session_goes_on(client, path):
    with client.websocket_connect(path) as websocket:
        receive_until(websocket.receive_json, "frame")
        for settings, echo in (([], "[]"), ("", '""'), (5, "5"), (None, "null")):
            websocket.send_json({"type": "settings", "settings": settings})
            error = receive_until(websocket.receive_json, "error")["message"]
            assert error == f"settings not applied: settings must be a JSON object, got {echo}"
        websocket.send_json({"type": "step"})
        assert receive_until(websocket.receive_json, "frame")["steps"] > 0


def test_misspelt_message_fields_are_refused_not_ignored(client):
    with client.websocket_connect("/ws/playground") as websocket:
        receive_until(websocket.receive_json, "frame")
        websocket.send_json({"type": "settings", "setting": {"dataset": "xor"}})  # would reset to the defaults
        assert (
            receive_until(websocket.receive_json, "error")["message"]
            == 'unknown field(s) "setting"; known: settings, type'
        )
        websocket.send_json({"type": "play", "speed": 2})
        assert receive_until(websocket.receive_json, "error")["message"] == 'unknown field(s) "speed"; known: type'


SETTINGS = {
    "/ws/playground": ["dataset", "noise", "train_fraction", "activation", "learning_rate", "batch_size", "l2", "seed"],
    "/ws/convnet": ["learning_rate", "example"],
}


@pytest.mark.parametrize("path", SETTINGS)
def test_every_setting_refuses_every_wrong_kind_of_value_by_name(client, path):
    cases = [
        ({name: value}, f"{name} must be", echo) for name in SETTINGS[path] for value, echo in HOSTILE_VALUES.values()
    ]
    if path == "/ws/playground":  # the hidden layers' widths: each one checked
        cases += [
            ({"hidden": [4, value]}, "each hidden width must be", echo) for value, echo in HOSTILE_VALUES.values()
        ]
    with client.websocket_connect(path) as websocket:
        receive_until(websocket.receive_json, "frame")
        for settings, named, echo in cases:
            websocket.send_text(json.dumps({"type": "settings", "settings": settings}))
            error = receive_until(websocket.receive_json, "error")["message"]
            assert error.startswith(f"settings not applied: {named}") and error.endswith(echo), error


def decoded(text: str) -> list[int]:
    return list(base64.b64decode(text))


@pytest.mark.filterwarnings("error")  # NumPy warns when it casts NaN to a byte (and makes it 0 on x86 anyway)
def test_maps_with_nan_and_infinities_encode_to_bytes_the_page_can_draw():
    assert decoded(encode_unit(np.array([np.nan, np.inf, -np.inf, 0.5, 2.0, -1.0]))) == [0, 255, 0, 128, 255, 0]
    assert decoded(encode_signed(np.array([-2.0, 1.0]))["bytes"]) == [0, 191]  # 127.5 is 0, scale 2
    for values in ([1.0, np.nan], [1.0, np.inf], [-np.inf, 1.0], [0.0, 0.0]):  # no finite, positive scale
        encoded = encode_signed(np.array(values))
        assert decoded(encoded["bytes"]) == [128, 128], values  # all drawn as 0
        np.testing.assert_equal(encoded["scale"], np.abs(values).max())


def refuse_non_finite(constant: str):
    raise AssertionError(f"{constant} in a frame: the browser's JSON.parse refuses it")


@pytest.mark.filterwarnings("error")  # NumPy's overflow warnings too: the session silences them
def test_a_diverged_playground_sends_valid_json_that_says_so(client):
    with client.websocket_connect("/ws/playground") as websocket:
        receive_until(websocket.receive_json, "frame")
        websocket.send_json({"type": "settings", "settings": {"learning_rate": 10, "l2": 1, "activation": "relu"}})
        assert "diverged" not in receive_until(websocket.receive_json, "frame")  # step 0: the loss is still finite
        websocket.send_json({"type": "step"})
        frame = json.loads(websocket.receive_text(), parse_constant=refuse_non_finite)
        assert frame["type"] == "frame" and frame["diverged"] is True
        assert frame["train_loss"] is None and frame["test_loss"] is None


def test_an_oversized_message_closes_the_stream_with_a_reason(client):
    with client.websocket_connect("/ws/playground") as websocket:
        receive_until(websocket.receive_json, "frame")
        websocket.send_text("x" * 20_000)
        assert "limit" in receive_until(websocket.receive_json, "closed")["reason"]
        with pytest.raises(WebSocketDisconnect) as closed:
            websocket.receive_json()
        assert closed.value.code == 1009
    assert client.get("/api/info").json()["sessions"]["active"] == 0


def test_sessions_beyond_capacity_wait_with_a_busy_message_and_get_the_freed_slot():
    with studio_client(max_sessions=1, idle_seconds=30) as client:
        with client.websocket_connect("/ws/playground") as first:
            receive_until(first.receive_json, "frame")
            first.send_json({"type": "play"})  # then vanish mid-stream
            receive_until(first.receive_json, "frame")
            with client.websocket_connect("/ws/playground") as second:
                busy = second.receive_json()
                assert busy["type"] == "busy" and busy["waiting"] == 1 and "busy" in busy["message"]
                assert client.get("/api/predict").status_code == 405  # the API still answers
                assert (
                    client.post("/api/predict", json={"image": mnist_like(vertical_stroke()).tolist()}).json()["top"]
                    == 1
                )
                first.close()
                assert receive_until(second.receive_json, "ready")["active"] == 1


def test_an_idle_session_is_closed_and_its_slot_freed():
    with studio_client(max_sessions=1, idle_seconds=0.5) as client:
        with client.websocket_connect("/ws/playground") as websocket:
            assert "idle" in receive_until(websocket.receive_json, "closed")["reason"]
        assert client.get("/api/info").json()["sessions"] == {"capacity": 1, "active": 0, "waiting": 0}


# --- the command ----------------------------------------------------------------------------------


def test_a_taken_port_falls_back_to_a_free_one():
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    sock, moved = bind("127.0.0.1", port)
    try:
        assert moved and sock.getsockname()[1] != port
    finally:
        sock.close()
        taken.close()


def test_only_loopback_hosts_count_as_private():
    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5")


def test_without_the_web_dependencies_the_command_says_how_to_install_them():
    blocked = "import sys; sys.modules['uvicorn'] = None; from minidl.studio.__main__ import main; sys.exit(main([]))"
    done = subprocess.run([sys.executable, "-c", blocked], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1 and "pip install 'minidl[studio]'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_value_error_from_minidl_itself_is_a_400_with_its_message(client, monkeypatch):
    def refuse(*args):
        raise ValueError("explain: segments must be labelled 0..K-1")

    monkeypatch.setattr(client.app.state.explainer, "explain_cells", refuse)
    response = client.post("/api/lime", json={"image": mnist_like(vertical_stroke()).tolist()})
    assert response.status_code == 400 and response.json() == {"error": "explain: segments must be labelled 0..K-1"}
