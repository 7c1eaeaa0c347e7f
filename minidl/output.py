"""Where minidl writes what it makes (the lessons' figures and models, the studio's poll, the
gradient-check figure): one `minidl-output/` folder per checkout, however the program is started.

MINIDL_OUTPUT names the folder. Otherwise, when minidl runs from a checkout (an editable install,
or a notebook opened in lessons/), it is the checkout's own minidl-output/, beside minidl/, so a
lesson run as a notebook, through the runner or from another folder writes to the same place;
else (an installed wheel) minidl-output/ in the working folder.
"""

from __future__ import annotations

import os
from pathlib import Path

OUTPUT_VARIABLE = "MINIDL_OUTPUT"


def output_folder() -> Path:
    """MINIDL_OUTPUT, else the checkout's minidl-output/, else ./minidl-output."""
    if os.environ.get(OUTPUT_VARIABLE):
        return Path(os.environ[OUTPUT_VARIABLE])
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "setup.cfg").is_file() and (checkout / "lessons").is_dir():
        return checkout / "minidl-output"
    return Path("minidl-output")
