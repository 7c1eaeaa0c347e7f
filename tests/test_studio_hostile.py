"""The studio on a real uvicorn server, where a client gets what reaches the socket, against clients
that do not play fair: a browser that never reads what it is sent (its training slot, or its place
in the queue, must still be freed), one that clicks away while it waits for a slot (it keeps its
place and gets what it asked for last), one that floods the server with messages it cannot read
(closed with 1008) or nests them as deep as the parser allows, pages of other sites (Origin) and
requests that name another host (DNS rebinding); and a session that fails inside the studio still
tells its page why."""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import socket
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

if not os.environ.get("CI"):  # under CI a missing dependency is an error, not a skip
    pytest.importorskip("uvicorn", reason="the studio extra is not installed: pip install -e '.[studio]'")
    pytest.importorskip("websockets", reason="the studio extra is not installed: pip install -e '.[studio]'")
    pytest.importorskip("httpx", reason="the tests need httpx: pip install -e '.[dev]'")

import httpx
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from minidl.studio.playground import STEPS_PER_FRAME, Playground
from minidl.studio.sessions import BUSY_REPORT_SECONDS, MAX_REFUSED_MESSAGES, MAX_WAITING_STEPS
from studio_server import receive_until, running_studio, sessions

pytestmark = pytest.mark.studio


def websocket_url(url: str, path: str) -> str:
    return url.replace("http://", "ws://") + path


def reads(websocket) -> Callable[[], dict]:
    """What receive_until calls on a websockets client: its next message, parsed, within 10 s."""
    return lambda: json.loads(websocket.recv(timeout=10))


def websocket_handshake(url: str, path: str, host: str | None = None, receive_buffer: int = 0) -> socket.socket:
    """A socket that has sent, by hand, the opening handshake of a WebSocket to path with one Host
    header: `host`, or the studio's address (a client library sends its own beside one given to it).
    A receive_buffer is set before connecting, so that the window the socket offers stays that small."""
    address = urlsplit(url)
    sock = socket.socket()
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.settimeout(5)
    sock.connect((address.hostname, address.port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: {host or address.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    return sock


def never_reading_websocket(url: str, path: str) -> socket.socket:
    """A WebSocket opened by hand whose messages will never be read, with a receive buffer as small
    as the system allows."""
    sock = websocket_handshake(url, path, receive_buffer=4096)
    handshake = b""
    while not handshake.endswith(b"\r\n\r\n"):  # the answer's headers, byte by byte: nothing after them is read
        handshake += sock.recv(1)
    assert handshake.startswith(b"HTTP/1.1 101"), handshake
    return sock


def send_message(sock: socket.socket, message: dict) -> None:
    """One text frame, masked as a client's must be (each payload byte XOR the key's bytes in turn)."""
    payload = json.dumps(message).encode()
    assert len(payload) < 65_536, "a length in one byte, or 126 and two bytes"
    length = (
        bytes([0x80 | len(payload)]) if len(payload) < 126 else bytes([0x80 | 126]) + len(payload).to_bytes(2, "big")
    )
    key = os.urandom(4)
    masked = bytes(byte ^ key[i % 4] for i, byte in enumerate(payload))
    sock.sendall(b"\x81" + length + key + masked)


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.2)
    return condition()


def test_a_client_that_never_reads_loses_its_training_slot():
    with running_studio(max_sessions=1, idle_seconds=1.0) as url:
        sock = never_reading_websocket(url, "/ws/playground")
        try:
            send_message(sock, {"type": "settings", "settings": {"hidden": [8, 8, 8]}})
            send_message(sock, {"type": "play"})
            assert wait_until(lambda: sessions(url)["active"] == 1, 10)

            def still_training() -> bool:
                with contextlib.suppress(OSError):  # once the server gave up, its buffers fill too
                    send_message(sock, {"type": "ping"})  # never silent: only its not reading can free the slot
                return sessions(url)["active"] == 1

            wait_until(lambda: not still_training(), 30)
            assert sessions(url) == {"capacity": 1, "active": 0, "waiting": 0}
            with connect(websocket_url(url, "/ws/playground")) as next_in_line:
                assert receive_until(reads(next_in_line), "ready")["active"] == 1
        finally:
            sock.close()


def test_a_client_first_in_the_queue_that_never_reads_loses_its_place_within_seconds():
    # Else it would be told "busy" until --idle, and a slot freed meanwhile would wait for it.
    with running_studio(send_buffer=4096, max_sessions=1, idle_seconds=60) as url:
        with connect(websocket_url(url, "/ws/playground")) as holder:
            receive_until(reads(holder), "ready")
            sock = never_reading_websocket(url, "/ws/playground")
            try:
                assert wait_until(lambda: sessions(url)["waiting"] == 1, 10)
                with connect(websocket_url(url, "/ws/playground")) as next_in_line:
                    assert receive_until(reads(next_in_line), "busy")["position"] == 2
                    unknown_fields = {"type": "ping", **{f"k{i}": 0 for i in range(1300)}}  # 14.5 kB, answered: 10
                    for _ in range(20):  # 200 kB of answers it does not read: the server's next send to it waits
                        send_message(sock, unknown_fields)
                    started = time.monotonic()
                    assert wait_until(lambda: sessions(url)["waiting"] == 1, 10), "it kept its place"
                    assert time.monotonic() - started < BUSY_REPORT_SECONDS + 2
                    holder.close()
                    assert receive_until(reads(next_in_line), "ready")["active"] == 1
            finally:
                sock.close()


def test_a_waiting_page_clicking_away_keeps_its_place_and_gets_what_it_asked_for_last():
    # A student who clicks while waiting for a slot: many more messages than a few, all of kinds the
    # page sends. Only the last settings and play/pause count, and at most MAX_WAITING_STEPS steps.
    clicks = [{"type": "settings", "settings": {"hidden": [1 + click % 8]}} for click in range(100)]  # last: [4]
    clicks += [{"type": "play" if click % 2 == 0 else "pause"} for click in range(100)]  # Play/Pause, last: pause
    clicks += [{"type": kind} for _ in range(100) for kind in ("pause", "step")]  # Step pauses, then steps
    with running_studio(max_sessions=1, idle_seconds=60) as url:
        with connect(websocket_url(url, "/ws/playground")) as holder:
            receive_until(reads(holder), "ready")
            with connect(websocket_url(url, "/ws/playground")) as waiting:
                receive_until(reads(waiting), "busy")
                for click in clicks:
                    waiting.send(json.dumps(click))
                waiting.send(json.dumps({"type": "dance"}))  # answered in turn, after every click before it
                assert "unknown message type" in receive_until(reads(waiting), "error")["message"]
                holder.close()
                receive_until(reads(waiting), "ready")
                frames = [receive_until(reads(waiting), "frame") for _ in range(2 + MAX_WAITING_STEPS)]
                assert [len(frame["neurons"]) for frame in frames] == [2] + [1] * (1 + MAX_WAITING_STEPS)
                assert [frame["steps"] for frame in frames[1:]] == [
                    step * STEPS_PER_FRAME for step in range(1 + MAX_WAITING_STEPS)
                ]
                with pytest.raises(TimeoutError):  # paused: no frame follows
                    waiting.recv(timeout=1)


def test_a_client_that_floods_the_server_with_what_it_cannot_read_is_closed_with_1008():
    with running_studio(max_sessions=1, idle_seconds=60) as url:
        with connect(websocket_url(url, "/ws/playground")) as holder:
            receive_until(reads(holder), "ready")
            with connect(websocket_url(url, "/ws/playground")) as waiting:
                receive_until(reads(waiting), "busy")
                for _ in range(10 * MAX_REFUSED_MESSAGES):  # pings only say the page is there: never too many
                    waiting.send(json.dumps({"type": "ping"}))
                for _ in range(MAX_REFUSED_MESSAGES):  # each refused message is answered
                    waiting.send(json.dumps({"type": "dance"}))
                    assert "unknown message type" in receive_until(reads(waiting), "error")["message"]
                waiting.send(b"\x00")
                reason = receive_until(reads(waiting), "closed")["reason"]
                assert f"over {MAX_REFUSED_MESSAGES} messages the studio could not read" in reason
                with pytest.raises(ConnectionClosed) as closed:
                    waiting.recv(timeout=10)
                assert closed.value.rcvd.code == 1008
            assert wait_until(lambda: sessions(url) == {"capacity": 1, "active": 1, "waiting": 0}, 10)


def test_a_message_nested_as_deep_as_the_parser_allows_gets_an_error_and_the_session_goes_on():
    # The parser accepts a few levels more than json.dumps can echo (on Python 3.11, in the receiving
    # task's stack): a RecursionError there killed the task and dropped the socket without a close frame.
    with running_studio(max_sessions=1, idle_seconds=60) as url:
        with connect(websocket_url(url, "/ws/playground")) as websocket:
            receive_until(reads(websocket), "frame")
            for depth in range(900, 1000):
                websocket.send("[" * depth + "]" * depth)
                error = receive_until(reads(websocket), "error")["message"]
                assert error.startswith("bad message"), (depth, error)
            websocket.send(json.dumps({"type": "step"}))
            assert receive_until(reads(websocket), "frame")["steps"] > 0


def test_a_failure_of_the_studio_itself_closes_the_session_with_1011_and_a_reason(monkeypatch):
    def broken_frame(self):
        raise AttributeError("a bug in the studio")

    monkeypatch.setattr(Playground, "frame", broken_frame)
    with running_studio(max_sessions=1, idle_seconds=60) as url:
        with connect(websocket_url(url, "/ws/playground")) as websocket:
            assert "the studio failed" in receive_until(reads(websocket), "closed")["reason"]
            with pytest.raises(ConnectionClosed) as closed:
                websocket.recv(timeout=10)
            assert closed.value.rcvd.code == 1011
        assert wait_until(lambda: sessions(url)["active"] == 0, 10)


ALLOWED_ORIGIN = "http://class.example:8000"  # a teacher's --allow-origin
FOREIGN_ORIGINS = ["http://evil.example", "null", "http://127.0.0.1:1"]  # a site, a sandboxed page, another port


@pytest.fixture(scope="module")
def studio_url(tmp_path_factory):
    poll_file = tmp_path_factory.mktemp("poll") / "poll.sqlite3"  # no other test's answers
    with running_studio(max_sessions=2, idle_seconds=60, allowed_origins=[ALLOWED_ORIGIN], poll_file=poll_file) as url:
        yield url


@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
def test_a_websocket_from_another_origin_is_refused_with_403(studio_url, origin):
    with pytest.raises(InvalidStatus) as refused:
        connect(websocket_url(studio_url, "/ws/playground"), origin=origin)
    assert refused.value.response.status_code == 403
    assert json.dumps(origin) in json.loads(refused.value.response.body)["error"]
    assert sessions(studio_url)["active"] == 0


@pytest.mark.parametrize("origin", [None, "the studio's own", ALLOWED_ORIGIN])
def test_a_websocket_from_the_studio_an_allowed_origin_or_no_page_trains(studio_url, origin):
    origin = studio_url if origin == "the studio's own" else origin
    with connect(websocket_url(studio_url, "/ws/convnet"), origin=origin) as websocket:
        assert receive_until(reads(websocket), "ready")["active"] >= 1


LIME_BODY = json.dumps({"image": [[0.0] * 28] * 8 + [[0.0] * 13 + [1.0, 1.0] + [0.0] * 13] * 12 + [[0.0] * 28] * 8})


ANSWER_BODY = json.dumps({"browser": "f" * 32, "answers": {"trust_before": "yes"}})


@pytest.mark.parametrize(
    "route, body",
    [
        ("/api/lime", LIME_BODY),
        ("/api/kernel_shap", LIME_BODY),
        ("/api/blackbox/answers", ANSWER_BODY),  # another site voting in the class's poll
        ("/api/blackbox/progress", json.dumps({"browser": "f" * 32})),
    ],
)
@pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
def test_a_cross_site_post_is_refused_with_403(studio_url, origin, route, body):
    # text/plain: the one kind of cross-site POST a browser sends without asking the server first
    response = httpx.post(
        f"{studio_url}{route}", content=body, headers={"Origin": origin, "Content-Type": "text/plain"}
    )
    assert response.status_code == 403 and json.dumps(origin) in response.json()["error"]
    assert httpx.get(f"{studio_url}/api/blackbox/results").json()["stages"]["before"]["respondents"] == 0


@pytest.mark.parametrize("origin", [None, "the studio's own", ALLOWED_ORIGIN])
def test_a_post_from_the_studio_an_allowed_origin_or_no_page_is_served(studio_url, origin):
    origin = studio_url if origin == "the studio's own" else origin
    response = httpx.post(f"{studio_url}/api/lime", content=LIME_BODY, headers={"Origin": origin} if origin else {})
    assert response.status_code == 200 and response.json()["target"] == 1


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "localhost.evil.example", "[::1"])
def test_a_request_that_names_another_host_gets_400_and_no_redirect_there(studio_url, host):
    for path in ("/static", "/api/info", "/draw", "/blackbox/results", "/api/blackbox/results"):
        response = httpx.get(f"{studio_url}{path}", headers={"Host": host}, follow_redirects=False)
        assert response.status_code == 400 and json.dumps(host) in response.json()["error"], (path, response.text)
    with websocket_handshake(studio_url, "/ws/playground", host=host) as sock:
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        assert answer.status == 400 and json.dumps(host) in json.loads(answer.read())["error"], answer.status


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost", "[::1]:8000", "192.168.1.5", "class.example:8000"])
def test_a_request_that_names_the_studio_by_address_localhost_or_allowed_name_is_served(studio_url, host):
    assert httpx.get(f"{studio_url}/api/info", headers={"Host": host}).status_code == 200
