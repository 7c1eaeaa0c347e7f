"""python -m minidl.studio [--host 127.0.0.1] [--port 8000] [--open]: serve the studio's pages.

The port falls back to a free one when it is taken. --host 0.0.0.0 serves a classroom: anyone on
the network can then reach the studio, and the command says so. Students open it by the computer's
IP address: a request that names it otherwise (teacher.local, any DNS name) gets 400, as names are
how DNS rebinding reaches a local server, unless --allow-origin http://teacher.local:8000 lets that
name in. Pages of other sites may not post or train (403) unless --allow-origin lets their origin in.

The Black Box page's poll keeps the class's answers in an SQLite file (--poll-file; by default
minidl-output/studio/blackbox_poll.sqlite3, or below MINIDL_OUTPUT), so a restart loses nothing;
it is checked at start, and a file that cannot be used is named with what is wrong. --reset-poll
clears it, says how many answers it cleared, and exits.
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import socket
import sys
import threading
import time
import webbrowser
from pathlib import Path

from minidl.studio.poll import NEW_BROWSERS_PER_ADDRESS

INSTALL_HINT = (
    "minidl studio needs Starlette, uvicorn and websockets: pip install 'minidl[studio]' "
    "(or: pip install starlette uvicorn websockets)"
)

# uvicorn's options, also for the tests' server. Keep-alive longer than a student's pause between
# strokes: uvicorn's default of 5 s closes idle connections just as browsers reuse them, and a
# request sent on a closing one fails.
SERVER_OPTIONS = {
    "log_level": "warning",
    "ws_max_size": 65_536,
    "timeout_keep_alive": 75,
    "timeout_graceful_shutdown": 2,
}


def bind(host: str, port: int) -> tuple[socket.socket, bool]:
    """A listening socket on host:port, or on a free port when that one is taken; and whether
    the fallback was used."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for candidate in (port, 0):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, candidate))
        except OSError as error:
            sock.close()
            if error.errno != errno.EADDRINUSE or candidate == 0:
                raise
            continue
        sock.listen(128)
        return sock, candidate != port
    raise AssertionError("unreachable: port 0 always binds or raises")


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def reset_poll(poll_file: Path | None) -> int:
    """Clear the poll's answers (the file stays, empty) and say what was cleared; 1, with the reason
    on stderr, when the file cannot be cleared."""
    import sqlite3

    from minidl.studio.poll import Poll, PollFileError, default_poll_file

    path = poll_file or default_poll_file()
    if not path.exists():
        print(f"no poll file at {path}: nothing to clear")
        return 0
    try:
        answers, browsers = Poll(path).clear()
    except PollFileError as error:
        print(f"minidl studio: {error}; nothing was cleared", file=sys.stderr)
        return 1
    except (sqlite3.Error, OSError) as error:
        print(f"minidl studio: cannot clear the poll's file {path}: {error}", file=sys.stderr)
        return 1
    print(f"cleared {answers} answer(s) of {browsers} browser(s) from {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m minidl.studio", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this computer only)"
    )
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000; a free one if it is taken)")
    parser.add_argument("--open", action="store_true", help="open the studio in the web browser")
    parser.add_argument("--sessions", type=int, default=4, help="training sessions at once (default 4); more wait")
    parser.add_argument(
        "--idle",
        type=float,
        default=120.0,
        help="seconds a training session is kept while its browser sends nothing, or takes nothing (default 120)",
    )
    parser.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="URL",
        help="also serve this origin (scheme://host[:port]): its host is accepted as a name of the studio and its "
        "pages may post and train, e.g. http://teacher.local:8000 for a class that uses that name; may be given "
        "again. Otherwise requests must name the studio by IP address, localhost or --host, and only its own "
        "pages may post or train",
    )
    parser.add_argument(
        "--poll-file",
        type=Path,
        metavar="FILE",
        help="the SQLite file of the Black Box page's answers (default: studio/blackbox_poll.sqlite3 in minidl's "
        "output folder: MINIDL_OUTPUT, else the checkout's minidl-output/)",
    )
    parser.add_argument(
        "--new-browsers-per-address",
        type=int,
        default=NEW_BROWSERS_PER_ADDRESS,
        metavar="N",
        help=f"browsers one address may bring to the Black Box poll in 10 minutes (default "
        f"{NEW_BROWSERS_PER_ADDRESS}); raise it to the class size when every student reaches the studio through "
        "one address (a NAT, a proxy)",
    )
    parser.add_argument(
        "--reset-poll", action="store_true", help="clear the Black Box page's answers, say how many, and exit"
    )
    args = parser.parse_args(argv)
    if args.reset_poll:
        return reset_poll(args.poll_file)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be in 0..65535, got {args.port}")
    if args.sessions < 1 or not args.idle > 0:
        parser.error("--sessions must be at least 1 and --idle positive")
    started = time.perf_counter()
    try:
        import uvicorn
        import websockets  # noqa: F401  (uvicorn's WebSocket protocol: without it live training cannot connect)
        from threadpoolctl import threadpool_limits

        from minidl.studio.app import create_app
        from minidl.studio.poll import PollFileError
    except ImportError:
        print(INSTALL_HINT, file=sys.stderr)
        return 1
    try:
        sock, moved = bind(args.host, args.port)
    except OSError as error:
        print(f"minidl studio: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    port = sock.getsockname()[1]
    # The server answers many requests at once, each on its own thread: one BLAS thread per call
    # lets them share the cores, where every call asking OpenBLAS for all cores makes them queue.
    threadpool_limits(limits=1)
    try:
        app = create_app(
            max_sessions=args.sessions,
            idle_seconds=args.idle,
            allowed_origins=args.allow_origin,
            host=args.host,
            poll_file=args.poll_file,
            new_browsers_per_address=args.new_browsers_per_address,
        )
    except PollFileError as error:  # a ValueError, but not of the command line's syntax
        sock.close()
        print(f"minidl studio: {error} (--poll-file names another one)", file=sys.stderr)
        return 1
    except ValueError as error:
        sock.close()
        parser.error(str(error))
    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    url = f"http://{shown_host}:{port}/"
    if moved:
        print(f"port {args.port} is in use; using the free port {port}")
    if not is_loopback(args.host):
        print(
            f"WARNING: serving on {args.host}: anyone who can reach this computer over the network can use the "
            f"studio (and its CPU). Use it for a classroom on a trusted network; students open "
            f"http://<this computer's IP address>:{port}/ (a name such as NAME.local needs "
            f"--allow-origin http://NAME.local:{port})"
        )
    print(f"minidl studio ready in {time.perf_counter() - started:.1f} s at {url}  (Ctrl-C stops it)", flush=True)
    print(f"the Black Box page's answers are kept in {app.state.poll.path} (--reset-poll clears them)", flush=True)
    if args.open:
        threading.Timer(0.5, webbrowser.open, [url]).start()
    uvicorn.Server(uvicorn.Config(app, **SERVER_OPTIONS)).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
