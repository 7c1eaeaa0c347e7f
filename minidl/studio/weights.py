"""The trained models the studio explains, shipped in data/ (written by minidl.save, read by
minidl.load — no pickle), so that the studio is ready within seconds:

- lenet5_mnist.npz, the Draw page's LeNet-5: made by this module's `train_weights` (the ConvNet
  page's trainer, run to the end), which prints the training time and the accuracy on the 1,000
  held-out digits of the subset;
- lenet5_husky_wolf.npz, the Black Box page's shortcut model: the blackbox lesson's LeNet-5 (the
  recipe of lessons.trained_models.trained_husky_wolf_lenet, seed 0: every wolf on snow, every husky
  on grass), which prints its accuracy with the training set's backgrounds and with them swapped.
  The recipe lives with the lessons, so this one is made from a checkout of minidl.

    python -m minidl.studio.weights [--epochs 12] [--out FILE]
    python -m minidl.studio.weights --model husky_wolf [--out FILE]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import minidl
from minidl.models import LeNet5
from minidl.studio.convnet import LeNetTrainer

DATA = Path(__file__).with_name("data")
WEIGHTS_FILE = DATA / "lenet5_mnist.npz"
SHORTCUT_WEIGHTS_FILE = DATA / "lenet5_husky_wolf.npz"
EPOCHS = 12


def load_weights(model: LeNet5, path: Path) -> LeNet5:
    """model in evaluation mode with the weights of the shipped file `path`."""
    if not path.is_file():
        raise FileNotFoundError(
            f"minidl studio: the trained weights {path} are missing; reinstall minidl or "
            "make them with `python -m minidl.studio.weights` (see its --help)"
        )
    model.load_state_dict(minidl.load(path))
    return model.eval()


def load_trained_lenet(path: Path = WEIGHTS_FILE) -> LeNet5:
    """The Draw page's LeNet5 (10 digits) with the shipped weights."""
    return load_weights(LeNet5(), path)


def load_shortcut_lenet(path: Path = SHORTCUT_WEIGHTS_FILE) -> LeNet5:
    """The Black Box page's LeNet5 (husky 0, wolf 1) with the shipped weights."""
    return load_weights(LeNet5(num_classes=2), path)


def train_weights(epochs: int = EPOCHS, seed: int = 0) -> tuple[LeNet5, float]:
    """(model, accuracy on the 1,000 test digits) after `epochs` passes over the 4,000 training
    digits, with the learning rate halved for each of the last three epochs."""
    trainer = LeNetTrainer(seed=seed)
    steps_per_epoch = len(trainer.train_labels) // trainer.batch_size
    for epoch in range(epochs):
        trainer.optimizer.settings["lr"] = 2e-3 * 0.5 ** max(0, epoch - (epochs - 4))
        losses = [trainer.step()[0] for _ in range(steps_per_epoch)]
        print(f"  epoch {epoch + 1:2d}/{epochs}: mean loss {sum(losses) / len(losses):.4f}", flush=True)
    return trainer.model.eval(), trainer.test_accuracy(count=None)


def train_shortcut_weights() -> tuple[LeNet5, str]:
    """(the blackbox lesson's shortcut model, its accuracies as a sentence)."""
    try:
        from lessons.trained_models import husky_wolf_accuracies, trained_husky_wolf_lenet
    except ImportError:
        raise SystemExit(
            "the shortcut model's recipe is the lessons' (lessons/trained_models.py): run this from a checkout "
            "of minidl, in its top folder"
        ) from None
    model = trained_husky_wolf_lenet(quick=False, seed=0).eval()
    same, swapped = husky_wolf_accuracies(model)
    return model, f"accuracy {same:.3f} with the training set's backgrounds, {swapped:.3f} with them swapped"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m minidl.studio.weights",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", choices=("mnist", "husky_wolf"), default="mnist", help="which file to make")
    parser.add_argument(
        "--epochs", type=int, default=EPOCHS, help="MNIST epochs (the shortcut model's are its recipe's)"
    )
    parser.add_argument("--out", type=Path, help="where to write (default: the shipped file in minidl/studio/data)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    if args.model == "mnist":
        model, test_accuracy = train_weights(args.epochs)
        out, measured = args.out or WEIGHTS_FILE, f"accuracy on the 1,000 held-out digits {test_accuracy:.3f}"
    else:
        (model, measured), out = train_shortcut_weights(), args.out or SHORTCUT_WEIGHTS_FILE
    minidl.save(model.state_dict(), out)
    print(f"trained in {time.perf_counter() - start:.0f} s; {measured}; wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
