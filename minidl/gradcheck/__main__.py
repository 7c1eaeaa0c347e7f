"""Experiment: how the error of a central difference depends on eps, in float32 and float64.

    python -m minidl.gradcheck [--out DIR]

The error of (f(x+ε) − f(x−ε)) / 2ε against the exact f'(x) has two parts: truncation, about
ε²·|f'''(x)|/6, which shrinks with ε, and round-off, about u·|f(x)|/ε (u the machine epsilon:
1.2e-7 in float32, 2.2e-16 in float64), which grows as ε shrinks. On a log-log plot they make a V
whose bottom sits near ε ≈ u^(1/3): about 5e-3 in float32 and 6e-6 in float64. That is why
`minidl.gradcheck` works in float64 with ε = 1e-6.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

import numpy as np

from minidl.output import output_folder
from minidl.tensor import Tensor

FUNCTIONS: dict[str, tuple[Callable[[Tensor], Tensor], float]] = {
    "exp(x) at 0.5": (lambda t: t.exp(), 0.5),
    "log(x) at 2": (lambda t: t.log(), 2.0),
    "tanh(x) at 0.5": (lambda t: t.tanh(), 0.5),
    "sigmoid(x) at 1": (lambda t: t.sigmoid(), 1.0),
}
EPSILONS = 10.0 ** -np.arange(1, 13)
DTYPES = (np.float32, np.float64)


def exact_derivative(fn: Callable[[Tensor], Tensor], x: float) -> float:
    """f'(x) by autograd in float64, the reference for the finite differences."""
    point = Tensor(np.array(x, dtype=np.float64), requires_grad=True)
    fn(point).backward()
    return float(point.grad)


def central_difference(fn: Callable[[Tensor], Tensor], x: float, eps: float, dtype: type) -> float:
    """(f(x+ε) − f(x−ε)) / 2ε with every step in `dtype`, as a float32 gradcheck would do it."""
    upper = fn(Tensor(np.array(x + eps, dtype=dtype))).data
    lower = fn(Tensor(np.array(x - eps, dtype=dtype))).data
    return float((upper - lower) / dtype(2 * eps))


def error_table() -> dict[tuple[str, str], np.ndarray]:
    """|central difference − exact| for every function, dtype and eps."""
    table = {}
    for name, (fn, x) in FUNCTIONS.items():
        exact = exact_derivative(fn, x)
        for dtype in DTYPES:
            table[name, dtype.__name__] = np.array(
                [abs(central_difference(fn, x, eps, dtype) - exact) for eps in EPSILONS]
            )
    return table


def print_table(table: dict[tuple[str, str], np.ndarray]) -> None:
    columns = list(table)
    print("error of the central difference |(f(x+eps) - f(x-eps))/2eps - f'(x)|\n")
    print(f"{'eps':>8} " + " ".join(f"{name.split(' at')[0] + ' ' + dtype[5:]:>14}" for name, dtype in columns))
    for row, eps in enumerate(EPSILONS):
        print(f"{eps:8.0e} " + " ".join(f"{table[c][row]:14.2e}" for c in columns))
    for dtype in DTYPES:
        errors = np.array([table[c] for c in columns if c[1] == dtype.__name__])
        best = EPSILONS[np.argmin(np.median(errors, axis=0))]
        print(
            f"\n{dtype.__name__}: smallest median error at eps = {best:.0e} "
            f"(theory: about u^(1/3) = {np.finfo(dtype).eps ** (1 / 3):.0e})"
        )


def plot_table(table: dict[tuple[str, str], np.ndarray], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    floor = 1e-18  # an exact result (error 0) is drawn at the bottom of the log scale
    for ax, dtype in zip(axes, DTYPES):
        for (name, dname), errors in table.items():
            if dname == dtype.__name__:
                ax.loglog(EPSILONS, np.maximum(errors, floor), marker="o", label=name)
        ax.axvline(np.finfo(dtype).eps ** (1 / 3), color="gray", linestyle="--", label="u^(1/3)")
        ax.set_title(f"{dtype.__name__}: truncation (right) vs round-off (left)")
        ax.set_xlabel("eps")
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_ylabel("|numerical - exact derivative|")
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m minidl.gradcheck", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=output_folder() / "gradcheck",
        help="folder for the figure (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    table = error_table()
    print_table(table)
    figure = args.out / "gradcheck_eps.png"
    plot_table(table, figure)
    print(f"\nfigure: {figure}")


if __name__ == "__main__":
    main()
