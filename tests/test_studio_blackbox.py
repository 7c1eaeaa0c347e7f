"""The Black Box page without a browser: the shipped shortcut model on the page's ten pictures, their
explanations (computed once, even when first asked for twice at once), and the poll through the
ASGI app — answers counted, the before-and-after comparison over the same students, one answer per
browser per question, the after answers only after the before ones, every bad request a 4xx naming
the field and its value, floods held back (429: a browser's submissions, an address's new browsers,
an address's malformed requests), rows the poll does not know left uncounted, concurrent writers,
a bad poll file refused at start, the counts surviving a restart (a new app over the same SQLite
file) and --reset-poll."""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import threading
import time

import numpy as np
import pytest

if not os.environ.get("CI"):  # under CI a missing dependency is an error, not a skip
    pytest.importorskip("starlette", reason="the studio extra is not installed: pip install -e '.[studio]'")
    pytest.importorskip("httpx", reason="Starlette's TestClient needs httpx: pip install -e '.[dev]'")

from starlette.testclient import TestClient

from minidl.studio import poll as poll_module
from minidl.studio.__main__ import main
from minidl.studio.app import (
    MAX_BODY_BYTES,
    REFUSED_PER_ADDRESS,
    SUBMISSIONS_PER_WINDOW,
    create_app,
)
from minidl.studio.blackbox import BlackBoxCases
from minidl.studio.poll import NEW_BROWSERS_PER_ADDRESS, PAPER, Poll, PollFileError, PollRefusal
from minidl.studio.rate_limit import RateLimit

pytestmark = pytest.mark.studio

BEFORE = {"trust_before": "yes", "feature_before": "shape"}
AFTER = {"trust_after": "no", "feature_after": "background"}


def poll_client(path) -> TestClient:
    """A test client of a studio whose poll is the SQLite file `path` (see test_studio_api.studio_client)."""
    return TestClient(create_app(allowed_origins=["http://testserver"], poll_file=path))


def from_address(client: TestClient, address: str) -> TestClient:
    """Another test client of the same app, whose requests come from `address`."""
    return TestClient(client.app, client=(address, 50000))


@pytest.fixture
def client(tmp_path):
    with poll_client(tmp_path / "poll.sqlite3") as test_client:
        yield test_client


def browser(name: str) -> str:
    """A browser id as the page makes them (32 hex digits), one per name."""
    return name.encode().hex().ljust(32, "0")[:64]


def answer(client, who: str, answers) -> dict:
    response = client.post("/api/blackbox/answers", json={"browser": browser(who), "answers": answers})
    return {"status": response.status_code, **response.json()}


def counted(client, stage: str, question: str) -> dict[str, int]:
    return client.get("/api/blackbox/results").json()["stages"][stage][question]


def decoded(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), np.uint8).reshape(28, 28)


# --- the pictures, the model and the explanations ------------------------------------------------


def test_the_shortcut_model_is_right_on_usual_backgrounds_and_wrong_on_the_two_swapped():
    cases = BlackBoxCases()
    assert len(cases.labels) == 10 and cases.swapped.sum() == 2
    assert sorted(cases.labels[cases.swapped]) == [0, 1]  # a husky on snow and a wolf on grass
    np.testing.assert_array_equal(cases.predicted == cases.labels, ~cases.swapped)


def test_the_page_gets_ten_pictures_and_the_two_questions_of_each_stage(client):
    shown = client.get("/api/blackbox").json()
    assert shown["classes"] == ["husky", "wolf"] and shown["stages"] == ["before", "after"]
    assert [case["label"] == case["predicted"] for case in shown["cases"]].count(False) == 2
    assert all(decoded(case["image"]).std() > 10 for case in shown["cases"])  # an animal on a scene
    assert sorted(shown["questions"]) == ["feature_after", "feature_before", "trust_after", "trust_before"]
    assert "background" in shown["questions"]["feature_before"]["choices"]


def test_explanations_are_computed_once_even_when_first_asked_for_twice_at_once():
    cases = BlackBoxCases()
    computed, inside, asked = [], threading.Event(), threading.Event()

    def slow_compute():  # the first call stays inside until the second has asked, and a while after
        computed.append(1)
        inside.set()
        asked.wait(10)
        time.sleep(0.2)  # without the lock, the second call is in here meanwhile
        return {"computed": len(computed)}

    cases.compute_explanations = slow_compute
    answers = []

    def second_request():
        inside.wait(10)
        asked.set()
        answers.append(cases.explanations())

    threads = [
        threading.Thread(target=lambda: answers.append(cases.explanations())),
        threading.Thread(target=second_request),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert computed == [1] and answers == [{"computed": 1}] * 2 and answers[0] is answers[1]


def test_explanations_show_lime_for_the_background(client):
    cases = client.app.state.blackbox
    first = client.get("/api/blackbox/explanations").json()
    assert len(first["lime"]) == len(first["gradcam"]) == 10
    assert all(decoded(cam).max() > 240 for cam in first["gradcam"])  # each scaled to its own maximum (then resized)
    # LIME's signed coefficients as bytes (127.5 is 0): on the swapped pictures, where the model is
    # wrong, the background's pixels speak for its answer more than the animal's do
    for index in np.flatnonzero(cases.swapped):
        weights = decoded(first["lime"][index]["bytes"]) / 127.5 - 1
        animal = cases.masks[index]
        assert weights[~animal].mean() > weights[animal].mean()


# --- the poll ------------------------------------------------------------------------------------


def test_answers_are_counted_per_stage_and_choice(client):
    assert answer(client, "ann", BEFORE)["answers"] == BEFORE
    assert answer(client, "bob", {"trust_before": "no", "feature_before": "background"})["status"] == 200
    assert answer(client, "ann", AFTER)["answers"] == BEFORE | AFTER
    results = client.get("/api/blackbox/results").json()
    assert results["paper"] == PAPER
    before, after = results["stages"]["before"], results["stages"]["after"]
    assert before["respondents"] == 2 and after["respondents"] == 1
    assert before["trust"] == {"yes": 1, "no": 1} and after["trust"] == {"yes": 0, "no": 1}
    assert before["feature"]["shape"] == before["feature"]["background"] == 1 and after["feature"]["background"] == 1
    # the comparison with the paper: the same students before and after, those who have finished
    finished = results["finished"]
    assert finished["browsers"] == 1 and results["unfinished"] == 1
    assert finished["before"]["trust"] == {"yes": 1, "no": 0} and finished["after"]["trust"] == {"yes": 0, "no": 1}
    assert finished["before"]["feature"]["background"] == 0 and finished["after"]["feature"]["background"] == 1
    progress = client.post("/api/blackbox/progress", json={"browser": browser("bob")}).json()
    assert progress == {"answers": {"trust_before": "no", "feature_before": "background"}}


def test_one_answer_per_browser_per_question_the_first_is_kept(client):
    answer(client, "ann", BEFORE)
    again = answer(client, "ann", {"trust_before": "no"})
    assert again["status"] == 409
    assert (
        again["error"] == 'this browser has already answered (trust_before: "yes"); one answer per browser per question'
    )
    mixed = answer(client, "ann", {"trust_after": "no", "feature_before": "size"})  # all or none
    assert mixed["status"] == 409 and counted(client, "after", "trust") == {"yes": 0, "no": 0}
    assert counted(client, "before", "trust") == {"yes": 1, "no": 0}


def test_after_answers_wait_for_the_before_answers(client):
    early = answer(client, "ann", {"trust_after": "no"})
    assert early["status"] == 409 and "answer trust_before and feature_before first" in early["error"]
    answer(client, "ann", {"trust_before": "no"})
    assert "answer feature_before first" in answer(client, "ann", AFTER)["error"]
    assert client.get("/api/blackbox/results").json()["stages"]["after"]["respondents"] == 0


@pytest.mark.parametrize(
    "body, status, message",
    [
        ({"answers": BEFORE}, 400, 'send "browser"'),
        ({"browser": "short", "answers": BEFORE}, 400, 'browser must be 16 to 64 letters, digits, - or _, got "short"'),
        ({"browser": "x" * 16 + "!", "answers": BEFORE}, 400, 'got "xxxxxxxxxxxxxxxx!"'),
        ({"browser": browser("ann")}, 400, 'send "answers"'),
        ({"browser": browser("ann"), "answers": {}}, 400, "with at least one answer, got {}"),
        (
            {"browser": browser("ann"), "answers": ["yes"]},
            400,
            'answers must be an object {question: choice} with at least one answer, got ["yes"]',
        ),
        (
            {"browser": browser("ann"), "answers": {"trust": "yes"}},
            400,
            'unknown question(s) "trust"; known: feature_after, feature_before, trust_after, trust_before',
        ),
        (
            {"browser": browser("ann"), "answers": {"trust_before": "maybe"}},
            400,
            'answers.trust_before must be one of yes, no, got "maybe"',
        ),
        ({"browser": browser("ann"), "answers": {"feature_before": "Background"}}, 400, 'got "Background"'),
        (
            {"browser": browser("ann"), "answers": BEFORE, "name": "Ann"},
            400,
            'unknown field(s) "name"; known: answers, browser',
        ),
    ],
)
def test_bad_answers_get_a_400_naming_the_field_and_the_value(client, body, status, message):
    response = client.post("/api/blackbox/answers", json=body)
    assert response.status_code == status and message in response.json()["error"], response.json()
    assert client.get("/api/blackbox/results").json()["stages"]["before"]["respondents"] == 0


@pytest.mark.parametrize("body", [b"{", b"[1]", b"null", b'{"browser": ' + b"[" * 5000 + b"]" * 5000 + b"}"])
@pytest.mark.parametrize("route", ["/api/blackbox/answers", "/api/blackbox/progress"])
def test_bodies_that_are_not_a_json_object_get_a_400(client, route, body):
    response = client.post(route, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400 and response.json()["error"], response.text


def test_an_oversized_answer_is_refused_with_413(client):
    body = json.dumps({"browser": browser("ann"), "answers": {"trust_before": "y" * MAX_BODY_BYTES}})
    assert client.post("/api/blackbox/answers", content=body).status_code == 413


def test_progress_refuses_a_missing_or_malformed_browser_and_other_fields(client):
    assert 'send "browser"' in client.post("/api/blackbox/progress", json={}).json()["error"]
    assert client.post("/api/blackbox/progress", json={"browser": 7}).json()["error"].endswith("got 7")
    refused = client.post("/api/blackbox/progress", json={"browser": browser("ann"), "answers": BEFORE})
    assert refused.status_code == 400 and refused.json()["error"] == 'unknown field(s) "answers"; known: browser'


def test_a_flooding_browser_gets_429_with_retry_after_and_others_are_served(client):
    statuses = [answer(client, "flood", {"trust_before": "yes"})["status"] for _ in range(SUBMISSIONS_PER_WINDOW + 5)]
    assert statuses == [200] + [409] * (SUBMISSIONS_PER_WINDOW - 1) + [429] * 5  # the poll's refusals count
    response = client.post("/api/blackbox/answers", json={"browser": browser("flood"), "answers": BEFORE})
    assert response.status_code == 429 and 0 < int(response.headers["retry-after"]) <= 60
    assert "has submitted 10 times within 60 s" in response.json()["error"]
    assert answer(client, "calm", BEFORE)["status"] == 200


def test_malformed_answers_do_not_use_up_a_students_submissions(client):
    for _ in range(SUBMISSIONS_PER_WINDOW + 5):  # a page that sent a wrong choice again and again
        assert answer(client, "ann", {"trust_before": "maybe"})["status"] == 400
    assert answer(client, "ann", BEFORE)["status"] == 200
    assert answer(client, "ann", AFTER)["status"] == 200


def test_a_flood_of_malformed_answers_from_one_address_gets_429_before_its_body_is_read(client):
    for i in range(REFUSED_PER_ADDRESS):  # a new browser each time: the browser's own limit never applies
        assert answer(client, f"junk{i}", "x" if i % 2 else {"trust_before": "maybe"})["status"] == 400
    refused = answer(client, "ann", BEFORE)  # well formed, but from the same address
    assert refused["status"] == 429 and refused["error"].startswith(
        f"testclient has sent {REFUSED_PER_ADDRESS} malformed answers within 60 s; try again in "
    )
    body_not_read = client.post("/api/blackbox/answers", content=b"{", headers={"content-type": "application/json"})
    assert body_not_read.status_code == 429  # not 400: the body was not parsed
    assert answer(from_address(client, "10.0.0.2"), "bob", BEFORE)["status"] == 200  # other students answer


def test_one_address_brings_at_most_so_many_new_browsers_and_those_go_on(client):
    for i in range(NEW_BROWSERS_PER_ADDRESS):
        assert answer(client, f"script{i}", BEFORE)["status"] == 200
    refused = answer(client, "one more", BEFORE)
    assert refused["status"] == 429 and refused["error"].startswith(
        f"testclient has brought {NEW_BROWSERS_PER_ADDRESS} new browsers to the poll within 600 s, the most one "
        "computer may (the teacher can allow more: --new-browsers-per-address); try again in "
    )
    assert answer(client, "script0", AFTER)["status"] == 200  # a browser already in the poll is not new
    assert answer(from_address(client, "10.0.0.2"), "bob", BEFORE)["status"] == 200
    assert client.get("/api/blackbox/results").json()["stages"]["before"]["respondents"] == NEW_BROWSERS_PER_ADDRESS + 1


def test_a_teacher_behind_one_address_raises_the_new_browsers_limit(tmp_path):
    more = NEW_BROWSERS_PER_ADDRESS + 2
    app = create_app(
        allowed_origins=["http://testserver"], poll_file=tmp_path / "poll.sqlite3", new_browsers_per_address=more
    )
    with TestClient(app) as class_behind_a_nat:
        assert [answer(class_behind_a_nat, f"student{i}", BEFORE)["status"] for i in range(more + 1)] == [
            200
        ] * more + [429]
    for wrong in (0, True, 2.5):
        with pytest.raises(ValueError, match="new_browsers_per_address must be"):
            create_app(poll_file=tmp_path / "poll.sqlite3", new_browsers_per_address=wrong)


def test_the_rate_limit_slides_and_forgets_idle_browsers():
    now = [0.0]
    limit = RateLimit(3, 10.0, clock=lambda: now[0])
    assert [limit.wait("a") for _ in range(4)] == [0, 0, 0, 10.0]
    now[0] = 4.0
    assert limit.wait("b") == 0 and limit.wait("a") == 6.0
    now[0] = 10.0  # a's first three requests are a window old
    assert limit.wait("a") == 0 and list(limit.recent) == ["b", "a"]
    now[0] = 14.5
    limit.wait("c")
    assert list(limit.recent) == ["a", "c"]  # b idle for a whole window: forgotten


def test_the_poll_takes_at_most_max_browsers(client, monkeypatch):
    monkeypatch.setattr(poll_module, "MAX_BROWSERS", 2)
    answer(client, "ann", BEFORE)
    answer(client, "bob", BEFORE)
    full = answer(client, "cid", BEFORE)
    assert full["status"] == 409 and "the poll is full: 2 browsers" in full["error"]
    assert answer(client, "ann", AFTER)["status"] == 200  # those already in go on


def test_rows_the_poll_does_not_know_are_not_counted(client):
    answer(client, "ann", BEFORE)
    with sqlite3.connect(client.app.state.poll.path) as db:  # another version's question, a hand-edited answer
        db.execute("INSERT INTO answers VALUES (?, 'trust_during', 'yes', 0)", (browser("cid"),))
        db.execute("INSERT INTO answers VALUES (?, 'trust_before', 'maybe', 0)", (browser("dan"),))
    results = client.get("/api/blackbox/results")
    assert results.status_code == 200, results.text
    before = results.json()["stages"]["before"]
    assert before["respondents"] == 1 and before["trust"] == {"yes": 1, "no": 0}
    assert results.json()["unfinished"] == 1


def bad_poll_files(tmp_path) -> dict[str, tuple]:
    """Poll files that cannot be used, made in tmp_path: {name: (path, what the refusal says)}."""
    corrupt = tmp_path / "corrupt.sqlite3"
    corrupt.write_bytes(b"this is not an SQLite database " * 8)
    folder = tmp_path / "folder.sqlite3"
    folder.mkdir()
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE answers (x)")
    return {
        "corrupt": (corrupt, "file is not a database"),
        "folder": (folder, "it is a folder"),
        "under a file": (corrupt / "poll.sqlite3", f"{corrupt} is a file, not a folder"),
        "another table": (other, "has a table answers with columns (x), not the poll's"),
    }


@pytest.mark.parametrize("name", ["corrupt", "folder", "under a file", "another table"])
def test_a_poll_file_that_cannot_be_used_is_refused_at_start_naming_it(tmp_path, capsys, name):
    path, what = bad_poll_files(tmp_path)[name]
    with pytest.raises(PollFileError) as refused:
        Poll(path)
    assert str(refused.value).startswith(f"the poll's file {path} ") and what in str(refused.value)
    assert main(["--port", "0", "--poll-file", str(path)]) == 1  # fails before the model loads, never serves
    assert capsys.readouterr().err == f"minidl studio: {refused.value} (--poll-file names another one)\n"


def test_a_poll_file_made_at_start_in_new_folders(tmp_path):
    path = tmp_path / "new" / "folders" / "poll.sqlite3"
    Poll(path)
    assert path.is_file() and Poll(path).counts()["stages"]["before"]["respondents"] == 0


def test_a_busy_poll_file_gets_503_try_again_and_a_damaged_one_500_naming_it(client, monkeypatch):
    path = client.app.state.poll.path
    monkeypatch.setattr(poll_module, "BUSY_SECONDS", 0.05)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another writer holds the file
    busy = answer(client, "ann", BEFORE)
    holder.execute("ROLLBACK")
    holder.close()
    assert busy["status"] == 503 and busy["error"] == "the poll's file is busy (database is locked); try again"
    assert answer(client, "ann", BEFORE)["status"] == 200  # it was not counted as a submission that failed
    path.write_bytes(b"overwritten while the studio runs " * 200)
    damaged = client.get("/api/blackbox/results")
    assert damaged.status_code == 500
    assert damaged.json()["error"] == (
        f"the poll's file {path} failed (file is not a database): tell the teacher, who can check it"
    )


def test_concurrent_answers_are_all_counted_and_a_race_for_one_question_has_one_winner(tmp_path):
    poll = Poll(tmp_path / "poll.sqlite3")
    outcomes: list[str] = []

    def submit(who: str, answers: dict[str, str]) -> None:
        try:
            poll.record(browser(who), answers)
            outcomes.append("recorded")
        except PollRefusal:
            outcomes.append("refused")

    threads = [threading.Thread(target=submit, args=(f"student{i}", BEFORE)) for i in range(16)]
    threads += [
        threading.Thread(target=submit, args=("twice", {"trust_before": choice})) for choice in ["yes", "no"] * 4
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("recorded") == 17 and outcomes.count("refused") == 7
    assert poll.counts()["stages"]["before"]["respondents"] == 17


def test_counts_survive_a_restart_and_reset_poll_clears_them(tmp_path, capsys):
    path = tmp_path / "poll.sqlite3"
    with poll_client(path) as first:
        answer(first, "ann", BEFORE)
        answer(first, "ann", AFTER)
        answer(first, "bob", {"trust_before": "no"})
    with poll_client(path) as restarted:  # a new app, a new connection: only the file is shared
        assert counted(restarted, "before", "trust") == {"yes": 1, "no": 1}
        assert counted(restarted, "after", "feature")["background"] == 1
        assert answer(restarted, "ann", {"trust_after": "yes"})["status"] == 409  # still answered
    assert main(["--reset-poll", "--poll-file", str(path)]) == 0
    assert capsys.readouterr().out == f"cleared 5 answer(s) of 2 browser(s) from {path}\n"
    with poll_client(path) as cleared:
        assert cleared.get("/api/blackbox/results").json()["stages"]["before"]["respondents"] == 0
        assert answer(cleared, "ann", BEFORE)["status"] == 200


@pytest.mark.parametrize("name", ["corrupt", "folder", "another table"])
def test_reset_poll_on_a_file_that_cannot_be_used_says_why_and_fails(tmp_path, capsys, name):
    path, what = bad_poll_files(tmp_path)[name]
    assert main(["--reset-poll", "--poll-file", str(path)]) == 1
    said = capsys.readouterr()
    assert said.out == "" and said.err.startswith(f"minidl studio: the poll's file {path} ") and what in said.err


def test_reset_poll_without_a_poll_file_says_so_and_makes_none(tmp_path, capsys):
    path = tmp_path / "never" / "poll.sqlite3"
    assert main(["--reset-poll", "--poll-file", str(path)]) == 0
    assert capsys.readouterr().out == f"no poll file at {path}: nothing to clear\n"
    assert not path.parent.exists()
