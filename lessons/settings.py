"""What a lesson needs to know before its first cell: quick or full run, and where its figures go.

A lesson runs three ways and reads its settings the same way in each:

    python -m lessons NAME [--quick] [--out DIR]    the runner sets the environment variables below
    python lessons/NAME.py [--quick] [--out DIR]    the lesson reads its own command line
    a notebook (Jupyter, VS Code, Colab)            the environment variables, or the defaults

MINIDL_LESSON_QUICK=1 asks for the quick run (small data, few epochs: it checks that everything
works, its numbers show little); MINIDL_LESSON_OUT sets the output root. A quick run writes below
its own root, `minidl-output/lessons-quick`, so it never replaces what a full run saved in
`minidl-output/lessons`. Both lie in one `minidl-output/` folder however a lesson is started
(minidl.output): the checkout's own (beside `lessons/`) when the lessons come from a checkout,
else the working folder's; MINIDL_OUTPUT names another. MINIDL_LESSON_SEED (default 0) seeds the
models' initial weights and the order of their training batches, not the data: does a conclusion
hold for another seed?
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import NamedTuple

from minidl.output import output_folder

QUICK_VARIABLE, OUT_VARIABLE, SEED_VARIABLE = "MINIDL_LESSON_QUICK", "MINIDL_LESSON_OUT", "MINIDL_LESSON_SEED"


class LessonSettings(NamedTuple):
    name: str
    quick: bool
    out_dir: Path  # this lesson's own folder below the output root
    seed: int  # of the models' initial weights and batch order


def seed_setting(text: str) -> int:
    if not text.strip().isdigit():
        raise ValueError(f"{SEED_VARIABLE} (--seed) must be a non-negative integer, got {text!r}")
    return int(text)


def in_notebook() -> bool:
    """True inside a Jupyter kernel (Jupyter, VS Code, Colab): figures are then shown inline."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and hasattr(shell, "kernel")


def default_root(quick: bool) -> Path:
    return output_folder() / ("lessons-quick" if quick else "lessons")


def lesson_settings(name: str) -> LessonSettings:
    """The settings of lesson `name`, its output folder created.

    From the command line when the lesson file is run as a script, else from MINIDL_LESSON_QUICK,
    MINIDL_LESSON_OUT and MINIDL_LESSON_SEED; the output root defaults to the quick or the full run's
    own folder.
    """
    quick_text = os.environ.get(QUICK_VARIABLE, "0").strip().lower()
    if quick_text not in ("0", "1", "true", "false", ""):
        raise ValueError(f"{QUICK_VARIABLE} must be 1 (quick run) or 0 (full run), got {quick_text!r}")
    quick, root = quick_text in ("1", "true"), os.environ.get(OUT_VARIABLE) or None
    seed = seed_setting(os.environ.get(SEED_VARIABLE, "0"))
    if not in_notebook() and Path(sys.argv[0]).stem == name:
        parser = argparse.ArgumentParser(prog=f"python lessons/{name}.py", description=f"Run the lesson {name}.")
        parser.add_argument("--quick", action="store_true", help="small, fast run (checks that it works)")
        parser.add_argument("--out", help="output root (default: minidl-output/lessons, or lessons-quick)")
        parser.add_argument("--seed", type=seed_setting, help="seed of the models' weights and batch order (0)")
        args = parser.parse_args(sys.argv[1:])
        quick, root, seed = quick or args.quick, args.out or root, seed if args.seed is None else args.seed
    out_dir = Path(root or default_root(quick)) / name
    out_dir.mkdir(parents=True, exist_ok=True)
    print(f"lesson {name}: {'quick' if quick else 'full'} run, seed {seed}, figures and files in {out_dir}")
    return LessonSettings(name, quick, out_dir, seed)
