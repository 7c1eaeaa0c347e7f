"""Which pages may use the studio: Host and Origin checks like those of Jupyter's server, for the
same reason (Jupyter stops checking Host when it listens beyond loopback; the studio does not).
The studio runs in the browser that visits every other site, and any page there can send a POST
or open a WebSocket to 127.0.0.1 without asking, so two checks run before any route:

- Host: a request must name the studio by an IP address, as localhost, as the address it was
  started on (--host) or as the host of an allowed origin. Any other name is how a page uses DNS
  rebinding (its own domain pointed at this machine) to read the answers too: 400.
- Origin: a browser says which page sends a POST or opens a WebSocket. Unless that is the studio
  itself (the origin names the Host) or an origin a teacher allowed (--allow-origin), the request
  is refused with 403. Without an Origin (curl, scripts) it is served: no page sent it.

GET and HEAD are not checked for Origin: they change nothing, and the browser keeps a foreign page
from reading their answers.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

from minidl.studio.checks import as_written

READING_METHODS = ("GET", "HEAD")


def check_origin(origin: str) -> str:
    """origin as a browser writes it in the Origin header (scheme://host[:port], lower case), or
    ValueError saying what was wrong with it."""
    parts = urlsplit(origin.strip().lower())
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/") or parts.query:
        raise ValueError(
            f"allowed origin {as_written(origin)} must be http:// or https:// and a host, with a port at most "
            "(what a browser sends as Origin), e.g. http://192.168.1.5:8000"
        )
    return f"{parts.scheme}://{parts.netloc}"


class SameOriginOnly:
    """ASGI middleware: the Host and Origin checks of this module's docstring, for a studio served
    on `host` that also serves the pages of `allowed_origins` (as check_origin returns them)."""

    def __init__(self, app: ASGIApp, allowed_origins: Collection[str], host: str):
        self.app = app
        self.allowed_origins = set(allowed_origins)
        self.host_names = {"localhost", host.lower(), *(urlsplit(origin).hostname for origin in allowed_origins)}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        refusal = self.refusal(scope) if scope["type"] in ("http", "websocket") else None
        if refusal is None:
            await self.app(scope, receive, send)
            return
        response = JSONResponse({"error": refusal[1]}, status_code=refusal[0])
        if scope["type"] == "http":
            await response(scope, receive, send)
        else:
            await WebSocket(scope, receive, send).send_denial_response(response)

    def refusal(self, scope: Scope) -> tuple[int, str] | None:
        """(status, message) for a request from where the studio does not serve, else None."""
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        if not self.is_served_host(host):
            return 400, (
                f"Host {as_written(host)} does not name this studio: open it by its IP address or as localhost "
                "(a teacher who needs a name starts it with --allow-origin http://NAME:PORT)"
            )
        origin = headers.get("origin")
        if origin is None or scope.get("method") in READING_METHODS or self.is_served_origin(origin, host):
            return None
        what = "a WebSocket" if scope["type"] == "websocket" else f"a {scope['method']}"
        return 403, (
            f"{what} to {scope['path']} from the page at {as_written(origin)}: the studio serves only its own pages "
            f"(a teacher who needs another origin starts it with --allow-origin {origin})"
        )

    def is_served_origin(self, origin: str, host: str) -> bool:
        try:
            same_origin = urlsplit(origin.lower()).netloc == host.lower()
        except ValueError:  # a malformed IPv6 literal
            return False
        return same_origin or origin.lower().rstrip("/") in self.allowed_origins

    def is_served_host(self, host: str) -> bool:
        try:
            name = urlsplit(f"//{host}").hostname or ""
        except ValueError:  # a malformed IPv6 literal
            return False
        try:
            ipaddress.ip_address(name)
            return True  # an address cannot be rebound to this machine: only a name can
        except ValueError:
            return name in self.host_names
