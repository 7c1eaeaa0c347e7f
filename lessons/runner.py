"""Command line of the lesson track: list lessons, run one, or run them all.

Every lesson writes its figures below one output folder (default ./minidl-output/lessons), in a
sub-folder named after the lesson.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

from lessons import LESSONS, Lesson
from minidl.datasets import DatasetError

DEFAULT_OUT = Path("minidl-output") / "lessons"


def run_lesson(lesson: Lesson, out_root: Path, quick: bool) -> Path:
    """Import and run one lesson; return the folder that holds its figures."""
    import matplotlib

    matplotlib.use("Agg")
    out_dir = out_root / lesson.name
    out_dir.mkdir(parents=True, exist_ok=True)
    print(f"\n=== {lesson.name}: {lesson.slide} ===")
    start = time.perf_counter()
    importlib.import_module(lesson.module).run(out_dir, quick)
    print(f"--- {lesson.name} done in {time.perf_counter() - start:.1f} s; figures in {out_dir}")
    return out_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lessons", description="Run the minidl lesson track.")
    parser.add_argument("names", nargs="*", metavar="NAME", help="lessons to run (see --list)")
    parser.add_argument("--list", action="store_true", help="list the lessons with their slides")
    parser.add_argument("--all", action="store_true", help="run every lesson, in the deck's order")
    parser.add_argument("--quick", action="store_true", help="small, fast runs (used by the tests)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: %(default)s)")
    args = parser.parse_args(argv)

    by_name = {lesson.name: lesson for lesson in LESSONS}
    if args.list or not (args.names or args.all):
        for number, lesson in enumerate(LESSONS, start=1):
            print(f"{number:2d}. {lesson.name:<24} {lesson.slide}")
        return 0
    unknown = [name for name in args.names if name not in by_name]
    if unknown:
        print(f"unknown lesson(s): {', '.join(unknown)}; choose from: {', '.join(by_name)}", file=sys.stderr)
        return 2
    chosen = list(LESSONS) if args.all else [by_name[name] for name in args.names]
    for lesson in chosen:
        try:
            run_lesson(lesson, args.out, args.quick)
        except DatasetError as error:  # missing or corrupt data: the message says what to do
            print(f"\nlesson {lesson.name} stopped: {error}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print(f"\ninterrupted during lesson {lesson.name}; the figures saved so far are in {args.out}",
                  file=sys.stderr)
            return 130
    return 0
