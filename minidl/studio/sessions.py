"""Live training over a WebSocket, one session per browser, for a classroom on one laptop.

Training is the expensive part, so at most `capacity` sessions train at once; a browser beyond
that waits in a queue and is told "busy, n waiting" whenever the queue moves (never a silent
hang). A session ends — and its slot goes to the next in line — when the browser disconnects
or sends nothing for `idle_seconds` (the pages send a ping every few seconds while visible).
Predictions and maps do not go through here: they are served to everyone meanwhile.

Messages from the browser (JSON text): {"type": "play" | "pause" | "step" | "reset" | "ping"} and
{"type": "settings", "settings": {...}}. Messages to it: "busy", "ready", whatever the session
sends ("data", "frame"), "error" (a bad message, the connection stays) and "closed" (why it ends).
"""

from __future__ import annotations

import asyncio
import collections
import json
import time
from collections.abc import Callable
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketDisconnect

MAX_MESSAGE_CHARS = 16_384
FRAME_SECONDS = 1 / 15  # frames while playing: at most 15 per second, leaving the CPU to the others
CLOSE_TOO_BIG, CLOSE_NORMAL = 1009, 1000


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
        """Wait for a slot, calling `await report(position)` (1 = next) whenever the queue moves;
        False when `gone()` turns true (the browser left) before a slot was free."""
        self.queue.append(key)
        try:
            while not (self.queue[0] == key and len(self.holders) < self.capacity):
                if gone():
                    return False
                await report(self.queue.index(key) + 1)
                changed = self.changed
                try:
                    await asyncio.wait_for(changed.wait(), timeout=1.0)  # also look at gone() each second
                except TimeoutError:
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
    """Runs one browser's session on its WebSocket until it disconnects or idles."""

    def __init__(
        self,
        websocket: WebSocket,
        slots: TrainingSlots,
        make_session: Callable[[dict[str, Any]], LiveSession],
        idle_seconds: float,
    ):
        self.websocket, self.slots, self.make_session = websocket, slots, make_session
        self.idle_seconds = idle_seconds
        self.inbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
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
                await self._serve()
            finally:
                self.slots.release(key)
        except (WebSocketDisconnect, RuntimeError):
            pass  # the browser left while a message was on its way: nothing to tell anyone
        finally:
            receiver.cancel()

    async def _report_busy(self, position: int) -> None:
        status = self.slots.status()
        await self.websocket.send_json(
            {
                "type": "busy",
                "position": position,
                **status,
                "message": f"Training is busy: {status['active']} of {status['capacity']} sessions in use, "
                f"{status['waiting']} waiting (you are number {position}). "
                "The Draw page works meanwhile.",
            }
        )

    async def _receive(self) -> None:
        """Parse every message from the browser into the inbox; None marks the end."""
        try:
            while True:
                event = await self.websocket.receive()
                if event["type"] == "websocket.disconnect":
                    break
                self.last_message = time.monotonic()
                text = event.get("text")
                if text is None:
                    await self._send({"type": "error", "message": "binary messages are not understood; send JSON text"})
                    continue
                if len(text) > MAX_MESSAGE_CHARS:
                    await self._close(
                        CLOSE_TOO_BIG, f"message of {len(text)} characters; the limit is {MAX_MESSAGE_CHARS}"
                    )
                    break
                try:
                    message = json.loads(text)
                    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
                        raise ValueError('expected a JSON object with a "type" string')
                except (ValueError, RecursionError) as error:  # RecursionError: JSON nested too deeply
                    await self._send({"type": "error", "message": f"bad message: {error}"})
                    continue
                await self.inbox.put(message)
        except (WebSocketDisconnect, RuntimeError):
            pass  # the connection broke while a message was on its way
        finally:
            self.disconnected = True
            await self.inbox.put(None)

    async def _send(self, message: dict[str, Any]) -> None:
        if not self.disconnected:
            await self.websocket.send_json(message)

    async def _close(self, code: int, reason: str) -> None:
        await self._send({"type": "closed", "reason": reason})
        await self.websocket.close(code, reason[:120])

    async def _serve(self) -> None:
        session = self.make_session(self.settings)
        await self._send({"type": "ready", **self.slots.status()})
        await self._send(session.data())
        await self._send(await run_in_threadpool(session.frame))
        while not self.disconnected:
            if time.monotonic() - self.last_message > self.idle_seconds:
                await self._close(
                    CLOSE_NORMAL,
                    f"idle for {self.idle_seconds:.0f} s: the training slot was "
                    "freed for others; reload the page to train again",
                )
                return
            if self.playing:
                started = time.monotonic()
                await self._send(await run_in_threadpool(session.advance))
                await asyncio.sleep(max(0.0, FRAME_SECONDS - (time.monotonic() - started)))
                timeout = 0.0
            else:
                timeout = 1.0
            session = await self._handle_messages(session, timeout)

    async def _handle_messages(self, session: LiveSession, timeout: float) -> LiveSession:
        """Apply the messages that arrived (waiting up to `timeout` s for the first); returns the
        session, a new one after "reset" or new settings."""
        try:
            message = await asyncio.wait_for(self.inbox.get(), timeout) if timeout else self.inbox.get_nowait()
        except (TimeoutError, asyncio.QueueEmpty):
            return session
        while message is not None:
            session = await self._apply(session, message)
            try:
                message = self.inbox.get_nowait()
            except asyncio.QueueEmpty:
                return session
        return session

    async def _apply(self, session: LiveSession, message: dict[str, Any]) -> LiveSession:
        kind = message["type"]
        if kind in ("play", "pause"):
            self.playing = kind == "play"
        elif kind == "step":
            await self._send(await run_in_threadpool(session.advance))
        elif kind in ("reset", "settings"):
            settings = message.get("settings", {}) if kind == "settings" else self.settings
            try:
                session = await run_in_threadpool(self.make_session, settings)
            except (ValueError, TypeError) as error:
                await self._send({"type": "error", "message": f"settings not applied: {error}"})
                return session
            self.settings = settings
            await self._send(session.data())
            await self._send(await run_in_threadpool(session.frame))
        elif kind != "ping":
            await self._send(
                {
                    "type": "error",
                    "message": f"unknown message type {kind!r}; expected play, pause, step, reset, settings or ping",
                }
            )
        return session
