"""Progress off a terminal: plain lines (no carriage returns) every few seconds, none for short work."""

import io

import minidl.progress as progress_module
from minidl.progress import progress


def test_off_a_terminal_progress_prints_plain_lines(monkeypatch, capsys):
    monkeypatch.setattr(progress_module, "LINE_INTERVAL_SECONDS", 0.0)  # a line after every item
    monkeypatch.setattr(progress_module.sys, "stderr", io.StringIO())  # not a terminal
    bar = progress(range(4), "U-Net", unit="steps")
    seen = []
    for step in bar:
        bar.set_postfix(loss=f"{1 / (step + 1):.2f}")
        seen.append(step)
    assert seen == [0, 1, 2, 3]
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert lines[0].startswith("U-Net: 1/4 steps (25%), 0 s, loss 1.00")
    assert lines[-1].startswith("U-Net: 4/4 steps (100%)") and lines[-1].endswith("loss 0.25")
    assert "\r" not in out.out + out.err


def test_short_work_prints_nothing_and_unknown_lengths_count(monkeypatch, capsys):
    monkeypatch.setattr(progress_module.sys, "stderr", io.StringIO())
    assert list(progress(iter([1, 2]), "quick")) == [1, 2]
    assert capsys.readouterr().out == ""
    monkeypatch.setattr(progress_module, "LINE_INTERVAL_SECONDS", 0.0)
    list(progress(iter([1, 2]), "stream", unit="items"))
    assert capsys.readouterr().out.splitlines()[-1].startswith("stream: 2 items, 0 s")
