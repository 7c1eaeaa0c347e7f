"""`python -m benchmarks`: time minidl (and PyTorch, when installed) and write benchmarks/results/."""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

from benchmarks import allocator, convolution, engine, kernels, lenet, report, startup, studio, timing, workers, xai
from benchmarks.machine import describe
from benchmarks.torch_twin import NOT_INSTALLED, import_torch

SUITES = ("engine", "kernels", "convolution", "lenet", "workers", "xai", "startup", "studio")
ON_REQUEST = ("studio",)  # a 30-second classroom load test with a server: run only when named
RESULTS = Path(__file__).resolve().parent / "results"
README = Path(__file__).resolve().parent.parent / "README.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument(
        "suites",
        nargs="*",
        choices=[[], *SUITES],
        default=[],
        help=f"which suites to run (default: all but {', '.join(ON_REQUEST)})",
    )
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds per case; medians are shown")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one round, a small LeNet epoch, no startup suite: checks that the benchmarks run, not how fast",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for results.json and results.md (default: benchmarks/results; a --quick run "
        "saves only where --out says, never into the repository)",
    )
    parser.add_argument("--no-save", action="store_true", help="print only")
    parser.add_argument(
        "--readme",
        type=Path,
        nargs="?",
        const=README,
        default=None,
        help="also put the tables into the README's benchmark block (default: the repository's README.md)",
    )
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.quick and args.readme is not None and args.readme.resolve() == README:
        parser.error("a --quick run's one-round numbers never go into the repository's README")
    out = args.out if args.out is not None or args.quick else RESULTS
    suites = args.suites or [s for s in SUITES if s not in ON_REQUEST and not (args.quick and s == "startup")]
    repeats = 1 if args.quick else args.repeats
    if args.quick:  # checks that everything runs: no rest between candidates needed
        timing.SETTLE_SECONDS = 0.0
    torch = import_torch()
    if torch is None:
        print(NOT_INSTALLED)
    machine = describe(torch)
    machine["malloc"] = allocator.keep_freed_heap()
    print(", ".join(f"{key} {value}" for key, value in machine.items()))
    runners = {
        "engine": lambda: engine.run(repeats),
        "kernels": lambda: kernels.run(repeats),
        "convolution": lambda: convolution.run(repeats),
        "lenet": lambda: lenet.run(min(repeats, 5), 512 if args.quick else 4096),  # epochs take seconds
        "workers": lambda: workers.run(min(repeats, 5), args.quick),
        "xai": lambda: xai.run(repeats),
        "startup": lambda: startup.run(repeats),
        "studio": lambda: studio.run(args.quick),
    }
    rows = []
    for suite in suites:
        print(f"\n== {suite} ==", flush=True)
        suite_rows = runners[suite]()
        print("\n".join(report.table_lines(suite_rows, markdown=False)), flush=True)
        rows += suite_rows
    if "convolution" in suites:  # the ceiling the convolutions' GEMM GFLOP/s compare with
        machine["numpy_matmul_1024_gflops"] = round(convolution.numpy_matmul_gflops(repeats), 1)
        print(f"\nNumPy's own float32 matmul (1024x1024): {machine['numpy_matmul_1024_gflops']} GFLOP/s")
    if args.no_save or out is None:
        print("\nresults not saved" + (" (a --quick run saves only with --out DIR)" if out is None else ""))
    else:
        stamp = datetime.datetime.now().isoformat(timespec="seconds")
        for path in report.save(rows, machine, out, stamp):
            print(f"wrote {path}")
        if args.readme:
            print(f"updated {report.update_readme(args.readme, rows, machine, stamp)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
