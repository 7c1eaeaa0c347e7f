"""Every lesson runs in --quick mode, through the runner, as a script and as a Jupyter notebook, and
leaves its figures in its output folder; a quick run never replaces what a full run saved."""

import os
import re
import subprocess
import sys
from pathlib import Path

import nbclient
import nbformat
import numpy as np
import pytest

import minidl
from minidl.models import LeNet5
from lessons import LESSONS, lesson_file
from lessons.runner import main
from data_files import idx_bytes, write_full_mnist, write_sign_language_folder

pytestmark = pytest.mark.lessons


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.name for lesson in LESSONS])
def test_lesson_runs_quick_and_saves_figures(lesson, tmp_path, capsys):
    assert main([lesson.name, "--quick", "--out", str(tmp_path)]) == 0
    figures = list((tmp_path / lesson.name).glob("*.png"))
    assert figures, f"lesson {lesson.name} saved no figure"
    assert all(f.stat().st_size > 5_000 for f in figures)
    out = capsys.readouterr().out
    assert "What we saw" in out and f"lesson {lesson.name}: quick run" in out


def test_figures_show_inline_in_a_notebook_whatever_matplotlibs_backend(tmp_path, monkeypatch):
    """With MPLBACKEND=Agg in the environment (headless shells, CI) a notebook printed a figure as text;
    save_figure shows the PNG it wrote. Every lesson runs as a notebook in a Jupyter kernel when the
    course site is built (tests/test_site.py)."""
    code = (
        "import matplotlib.pyplot as plt\nfrom pathlib import Path\nfrom lessons.figures import save_figure\n"
        "fig, ax = plt.subplots()\nax.plot([0, 1], [1, 0])\nsave_figure(fig, Path('figure.png'))"
    )
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = notebook.cells[0].outputs
    assert [output.output_type for output in outputs] == ["display_data"]
    assert "image/png" in outputs[0].data and (tmp_path / "figure.png").stat().st_size > 1000


def test_a_lesson_file_runs_as_a_plain_script(tmp_path):
    result = subprocess.run(
        [sys.executable, str(lesson_file(LESSONS[0])), "--quick", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert result.returncode == 0, result.stderr
    assert "What we saw" in result.stdout and "quick run" in result.stdout
    assert (tmp_path / LESSONS[0].name / "logic_gates.png").exists()


def test_a_quick_run_never_replaces_what_a_full_run_saved(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MINIDL_OUTPUT", str(tmp_path / "minidl-output"))
    full_weights = tmp_path / "minidl-output" / "lessons" / "mnist_cnn" / "lenet5_mnist.npz"
    full_weights.parent.mkdir(parents=True)
    minidl.save({"marker": np.arange(3.0)}, full_weights)
    before = full_weights.read_bytes()
    assert main(["mnist_cnn", "--quick"]) == 0
    assert full_weights.read_bytes() == before
    quick_weights = tmp_path / "minidl-output" / "lessons-quick" / "mnist_cnn" / "lenet5_mnist.npz"
    assert set(minidl.load(quick_weights)) == {name for name, _ in LeNet5().named_parameters()}
    out = capsys.readouterr().out
    assert "quick run, too short" in out and "lessons-quick" in out


def test_one_output_folder_per_checkout_however_a_lesson_is_started(tmp_path, monkeypatch):
    """A notebook opened in lessons/ or anywhere else writes where the runner does: the checkout's
    minidl-output/, unless MINIDL_OUTPUT names another; the studio's poll and the gradient-check
    figure go there too."""
    from lessons.settings import default_root
    from minidl.output import output_folder
    from minidl.studio.poll import default_poll_file

    checkout = Path(lesson_file(LESSONS[0])).resolve().parents[1]
    monkeypatch.delenv("MINIDL_OUTPUT", raising=False)
    monkeypatch.chdir(tmp_path)
    assert output_folder() == checkout / "minidl-output"
    assert default_root(quick=True) == checkout / "minidl-output" / "lessons-quick"
    assert default_poll_file() == checkout / "minidl-output" / "studio" / "blackbox_poll.sqlite3"
    monkeypatch.setenv("MINIDL_OUTPUT", str(tmp_path / "elsewhere"))
    assert default_root(quick=False) == tmp_path / "elsewhere" / "lessons"
    assert default_poll_file() == tmp_path / "elsewhere" / "studio" / "blackbox_poll.sqlite3"


def test_an_explanation_lesson_loads_the_models_saved_before_and_trains_them_only_when_missing(tmp_path, capsys):
    """gradcam explains the mnist_cnn and blackbox lessons' models: loaded when those lessons saved
    them for the same kind of run, trained (and saved, saying so) when they did not."""
    out = tmp_path / "out"
    assert main(["gradcam", "--quick", "--out", str(out)]) == 0
    first = capsys.readouterr().out
    assert first.count("does not exist yet: training the model as the") == 2
    assert (out / "mnist_cnn" / "lenet5_mnist.npz").exists() and (out / "blackbox" / "lenet5_husky_wolf.npz").exists()
    assert main(["gradcam", "--quick", "--out", str(out), "--seed", "1"]) == 0
    assert capsys.readouterr().out.count("does not exist yet") == 2  # another seed, other models
    assert main(["gradcam", "--quick", "--out", str(out)]) == 0
    again = capsys.readouterr().out
    assert (
        "loaded the model the mnist_cnn lesson saved" in again and "loaded the model the blackbox lesson saved" in again
    )
    assert "does not exist yet" not in again


def test_saved_models_get_the_file_mode_of_figures(tmp_path):
    assert main(["mnist_cnn", "--quick", "--out", str(tmp_path)]) == 0
    folder = tmp_path / "mnist_cnn"
    modes = {path.suffix: path.stat().st_mode & 0o777 for path in folder.iterdir()}
    assert modes[".npz"] == modes[".png"]


def test_notebooks_for_the_whole_track(tmp_path, capsys):
    assert main(["--notebooks", str(tmp_path)]) == 0
    assert sorted(path.stem for path in tmp_path.glob("*.ipynb")) == sorted(lesson.name for lesson in LESSONS)


def test_list_and_unknown_lesson(capsys):
    assert main(["--list"]) == 0
    assert "backprop" in capsys.readouterr().out
    assert main(["mnist-cnn"]) == 2
    err = capsys.readouterr().err
    assert "unknown lesson 'mnist-cnn'; did you mean 'mnist_cnn'?" in err
    assert main(["no-such-thing"]) == 2
    assert "unknown lesson 'no-such-thing'\nthe lessons are: neuron" in capsys.readouterr().err


def test_every_lesson_is_a_flat_percent_script():
    for lesson in LESSONS:
        text = lesson_file(lesson).read_text(encoding="utf-8")
        assert text.startswith("# %% [markdown]\n# # "), lesson.name
        assert "def run(" not in text and "\n    # %%" not in text, lesson.name
        assert f'lesson_settings("{lesson.name}")' in text, lesson.name


def test_sign_language_reads_the_csv_files_it_is_pointed_to(tmp_path, monkeypatch, capsys):
    write_sign_language_folder(tmp_path / "signs")
    monkeypatch.setenv("MINIDL_SIGN_MNIST", str(tmp_path / "signs"))
    assert main(["sign_language", "--quick", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "Sign Language MNIST letters: 80 training and 80 test images" in out
    assert (tmp_path / "out" / "sign_language" / "sign_language_results.png").exists()


@pytest.mark.parametrize(
    "damage, words",
    [
        (lambda folder: (folder / "sign_mnist_test.csv").unlink(), ["sign_mnist_test.csv is not in", "kaggle.com"]),
        (lambda folder: (folder / "sign_mnist_train.csv").write_text("label,pixel1\n3,4\n"), ["header", "2 column"]),
    ],
)
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


@pytest.mark.parametrize(
    "setting, damage, words",
    [
        (
            "full",
            lambda folder: (folder / "t10k-images-idx3-ubyte.gz").write_bytes(b"not an idx file"),
            ["t10k-images-idx3-ubyte.gz", "not an IDX file"],
        ),
        (
            "full",
            lambda folder: (folder / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(3, np.uint8))[:-1]),
            ["train-labels-idx1-ubyte", "truncated"],
        ),
        ("everything", lambda folder: None, ["MINIDL_MNIST", "'subset' or 'full'", "'everything'"]),
    ],
)
def test_corrupt_mnist_files_or_a_bad_setting_exit_with_a_message(
    tmp_path, monkeypatch, capsys, setting, damage, words
):
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
    import lessons.runner

    def interrupted(path, run_name):
        raise KeyboardInterrupt

    monkeypatch.setattr(lessons.runner.runpy, "run_path", interrupted)
    assert main(["--all", "--quick", "--out", str(tmp_path)]) == 130
    err = capsys.readouterr().err
    assert "interrupted during lesson neuron" in err and str(tmp_path) in err


# The lessons whose conclusions follow from a model they train, run in full on one worker and on two.
TRAINING_LESSONS = ["universal_approximation", "mlp_regression", "mnist_cnn", "sign_language", "blackbox"]
TIMING = re.compile(r"\d s\b|\d\.\d s\b|\bdone in\b|\(\d+%\)")  # durations and progress bars differ from run to run


def printed_without_timings(workers: int, out: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "lessons", *TRAINING_LESSONS, "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "MINIDL_WORKERS": str(workers), "MPLBACKEND": "Agg"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return [line.replace(str(out), "OUT") for line in done.stdout.splitlines() if not TIMING.search(line)]


def test_the_lessons_that_train_reach_the_same_conclusions_on_one_and_two_workers(tmp_path):
    """The same seed gives the same bits on any number of workers (tests/test_same_numbers.py), so
    these full runs must print the same numbers and conclusions, and the ones their text assumes:
    the blackbox lesson's control model once learned nothing on two cores and 96 % on one."""
    one, two = (printed_without_timings(workers, tmp_path / f"workers{workers}") for workers in (1, 2))
    assert one == two
    printed = "\n".join(one)
    assert printed.count("What we saw") == len(TRAINING_LESSONS) and "quick run" not in printed
    assert "the model learned the shortcut" in printed  # blackbox's model trained on the confounded images
    assert "trained on random backgrounds" in printed and "so the model does not depend on the background" in printed
    assert "no conclusion from comparing" not in printed and "has not learned the task" not in printed
    assert re.search(
        r"LeNet-5 meets the 1000 digits it never saw, and it reads them well: 9[7-9]\.\d% correct", printed
    )
