"""Command line of the lesson track: list the lessons, run one or all, or write them as notebooks.

Each lesson is a percent-format script, lessons/NAME.py. The runner executes it as `__main__` in a
fresh namespace (runpy), with its settings in the environment (see lessons.settings), so that it
runs exactly as `python lessons/NAME.py` or a notebook would.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import runpy
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from lessons import LESSONS, Lesson, lesson_file
from lessons.settings import OUT_VARIABLE, QUICK_VARIABLE, SEED_VARIABLE, default_root, seed_setting
from minidl.datasets import DatasetError


@contextlib.contextmanager
def lesson_environment(path: Path, quick: bool, out_root: Path, seed: int) -> Iterator[None]:
    """The settings in the environment and a command line without the runner's own arguments,
    both restored afterwards."""
    saved_environment = {name: os.environ.get(name) for name in (QUICK_VARIABLE, OUT_VARIABLE, SEED_VARIABLE)}
    saved_argv = sys.argv
    os.environ[QUICK_VARIABLE], os.environ[OUT_VARIABLE] = ("1" if quick else "0"), str(out_root)
    os.environ[SEED_VARIABLE] = str(seed)
    sys.argv = [str(path)]
    try:
        yield
    finally:
        sys.argv = saved_argv
        for name, value in saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_lesson(lesson: Lesson, out_root: Path, quick: bool, seed: int = 0) -> Path:
    """Run one lesson as a script; return the folder that holds its figures."""
    import matplotlib

    matplotlib.use("Agg")
    print(f"\n=== {lesson.name}: {lesson.slide} ===", flush=True)
    start = time.perf_counter()
    path = lesson_file(lesson)
    with lesson_environment(path, quick, out_root, seed):
        runpy.run_path(str(path), run_name="__main__")
    out_dir = out_root / lesson.name
    print(f"--- {lesson.name} done in {time.perf_counter() - start:.1f} s; figures in {out_dir}", flush=True)
    return out_dir


def write_notebooks(lessons: list[Lesson], folder: Path) -> list[Path]:
    """One .ipynb per lesson, converted from its percent script by jupytext."""
    try:
        import jupytext
    except ImportError:
        raise SystemExit(
            "writing notebooks needs jupytext: pip install jupytext "
            "(or install minidl with its notebooks extra: pip install -e '.[notebooks]')"
        ) from None
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for lesson in lessons:
        notebook = jupytext.read(lesson_file(lesson))
        notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        written.append(folder / f"{lesson.name}.ipynb")
        jupytext.write(notebook, written[-1])
    return written


def unknown_names_message(unknown: list[str], known: list[str]) -> str:
    lines = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1)
        lines.append(f"unknown lesson {name!r}" + (f"; did you mean {close[0]!r}?" if close else ""))
    return "\n".join(lines) + f"\nthe lessons are: {', '.join(known)} (python -m lessons --list)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lessons", description="Run the minidl lesson track.")
    parser.add_argument("names", nargs="*", metavar="NAME", help="lessons to run (see --list)")
    parser.add_argument("--list", action="store_true", help="list the lessons with their slides")
    parser.add_argument("--all", action="store_true", help="run every lesson, in the deck's order")
    parser.add_argument(
        "--quick", action="store_true", help="small, fast runs that check everything works (their own output folder)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"output folder (default: {default_root(False)}, with --quick {default_root(True)})",
    )
    parser.add_argument(
        "--seed", type=seed_setting, default=0, help="seed of the models' initial weights and batch order (default 0)"
    )
    parser.add_argument(
        "--notebooks",
        type=Path,
        metavar="DIR",
        help="write the chosen lessons (all without names) as .ipynb notebooks into DIR",
    )
    args = parser.parse_args(argv)

    by_name = {lesson.name: lesson for lesson in LESSONS}
    unknown = [name for name in args.names if name not in by_name]
    if unknown:
        print(unknown_names_message(unknown, list(by_name)), file=sys.stderr)
        return 2
    chosen = [by_name[name] for name in args.names] if args.names and not args.all else list(LESSONS)
    if args.notebooks is not None:
        for path in write_notebooks(chosen, args.notebooks):
            print(path)
        return 0
    if args.list or not (args.names or args.all):
        for number, lesson in enumerate(LESSONS, start=1):
            print(f"{number:2d}. {lesson.name:<24} {lesson.slide}")
        return 0
    out_root = args.out if args.out is not None else default_root(args.quick)
    for lesson in chosen:
        try:
            run_lesson(lesson, out_root, args.quick, args.seed)
        except DatasetError as error:  # missing or corrupt data: the message says what to do
            print(f"\nlesson {lesson.name} stopped: {error}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            print(
                f"\ninterrupted during lesson {lesson.name}; the figures saved so far are in {out_root}",
                file=sys.stderr,
            )
            return 130
    return 0
