"""The trained LeNet-5 the Draw page explains: weights shipped in data/lenet5_mnist.npz (written by
minidl.save, read by minidl.load — no pickle), so that the studio is ready within seconds.

They were made by this module's `train_weights` (the ConvNet page's trainer, run to the end):
    python -m minidl.studio.weights [--epochs 12] [--out FILE]
which prints the training time and the accuracy on the 1,000 held-out digits of the subset.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import minidl
from minidl.models import LeNet5
from minidl.studio.convnet import LeNetTrainer

WEIGHTS_FILE = Path(__file__).with_name("data") / "lenet5_mnist.npz"
EPOCHS = 12


def load_trained_lenet(path: Path = WEIGHTS_FILE) -> LeNet5:
    """LeNet5 in evaluation mode with the shipped weights."""
    if not path.is_file():
        raise FileNotFoundError(
            f"minidl studio: the trained weights {path} are missing; reinstall minidl or "
            "make them with `python -m minidl.studio.weights`"
        )
    model = LeNet5()
    model.load_state_dict(minidl.load(path))
    return model.eval()


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m minidl.studio.weights",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--out", type=Path, default=WEIGHTS_FILE)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    model, test_accuracy = train_weights(args.epochs)
    minidl.save(model.state_dict(), args.out)
    print(
        f"trained in {time.perf_counter() - start:.0f} s; accuracy on the 1,000 held-out digits "
        f"{test_accuracy:.3f}; wrote {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
