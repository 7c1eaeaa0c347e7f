"""Bad input fails at the public boundary with a message naming the op, the shapes and what was expected."""

import numpy as np
import pytest

import minidl

pytestmark = pytest.mark.engine


def t(*shape, requires_grad=True):
    return minidl.tensor(np.ones(shape), requires_grad=requires_grad)


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda: t(2, 3) @ t(4, 5), ValueError, ["matmul", "(2, 3)", "(4, 5)", "(3)", "(4)"]),
        (lambda: t(2, 2, 3) @ t(3, 3, 1), ValueError, ["matmul (batch axes)", "(2,)", "(3,)"]),
        (lambda: t() @ t(2), ValueError, ["matmul", "at least one dimension"]),
        (lambda: t(2, 3) + t(4), ValueError, ["add", "(2, 3)", "(4,)", "broadcast"]),
        (lambda: t(2, 3) * t(3, 2), ValueError, ["mul", "(2, 3)", "(3, 2)"]),
        (
            lambda: minidl.concatenate([t(2, 3), t(2, 4)], axis=0),
            ValueError,
            ["concatenate", "(2, 3)", "(2, 4)", "axis 0"],
        ),
        (lambda: minidl.concatenate([], axis=0), ValueError, ["concatenate", "non-empty"]),
        (lambda: minidl.stack([t(2), t(3)]), ValueError, ["stack", "(2,)", "(3,)"]),
        (lambda: t(2, 3).sum(axis=2), ValueError, ["sum", "axis 2", "2 dimension"]),
        (lambda: t(2, 3).max(axis=-3), ValueError, ["max", "axis -3"]),
        (lambda: t(2, 3).mean(axis=(0, 0)), ValueError, ["mean", "repeated axis"]),
        (lambda: t(2, 3).transpose(0, 0), ValueError, ["transpose", "permutation", "(2, 3)"]),
        (lambda: t(2, 3).reshape(4), ValueError, ["reshape", "(2, 3)", "6 elements", "(4,)"]),
        (lambda: t(3)[5], IndexError, ["shape (3,)", "out of bounds"]),
        (lambda: t(3) ** t(2), ValueError, ["pow", "(3,)", "(2,)"]),
        (lambda: minidl.where(np.ones(3), t(3), t(3)), TypeError, ["where", "boolean"]),
        (lambda: minidl.where(np.ones(4, bool), t(3), t(3)), ValueError, ["where", "(4,)", "(3,)"]),
        (lambda: minidl.tensor(np.array(["a", "b"])), TypeError, ["unsupported dtype", "<U1"]),
        (lambda: minidl.tensor([object()]), TypeError, ["unsupported dtype", "object"]),
        (lambda: minidl.tensor([1, 2], requires_grad=True), TypeError, ["requires_grad", "int64", "floating"]),
        (lambda: minidl.tensor(np.ones(2, np.float16)), TypeError, ["float16", "float32 or float64"]),
        (lambda: t(2, 3).item(), ValueError, ["item", "(2, 3)"]),
        (lambda: minidl.manual_seed(-1), ValueError, ["manual_seed", "-1"]),
        (lambda: minidl.maximum(t(2, 3), t(4)), ValueError, ["maximum", "(2, 3)", "(4,)"]),
        (lambda: minidl.tensor([1, 2]) ** -1, ValueError, ["pow", "integer tensor", "-1"]),
        (lambda: t(3).clip(), ValueError, ["clip", "min and max"]),
        (lambda: t(3).clip(2.0, 1.0), ValueError, ["clip", "min = 2.0", "max = 1.0"]),
        (lambda: t(3).clip(t(3)), TypeError, ["clip", "number"]),
        (lambda: t(2, 3).var(ddof=-1), ValueError, ["var", "ddof", "-1"]),
        (lambda: t(2, 3).min(axis=(0, 2)), ValueError, ["min", "axis 2"]),
        (lambda: t(2, 3).argmax(axis=2), ValueError, ["argmax", "axis 2"]),
        (lambda: t(2, 3).cumsum(axis=-3), ValueError, ["cumsum", "axis -3"]),
        (lambda: t(2, 3).squeeze(0), ValueError, ["squeeze", "axis 0", "(2, 3)", "size 1"]),
        (lambda: t(2, 3).unsqueeze(3), ValueError, ["unsqueeze", "axis 3"]),
        (lambda: t(2, 3, 4).flatten(2, 1), ValueError, ["flatten", "start_dim 2", "end_dim 1", "(2, 3, 4)"]),
        (lambda: t(2, 3).broadcast_to((3, 3)), ValueError, ["broadcast_to", "(2, 3)", "(3, 3)"]),
        (lambda: t(2, 3).broadcast_to((3,)), ValueError, ["broadcast_to", "(2, 3)", "(3,)"]),
        (lambda: t(2, 3).expand(3), ValueError, ["expand", "(2, 3)", "at least 2"]),
        (lambda: t(2, 3).repeat(2), ValueError, ["repeat", "(2, 3)", "at least 2"]),
        (lambda: t(2, 3).tile((1, -1)), ValueError, ["tile", "non-negative", "-1"]),
        (lambda: t(2, 3).permute(1), ValueError, ["permute", "2 axes", "(2, 3)"]),
        (lambda: t(2, 3).permute(0, 0), ValueError, ["transpose", "permutation"]),
        (lambda: t(2, 3).flip(2), ValueError, ["flip", "axis 2"]),
    ],
)
def test_clear_errors(make, error, words):
    with pytest.raises(error) as caught:
        make()
    message = str(caught.value)
    for word in words:
        assert word in message, f"{word!r} missing from: {message}"


def test_backward_of_non_scalar_needs_grad():
    y = t(2, 3) * 2
    with pytest.raises(RuntimeError, match=r"shape \(2, 3\).*grad="):
        y.backward()
    with pytest.raises(ValueError, match=r"grad has shape \(3,\), expected .*\(2, 3\)"):
        y.backward(np.ones(3))
    y.backward(np.ones((2, 3)))  # with grad of the right shape it works


def test_backward_without_requires_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        (t(2, requires_grad=False) * 2).sum().backward()
