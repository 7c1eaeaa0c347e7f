"""Every lesson runs in --quick mode and leaves its figures in its output folder."""
import pytest

from lessons import LESSONS
from lessons.runner import main

pytestmark = pytest.mark.lessons


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.name for lesson in LESSONS])
def test_lesson_runs_quick_and_saves_figures(lesson, tmp_path, capsys):
    assert main([lesson.name, "--quick", "--out", str(tmp_path)]) == 0
    figures = list((tmp_path / lesson.name).glob("*.png"))
    assert figures, f"lesson {lesson.name} saved no figure"
    assert all(f.stat().st_size > 5_000 for f in figures)
    assert "What we saw" in capsys.readouterr().out


def test_list_and_unknown_lesson(capsys):
    assert main(["--list"]) == 0
    assert "backprop" in capsys.readouterr().out
    assert main(["no-such-lesson"]) == 2
    assert "unknown lesson(s): no-such-lesson" in capsys.readouterr().err
