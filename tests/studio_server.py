"""The studio on a real uvicorn server (the command's options) in a thread, on a free 127.0.0.1 port:
what the browser tests and the hostile-client tests talk to. The ASGI test client has no sockets,
so no flow control: a client that does not read, or floods, needs a real server. And receive_until,
how both kinds of test read a live session's messages."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator

import uvicorn

from minidl.studio.__main__ import SERVER_OPTIONS
from minidl.studio.app import create_app


@contextlib.contextmanager
def running_studio(send_buffer: int = 0, **app_options) -> Iterator[str]:
    """The URL (http://127.0.0.1:PORT) of a studio made by create_app(**app_options); the server is
    stopped, and must have stopped, on leaving. A send_buffer (bytes) sets the kernel's buffer for
    what the server sends on each connection, which the system otherwise grows to megabytes: small,
    a few messages a client does not read fill everything between them, and the server must wait."""
    sock = socket.socket()
    if send_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)  # the accepted connections inherit it
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(create_app(**app_options), **SERVER_OPTIONS))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the studio server did not start within 15 s"
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
    assert not thread.is_alive(), "the studio server did not shut down"


def sessions(url: str) -> dict[str, int]:
    """The training slots as /api/info reports them: capacity, active, waiting."""
    with urllib.request.urlopen(f"{url}/api/info", timeout=10) as response:
        return json.load(response)["sessions"]


def receive_until(receive: Callable[[], dict], kind: str, limit: int = 50) -> dict:
    """The first message of type `kind` among the next `limit` that receive() returns, parsed (a live
    session sends frames meanwhile): the TestClient's websocket.receive_json, or a websockets client's
    next message."""
    for _ in range(limit):
        message = receive()
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind!r} message in {limit}")
