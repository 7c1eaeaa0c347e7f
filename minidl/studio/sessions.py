"""Live training over a WebSocket, one session per browser, for a classroom on one laptop.

Training is the expensive part, so at most `capacity` sessions train at once; a browser beyond
that waits in a queue and is told "busy, n waiting" whenever the queue moves and every second
(never a silent hang). A session ends — and its slot goes to the next in line — when the browser
disconnects, sends nothing for `idle_seconds` (the pages send a ping every few seconds while
visible), or takes none of the messages sent to it for `idle_seconds`: a browser that stops
reading holds a slot no longer than one that stops writing. One waiting in the queue that takes
no "busy" message for BUSY_REPORT_SECONDS loses its place there: a slot freed meanwhile goes to
the next in line. Predictions and maps do not go through here: they are served to everyone
meanwhile.

Messages from the browser (JSON text): {"type": "play" | "pause" | "step" | "reset" | "ping"} and
{"type": "settings", "settings": {...}}, no other field. A ping only says the page is there; the
others wait to be applied, folded as they arrive (PendingCommands): however often a student clicks
while the session is busy or waits for a slot, it costs no memory and never ends the connection.
A message the studio cannot read is answered with an error; the pages send none, so a browser that
sends more than MAX_REFUSED_MESSAGES of them is closed with 1008. Messages to it: "busy", "ready",
whatever the session sends ("data", "frame"), "error" (a bad message, the connection stays) and
"closed" (why it ends), always JSON that the browser can parse (minidl.studio.encoding.browser_json).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketDisconnect

from minidl.studio.checks import as_written, check_known
from minidl.studio.encoding import browser_json

MAX_MESSAGE_CHARS = 16_384
MAX_WAITING_STEPS = 32  # steps asked for while the session was busy or waiting; more clicks are dropped
MAX_REFUSED_MESSAGES = 256  # per connection: a person trying the protocol by hand sends a few, the pages none
BUSY_REPORT_SECONDS = 5.0  # a "busy" message not taken by then: the browser in the queue reads nothing
FRAME_SECONDS = 1 / 15  # frames while playing: at most 15 per second, leaving the CPU to the others
CLOSE_NORMAL, CLOSE_POLICY, CLOSE_TOO_BIG, CLOSE_SERVER_ERROR = 1000, 1008, 1009, 1011
MESSAGE_FIELDS = {
    "play": ("type",),
    "pause": ("type",),
    "step": ("type",),
    "reset": ("type",),
    "settings": ("type", "settings"),
    "ping": ("type",),
}


def read_message(text: str | None) -> dict[str, Any]:
    """A browser's message: a JSON object with a known "type" and that type's fields, "settings" an
    object. Raises ValueError saying what is wrong (text None: the message was binary)."""
    if text is None:
        raise ValueError("binary messages are not understood; send JSON text")
    try:
        message = json.loads(text)
    except (ValueError, RecursionError) as error:  # RecursionError: JSON nested too deeply
        raise ValueError(f"bad message: {error}") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ValueError(f'bad message: expected a JSON object with a "type" string, got {as_written(message)}')
    if message["type"] not in MESSAGE_FIELDS:
        raise ValueError(f"unknown message type {as_written(message['type'])}; expected {', '.join(MESSAGE_FIELDS)}")
    check_known("field", message, MESSAGE_FIELDS[message["type"]])
    if not isinstance(message.get("settings", {}), dict):
        raise ValueError(f"settings not applied: settings must be a JSON object, got {as_written(message['settings'])}")
    return message


@dataclass
class PendingCommands:
    """What the browser asked for that the session has not applied yet. A page sends one message
    per click, and only the last settings (or reset), the last play or pause and the steps asked
    for after them change what the session does next: kept so, a burst of clicks takes no memory."""

    restart: dict[str, Any] | None = None  # the last "settings" message, or a "reset" if none came
    steps: int = 0
    playing: bool | None = None

    def add(self, message: dict[str, Any]) -> None:
        kind = message["type"]
        if kind in ("settings", "reset"):
            if kind == "settings" or self.restart is None:  # a reset after settings restarts with them
                self.restart = message
            self.steps = 0  # steps asked for before would go to the session it replaces
        elif kind == "step":
            self.steps = min(self.steps + 1, MAX_WAITING_STEPS)
        else:
            self.playing = kind == "play"


class ClientStalled(Exception):
    """The browser took no message for idle_seconds: it reads nothing, or left without closing."""


class LiveSession(Protocol):
    def data(self) -> dict[str, Any]: ...
    def frame(self) -> dict[str, Any]: ...
    def advance(self) -> dict[str, Any]: ...


class TrainingSlots:
    """At most `capacity` holders; the others queue in arrival order."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self.holders: set[int] = set()
        self.queue: collections.deque[int] = collections.deque()
        self.changed = asyncio.Event()

    def status(self) -> dict[str, int]:
        return {"capacity": self.capacity, "active": len(self.holders), "waiting": len(self.queue)}

    def _notify(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()

    async def acquire(self, key: int, report: Callable[[int], Any], gone: Callable[[], bool]) -> bool:
        """Wait for a slot, calling `await report(position)` (1 = next) whenever the queue moves and
        every second; False when `gone()` turns true (the browser left) before a slot was free."""
        self.queue.append(key)
        try:
            while not (self.queue[0] == key and len(self.holders) < self.capacity):
                if gone():
                    return False
                await report(self.queue.index(key) + 1)
                changed = self.changed
                try:
                    await asyncio.wait_for(changed.wait(), timeout=1.0)  # also look at gone() each second
                except asyncio.TimeoutError:  # not yet the built-in TimeoutError on Python 3.10
                    pass
            self.holders.add(key)
            return True
        finally:
            self.queue.remove(key)
            self._notify()

    def release(self, key: int) -> None:
        self.holders.discard(key)
        self._notify()


class SessionRunner:
    """Runs one browser's session on its WebSocket until it disconnects, idles or stops reading."""

    def __init__(
        self,
        websocket: WebSocket,
        slots: TrainingSlots,
        make_session: Callable[[dict[str, Any]], LiveSession],
        idle_seconds: float,
    ):
        self.websocket, self.slots, self.make_session = websocket, slots, make_session
        self.idle_seconds = idle_seconds
        self.pending = PendingCommands()
        self.arrived = asyncio.Event()  # set when a command arrives or the browser leaves
        self.refused = 0
        self.disconnected = False
        self.last_message = time.monotonic()
        self.playing = False
        self.settings: dict[str, Any] = {}

    async def run(self) -> None:
        await self.websocket.accept()
        receiver = asyncio.create_task(self._receive())
        key = id(self)
        try:
            if not await self.slots.acquire(key, self._report_busy, lambda: self.disconnected):
                return
            try:
                ending = await self._serve()
            finally:
                self.slots.release(key)
            if ending:
                await self._close(CLOSE_NORMAL, ending)
        except (WebSocketDisconnect, RuntimeError, ClientStalled):
            pass  # the browser left, or reads nothing: there is no one to tell
        except Exception:
            # A fault of the studio, not of the browser: tell the page, then let uvicorn log it.
            with contextlib.suppress(Exception):
                await self._close(CLOSE_SERVER_ERROR, "the studio failed on this session (its log says why)")
            raise
        finally:
            receiver.cancel()

    async def _report_busy(self, position: int) -> None:
        status = self.slots.status()
        await self._send(
            {
                "type": "busy",
                "position": position,
                **status,
                "message": f"Training is busy: {status['active']} of {status['capacity']} sessions in use, "
                f"{status['waiting']} waiting (you are number {position}). "
                "The Draw page works meanwhile.",
            },
            within=min(BUSY_REPORT_SECONDS, self.idle_seconds),
        )

    async def _receive(self) -> None:
        """Check every message from the browser: a ping only counts as a sign of life, a command
        joins the pending ones, a message that cannot be read is answered with an error."""
        try:
            while True:
                event = await self.websocket.receive()
                if event["type"] == "websocket.disconnect":
                    break
                self.last_message = time.monotonic()
                text = event.get("text")
                if text is not None and len(text) > MAX_MESSAGE_CHARS:
                    await self._close(
                        CLOSE_TOO_BIG, f"message of {len(text)} characters; the limit is {MAX_MESSAGE_CHARS}"
                    )
                    break
                try:
                    message = read_message(text)
                except ValueError as error:
                    self.refused += 1
                    if self.refused > MAX_REFUSED_MESSAGES:
                        await self._close(
                            CLOSE_POLICY,
                            f"over {MAX_REFUSED_MESSAGES} messages the studio could not read; its pages send none",
                        )
                        break
                    await self._send({"type": "error", "message": str(error)})
                    continue
                if message["type"] != "ping":
                    self.pending.add(message)
                    self.arrived.set()
        except (WebSocketDisconnect, RuntimeError, ClientStalled):
            pass  # the connection broke, or the browser stopped reading
        finally:
            self.disconnected = True
            self.arrived.set()

    async def _send(self, message: dict[str, Any], within: float | None = None) -> None:
        """Send message, to be taken within `within` seconds (idle_seconds unless given)."""
        if not self.disconnected:
            await self._taken_within(self.websocket.send_text(browser_json(message)), within or self.idle_seconds)

    async def _close(self, code: int, reason: str) -> None:
        await self._send({"type": "closed", "reason": reason})
        await self._taken_within(self.websocket.close(code, reason[:120]), self.idle_seconds)

    async def _taken_within(self, sending: Awaitable[None], seconds: float) -> None:
        """Wait for a send to be taken, at most `seconds`, else ClientStalled: the server holds it
        while the browser's buffers are full, so a browser that never reads would otherwise keep
        its slot, or its place at the head of the queue, for as long as it likes."""
        try:
            await asyncio.wait_for(sending, seconds)
        except asyncio.TimeoutError:
            self.disconnected = True
            raise ClientStalled(f"no message taken for {seconds:g} s") from None

    async def _serve(self) -> str | None:
        """Train and send frames until the browser leaves (None) or idles (why the session ends)."""
        session = self.make_session(self.settings)
        await self._send({"type": "ready", **self.slots.status()})
        await self._send(session.data())
        await self._send(await run_in_threadpool(session.frame))
        while not self.disconnected:
            if time.monotonic() - self.last_message > self.idle_seconds:
                return (
                    f"idle for {self.idle_seconds:.0f} s: the training slot was "
                    "freed for others; reload the page to train again"
                )
            if self.playing:
                started = time.monotonic()
                await self._send(await run_in_threadpool(session.advance))
                await asyncio.sleep(max(0.0, FRAME_SECONDS - (time.monotonic() - started)))
                timeout = 0.0
            else:
                timeout = 1.0
            session = await self._handle_messages(session, timeout)
        return None

    async def _handle_messages(self, session: LiveSession, timeout: float) -> LiveSession:
        """Apply the pending commands (waiting up to `timeout` s for one): a new session after
        "reset" or new settings, which is returned, then the steps, then play or pause."""
        if timeout:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.arrived.wait(), timeout)
        self.arrived.clear()
        pending, self.pending = self.pending, PendingCommands()
        if pending.restart is not None:
            session = await self._restart(session, pending.restart)
        for _ in range(pending.steps):
            await self._send(await run_in_threadpool(session.advance))
        if pending.playing is not None:
            self.playing = pending.playing
        return session

    async def _restart(self, session: LiveSession, message: dict[str, Any]) -> LiveSession:
        """A new session with the message's settings (or, for a reset, the current ones); the old
        one and an error when they are refused."""
        settings = message.get("settings", {}) if message["type"] == "settings" else self.settings
        try:
            new_session = await run_in_threadpool(self.make_session, settings)
        except ValueError as error:
            await self._send({"type": "error", "message": f"settings not applied: {error}"})
            return session
        self.settings = settings
        await self._send(new_session.data())
        await self._send(await run_in_threadpool(new_session.frame))
        return new_session
