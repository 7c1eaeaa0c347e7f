"""A classroom on one laptop: the studio served by `python -m minidl.studio` in its own process,
30 simulated students on the Draw page — each stroke a POST /api/predict with a 140×140 drawing
(what the page sends) followed, at once, by POST /api/lime and POST /api/kernel_shap with the page's
default samples, then a pause of 2-8 s as a student looks at the result — while 5 browsers train
live on the Playground. Reports the p50 and p95 latency of each request, errors (any non-200
answer, exception or closed stream; there must be none), the frame rate each playground session
received, and the server's resident memory at start and end. Needs the studio extra, httpx and
websockets."""

from __future__ import annotations

import asyncio
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

CLIENTS, PLAYGROUNDS = 30, 5
THINK_SECONDS = (2.0, 8.0)
CELL_SAMPLES = {"lime": 200, "kernel_shap": 1000}  # the Draw page's defaults


def resident_megabytes(pid: int) -> float | None:
    """The process's resident set size (Linux /proc), None where that cannot be read."""
    status = Path(f"/proc/{pid}/status")
    if not status.is_file():
        return None
    match = re.search(r"VmRSS:\s+(\d+) kB", status.read_text())
    return int(match.group(1)) / 1024 if match else None


def start_server() -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "minidl.studio", "--port", "0", "--sessions", str(PLAYGROUNDS), "--idle", "600"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    line = server.stdout.readline()
    match = re.search(r"http://[\d.]+:\d+", line)
    if not match:
        server.kill()
        raise RuntimeError(f"the studio did not start: {line!r}")
    return server, match.group(0)


def drawings(count: int, seed: int = 0) -> list[list[list[float]]]:
    """Strokes at 140×140 like the page sends: vertical bars and rings of varying size and place."""
    rng = np.random.default_rng(seed)
    rows, columns = np.mgrid[0:140, 0:140]
    result = []
    for index in range(count):
        centre = rng.uniform(50, 90, 2)
        if index % 2:
            radius = np.hypot(rows - centre[0], (columns - centre[1]) * 1.3)
            size = rng.uniform(25, 45)
            image = (np.abs(radius - size) < 4).astype(float)
        else:
            image = ((np.abs(columns - centre[1]) < 4) & (np.abs(rows - centre[0]) < rng.uniform(25, 50))).astype(float)
        result.append(image.tolist())
    return result


async def student(client, url: str, shapes: list, deadline: float, rng: random.Random, record: dict) -> None:
    await asyncio.sleep(rng.uniform(0, THINK_SECONDS[1]))  # students do not all start on the same beat
    while time.monotonic() < deadline:
        try:
            started = time.perf_counter()
            response = await client.post(f"{url}/api/predict", json={"drawing": rng.choice(shapes)})
            record["predict"].append(time.perf_counter() - started)
            if response.status_code != 200:
                record["errors"].append(f"predict {response.status_code}: {response.text[:100]}")
                continue
            image = response.json()["input"]
            await asyncio.gather(*(cell_explanation(client, url, method, image, record) for method in CELL_SAMPLES))
        except Exception as error:  # a benchmark counts every failure instead of stopping at the first
            record["errors"].append(f"{type(error).__name__}: {error}")
        await asyncio.sleep(rng.uniform(*THINK_SECONDS))


async def cell_explanation(client, url: str, method: str, image: list, record: dict) -> None:
    """POST /api/<method> (lime, kernel_shap) as the page sends it, timed into record[method]."""
    started = time.perf_counter()
    response = await client.post(f"{url}/api/{method}", json={"image": image, "num_samples": CELL_SAMPLES[method]})
    record[method].append(time.perf_counter() - started)
    if response.status_code != 200:
        record["errors"].append(f"{method} {response.status_code}: {response.text[:100]}")


async def playground(url: str, deadline: float, index: int, record: dict) -> None:
    import json

    import websockets

    frames = 0
    try:
        async with websockets.connect(url.replace("http", "ws") + "/ws/playground", max_size=2**22) as socket:
            await socket.send(
                json.dumps(
                    {
                        "type": "settings",
                        "settings": {"dataset": ["xor", "circles", "spirals", "blobs", "xor"][index], "hidden": [8, 8]},
                    }
                )
            )
            await socket.send(json.dumps({"type": "play"}))
            first = None
            while time.monotonic() < deadline:
                message = json.loads(await asyncio.wait_for(socket.recv(), timeout=10))
                if message["type"] == "frame" and message["steps"] > 0:
                    first = first or time.monotonic()
                    frames += 1
                elif message["type"] in ("error", "closed", "busy"):
                    record["errors"].append(f"playground {index}: {message}")
            record["fps"].append((frames - 1) / (time.monotonic() - first) if first and frames > 1 else 0.0)
    except Exception as error:
        record["errors"].append(f"playground {index}: {type(error).__name__}: {error}")


async def classroom(url: str, seconds: float, clients: int, playgrounds: int) -> dict:
    import httpx

    record = {"predict": [], **{method: [] for method in CELL_SAMPLES}, "errors": [], "fps": []}
    shapes = drawings(12)
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients + 5)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        tasks = [student(client, url, shapes, deadline, random.Random(i), record) for i in range(clients)]
        tasks += [playground(url, deadline, i, record) for i in range(playgrounds)]
        await asyncio.gather(*tasks)
    return record


def percentile(values: list[float], q: int) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def run(quick: bool) -> list[dict[str, object]]:
    seconds, clients, playgrounds = (5.0, 6, 2) if quick else (30.0, CLIENTS, PLAYGROUNDS)
    server, url = start_server()
    try:
        memory_start = resident_megabytes(server.pid)
        record = asyncio.run(classroom(url, seconds, clients, playgrounds))
        memory_end = resident_megabytes(server.pid)
        alive = server.poll() is None
    finally:
        server.terminate()
        server.wait(10)
    for error in record["errors"][:10]:
        print(f"  error: {error}")
    setup = f"{clients} students, {playgrounds} playgrounds, {seconds:.0f} s"
    errors = len(record["errors"]) + (0 if alive else 1)
    memory = "n/a" if memory_start is None else f"{memory_start:.0f} MB -> {memory_end:.0f} MB"
    rows = []
    for name, key in (
        ("POST /api/predict (140x140 drawing, 4 gradient maps)", "predict"),
        *((f"POST /api/{method} ({samples} samples)", method) for method, samples in CELL_SAMPLES.items()),
    ):
        for q in (50, 95):
            rows.append(
                {
                    "suite": "studio",
                    "case": f"{name}, p{q}, {setup}",
                    "seconds": {"minidl": percentile(record[key], q)},
                    "notes": {"requests": len(record[key]), "errors": errors},
                }
            )
    fps = record["fps"]
    rows.append(
        {
            "suite": "studio",
            "case": f"playground frame interval (median of {playgrounds} live sessions), {setup}",
            "seconds": {"minidl": 1 / statistics.median(fps) if fps and min(fps) > 0 else float("nan")},
            "notes": {
                "frames_per_second": " / ".join(f"{f:.1f}" for f in fps),
                "server_memory": memory,
                "server_alive": alive,
            },
        }
    )
    return rows
