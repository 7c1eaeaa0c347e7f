"""Every lesson runs in --quick mode and leaves its figures in its output folder."""
import numpy as np
import pytest

from lessons import LESSONS
from lessons.runner import main
from data_files import idx_bytes, write_full_mnist, write_sign_language_folder

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


def test_sign_language_reads_the_csv_files_it_is_pointed_to(tmp_path, monkeypatch, capsys):
    write_sign_language_folder(tmp_path / "signs")
    monkeypatch.setenv("MINIDL_SIGN_MNIST", str(tmp_path / "signs"))
    assert main(["sign_language", "--quick", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "Sign Language MNIST letters: 80 training and 80 test images" in out
    assert (tmp_path / "out" / "sign_language" / "sign_language_results.png").exists()


@pytest.mark.parametrize("damage, words", [
    (lambda folder: (folder / "sign_mnist_test.csv").unlink(), ["sign_mnist_test.csv is not in", "kaggle.com"]),
    (lambda folder: (folder / "sign_mnist_train.csv").write_text("label,pixel1\n3,4\n"), ["header", "2 column"]),
])
def test_sign_language_with_missing_or_corrupt_files_exits_with_a_message(tmp_path, monkeypatch, capsys, damage, words):
    write_sign_language_folder(tmp_path / "signs")
    damage(tmp_path / "signs")
    monkeypatch.setenv("MINIDL_SIGN_MNIST", str(tmp_path / "signs"))
    assert main(["sign_language", "--quick", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "lesson sign_language stopped" in err and "Traceback" not in err
    for word in words:
        assert word in err


def test_mnist_cnn_on_full_mnist_files(tmp_path, monkeypatch, capsys):
    write_full_mnist(tmp_path / "mnist", n_train=64, n_test=20)
    monkeypatch.setenv("MINIDL_DATA", str(tmp_path))
    monkeypatch.setenv("MINIDL_MNIST", "full")
    assert main(["mnist_cnn", "--quick", "--out", str(tmp_path / "out")]) == 0
    assert "Test accuracy on the 20 held-out digits" in capsys.readouterr().out


@pytest.mark.parametrize("setting, damage, words", [
    ("full", lambda folder: (folder / "t10k-images-idx3-ubyte.gz").write_bytes(b"not an idx file"),
     ["t10k-images-idx3-ubyte.gz", "not an IDX file"]),
    ("full", lambda folder: (folder / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(3, np.uint8))[:-1]),
     ["train-labels-idx1-ubyte", "truncated"]),
    ("everything", lambda folder: None, ["MINIDL_MNIST", "'subset' or 'full'", "'everything'"]),
])
def test_corrupt_mnist_files_or_a_bad_setting_exit_with_a_message(tmp_path, monkeypatch, capsys, setting, damage,
                                                                 words):
    write_full_mnist(tmp_path / "mnist", n_train=64, n_test=20)
    damage(tmp_path / "mnist")
    monkeypatch.setenv("MINIDL_DATA", str(tmp_path))
    monkeypatch.setenv("MINIDL_MNIST", setting)
    assert main(["mnist_cnn", "--quick", "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "lesson mnist_cnn stopped" in err and "Traceback" not in err
    for word in words:
        assert word in err


def test_ctrl_c_stops_the_track_with_a_message(tmp_path, monkeypatch, capsys):
    import lessons.neuron

    def interrupted(out_dir, quick):
        raise KeyboardInterrupt
    monkeypatch.setattr(lessons.neuron, "run", interrupted)
    assert main(["--all", "--quick", "--out", str(tmp_path)]) == 130
    err = capsys.readouterr().err
    assert "interrupted during lesson neuron" in err and str(tmp_path) in err
