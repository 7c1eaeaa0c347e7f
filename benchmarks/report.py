"""Tables of benchmark rows for the terminal and for Markdown, and the JSON record of a run."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from minidl.files import write_atomically

COLUMNS = ("minidl", "minidl (reading path)", "naive loops", "concurrent.futures pool", "one worker", "PyTorch")


def _milliseconds(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.3f} ms"


def _paired_ratio(row: dict, numerator: str, denominator: str, digits: int) -> str:
    """'1.23x (1.20-1.31)': the median ratio of two candidates' times, with its quartiles when there
    are several rounds. Samples of one round were taken side by side, so each round gives one ratio;
    the middle half of those ratios shows how far the machine's noise moves the median (their
    extremes would mostly show one stall of a shared machine)."""
    samples = row.get("samples", {})
    if len(samples.get(numerator, ())) < 2:
        return f"{row['seconds'][numerator] / row['seconds'][denominator]:.{digits}f}x"
    ratios = [a / b for a, b in zip(samples[numerator], samples[denominator])]
    low, median, high = statistics.quantiles(ratios, n=4, method="inclusive")
    return f"{median:.{digits}f}x ({low:.{digits}f}-{high:.{digits}f})"


def _ratio(row: dict) -> str:
    """minidl / PyTorch time (below 1: minidl is faster); without PyTorch, how much faster the fast path is."""
    seconds = row["seconds"]
    if "PyTorch" in seconds:
        return f"{_paired_ratio(row, 'minidl', 'PyTorch', 2)} of PyTorch's time"
    if "minidl (reading path)" in seconds:
        return f"fast path {_paired_ratio(row, 'minidl (reading path)', 'minidl', 1)} faster"
    if "concurrent.futures pool" in seconds:
        return f"the pool takes {_paired_ratio(row, 'concurrent.futures pool', 'minidl', 2)} minidl's time"
    return ""


def _notes(row: dict) -> str:
    return ", ".join(f"{key.replace('_', ' ')} {value}" for key, value in row.get("notes", {}).items())


def table_lines(rows: list[dict], markdown: bool) -> list[str]:
    used = [c for c in COLUMNS if any(c in row["seconds"] for row in rows)]
    header = ["benchmark", *used, "ratio", "notes"]
    cells = [
        [row["case"], *(_milliseconds(row["seconds"].get(c)) for c in used), _ratio(row), _notes(row)] for row in rows
    ]
    if markdown:
        return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + [
            "| " + " | ".join(line) + " |" for line in cells
        ]
    widths = [max(len(line[i]) for line in [header, *cells]) for i in range(len(header))]
    return ["  ".join(text.ljust(width) for text, width in zip(line, widths)).rstrip() for line in [header, *cells]]


README_START, README_END = "<!-- benchmark-table -->", "<!-- /benchmark-table -->"


def markdown(rows: list[dict], machine: dict, stamp: str) -> str:
    lines = [
        f"Measured {stamp} on {machine['cpu']} ({machine['cores']} cores), Python {machine['python']}, "
        f"NumPy {machine['numpy']} ({machine['blas']}"
        + (f", {machine['blas_kernel']} kernels" if "blas_kernel" in machine else "")
        + f"), numba {machine['numba']}"
        + (f", minidl {machine['minidl_workers']} worker threads" if "minidl_workers" in machine else "")
        + (f", PyTorch {machine['torch']} ({machine['torch_threads']} threads)" if "torch" in machine else "")
        + (f", malloc: {machine['malloc']}" if "malloc" in machine else "")
        + (
            f"; NumPy's own 1024x1024 float32 matmul: {machine['numpy_matmul_1024_gflops']} GFLOP/s"
            if "numpy_matmul_1024_gflops" in machine
            else ""
        )
        + ". Medians over rounds; in each round every candidate runs once, one after the other, "
        "after 0.2 s of rest (so that no BLAS threads still spin) and an untimed warm-up of at least 0.1 s, "
        "and a sample of a fast case is a loop of calls lasting about 20 ms. "
        "A ratio is the median of the rounds' ratios, (low-high) their quartiles.",
        "",
    ]
    for suite in dict.fromkeys(row["suite"] for row in rows):
        lines += [f"**{suite}**", "", *table_lines([r for r in rows if r["suite"] == suite], markdown=True), ""]
    return "\n".join(lines)


def save(rows: list[dict], machine: dict, out_dir: Path, stamp: str) -> tuple[Path, Path]:
    """results.json (everything) and results.md (the tables), atomically."""
    out_dir.mkdir(parents=True, exist_ok=True)
    record = json.dumps({"date": stamp, "machine": machine, "rows": rows}, indent=2)
    text = markdown(rows, machine, stamp)
    json_path = write_atomically(out_dir / "results.json", lambda f: f.write(record.encode()))
    markdown_path = write_atomically(out_dir / "results.md", lambda f: f.write(text.encode()))
    return json_path, markdown_path


FRONT_PAGE_CASES = (
    "LeNet-5 training epoch",
    "LIME: ",
    "conv2d (64,1,28,28)",
    "conv2d (64,6,14,14)",
    "conv2d (32,16,32,32)",
    "max_pool2d",
    "MLP ",
    "Grad-CAM",
)
"""The README's rows (one for each, eight at most: the README is a front page), by how their case
begins: what a student's LeNet-5 training and explanations spend their time on."""


def front_page(rows: list[dict], machine: dict, stamp: str) -> str:
    """The README's table: the FRONT_PAGE_CASES rows of a run, minidl against PyTorch where it ran."""
    picked = []
    for start in FRONT_PAGE_CASES:  # one row each: against PyTorch where a suite timed it (not the workers suite)
        matching = sorted(
            (row for row in rows if row["case"].startswith(start)), key=lambda r: "PyTorch" not in r["seconds"]
        )
        picked += matching[:1]
    torch = f", PyTorch {machine['torch']} on {machine['torch_threads']} threads" if "torch" in machine else ""
    lines = [
        f"Measured {stamp} on {machine['cpu']} ({machine['cores']} cores){torch}; a ratio is minidl's time over "
        "PyTorch's (below 1: minidl is faster), the median of interleaved rounds with its quartiles.",
        "",
        "| benchmark | minidl | PyTorch | ratio |",
        "|---|---|---|---|",
    ]
    for row in picked:
        ratio = _ratio(row).replace(" of PyTorch's time", "") if "PyTorch" in row["seconds"] else ""
        minidl, torch_seconds = (_milliseconds(row["seconds"].get(name)) for name in ("minidl", "PyTorch"))
        lines.append(f"| {row['case']} | {minidl} | {torch_seconds} | {ratio} |")
    return "\n".join(lines)


def update_readme(readme: Path, rows: list[dict], machine: dict, stamp: str) -> Path:
    """Put the front page's table between the README's benchmark-table markers (which must both be there)."""
    text = readme.read_text(encoding="utf-8")
    if text.count(README_START) != 1 or text.count(README_END) != 1:
        raise ValueError(f"{readme} needs exactly one {README_START} ... {README_END} block")
    before, rest = text.split(README_START)
    after = rest.split(README_END)[1]
    updated = f"{before}{README_START}\n{front_page(rows, machine, stamp)}\n{README_END}{after}"
    return write_atomically(readme, lambda f: f.write(updated.encode("utf-8")))
