"""PyTorch's behaviour at the edges: empty tensors, 0-d tensors, NaN in gradients and the dtype of
mixed operations. One regression test per case found by the differential tests of issue 15."""

import warnings

import numpy as np
import pytest

import minidl
import minidl.functional as F

pytestmark = pytest.mark.engine


def leaf(array):
    return minidl.tensor(np.asarray(array, dtype=np.float64), requires_grad=True)


# ----- empty tensors ---------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", ["max", "min", "sum", "mean", "prod", "logsumexp", "var"])
def test_reducing_a_non_empty_axis_of_an_empty_tensor_gives_an_empty_result(reduction):
    x = leaf(np.zeros((0, 3)))
    out = getattr(x, reduction)(axis=1)
    assert out.shape == (0,)
    out.sum().backward()
    assert x.grad.shape == (0, 3)


def test_mean_over_nothing_is_nan_and_sum_is_zero_without_warnings():
    x = leaf(np.zeros((3, 0)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mean, total = x.mean(axis=1), x.sum(axis=1)
        mean.sum().backward()
    assert np.all(np.isnan(mean.data)) and mean.shape == (3,)
    np.testing.assert_array_equal(total.data, [0, 0, 0])
    assert x.grad.shape == (3, 0)
    assert x.logsumexp(axis=1).data.tolist() == [-np.inf] * 3
    empty_product = x.prod(axis=1)
    empty_product.sum().backward()
    assert empty_product.data.tolist() == [1.0] * 3


def test_prod_gradient_with_zeros_by_hand():
    x = leaf([[2.0, 0.0, 3.0, 0.0], [2.0, 0.0, 3.0, 4.0], [2.0, 1.0, 3.0, 4.0]])
    x.prod(axis=1).sum().backward()
    # two zeros: every product of the others holds a zero; one zero: only it sees 2·3·4
    np.testing.assert_array_equal(x.grad, [[0, 0, 0, 0], [0, 24, 0, 0], [12, 24, 8, 6]])


def test_max_over_an_empty_axis_is_refused_with_the_shape():
    with pytest.raises(ValueError, match=r"max.*\(3, 0\)"):
        leaf(np.zeros((3, 0))).max(axis=1)
    with pytest.raises(ValueError, match=r"argmin.*\(3, 0\)"):
        leaf(np.zeros((3, 0))).argmin(axis=1)


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax])
@pytest.mark.parametrize("shape, axis", [((3, 0), 1), ((3, 0), 0), ((0, 4), 1)])
def test_softmax_of_an_empty_tensor_is_empty(fn, shape, axis):
    x = leaf(np.zeros(shape))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = fn(x, axis=axis)
        out.sum().backward()
    assert out.shape == shape and x.grad.shape == shape


def test_cross_entropy_of_zero_rows_and_zero_classes():
    logits = leaf(np.zeros((0, 4)))
    loss = F.cross_entropy(logits, np.zeros(0, np.int64))
    assert np.isnan(loss.item())  # a mean over nothing, as PyTorch
    loss.backward()
    assert logits.grad.shape == (0, 4)
    assert F.cross_entropy(logits, np.zeros(0, np.int64), reduction="sum").item() == 0.0
    assert F.cross_entropy(logits, np.zeros(0, np.int64), reduction="none").shape == (0,)
    assert np.isnan(F.cross_entropy(leaf(np.zeros((0, 0))), np.zeros(0, np.int64)).item())
    with pytest.raises(ValueError, match=r"class indices must lie in \[0, -1\]"):
        F.cross_entropy(leaf(np.zeros((3, 0))), np.zeros(3, np.int64))  # no class for the targets to name


# ----- 0-d tensors ------------------------------------------------------------------------------
@pytest.mark.parametrize("axis", [0, -1])
def test_a_0d_tensor_accepts_axis_0_and_minus_1_as_pytorch(axis):
    x = leaf(2.5)
    for reduction in ("sum", "mean", "max", "min", "prod", "logsumexp"):
        out = getattr(x, reduction)(axis=axis)
        assert out.shape == () and out.item() == pytest.approx(2.5), reduction
    assert F.softmax(x, axis=axis).item() == 1.0 and F.log_softmax(x, axis=axis).item() == 0.0
    assert x.cumsum(axis=axis).item() == 2.5 and x.argmax(axis=axis).item() == 0
    F.softmax(x, axis=axis).backward()
    assert x.grad == 0.0  # softmax of a single entry is the constant 1
    with pytest.raises(ValueError, match="axis 1 is out of range"):
        x.sum(axis=1)


# ----- NaN in gradients: minidl's rule, f'(NaN) = NaN ---------------------------------------------
def test_max_with_a_nan_sends_nan_to_the_whole_reduction():
    x = leaf([[np.nan, 1.0, 2.0], [0.0, 5.0, 3.0]])
    x.max(axis=1).sum().backward()
    assert np.all(np.isnan(x.grad[0]))
    np.testing.assert_array_equal(x.grad[1], [0, 1, 0])


@pytest.mark.parametrize(
    "fn",
    [
        lambda t: t.relu(),
        lambda t: t.abs(),
        lambda t: t.clip(-1.0, 1.0),
        lambda t: t.floor(),
        lambda t: t.round(),
        lambda t: F.leaky_relu(t),
        lambda t: F.elu(t),
        lambda t: F.hardtanh(t),
        lambda t: F.step(t),
        lambda t: F.piecewise_linear(t),
        lambda t: F.sigmoid(t),
        lambda t: F.gelu(t),
        lambda t: t.reshape(3, 1).min(axis=1),
        lambda t: minidl.maximum(t, 0.0),
        lambda t: minidl.minimum(t, 0.0),
    ],
)
def test_a_nan_input_gets_a_nan_gradient(fn):
    x = leaf([np.nan, 2.0, -3.0])
    fn(x).sum().backward()
    assert np.isnan(x.grad[0])
    assert np.all(np.isfinite(x.grad[1:]))


# ----- dtypes: PyTorch's promotion, float32 the default float ---------------------------------------
def test_integer_tensors_follow_pytorchs_promotion_with_float32():
    ints = minidl.tensor([1, 2, 3])
    assert (ints * 1.5).dtype == np.float32
    assert (1.5 - ints).dtype == np.float32
    assert (ints / ints).dtype == np.float32 and (ints / 2).dtype == np.float32 and (6 / ints).dtype == np.float32
    for method in ("exp", "exp2", "log", "log2", "sqrt", "sigmoid", "tanh", "mean", "var", "std", "logsumexp"):
        assert getattr(ints, method)().dtype == np.float32, method
    assert F.softmax(ints).dtype == np.float32 and F.gelu(ints).dtype == np.float32
    assert (ints**0.5).dtype == np.float32
    assert (ints + ints).dtype == np.int64 and (ints * 2).dtype == np.int64 and (ints**2).dtype == np.int64
    assert (2**ints).dtype == np.int64 and ints.sum().dtype == np.int64 and ints.relu().dtype == np.int64
    assert (ints * minidl.tensor([1.0])).dtype == np.float32
    assert (ints * minidl.tensor(np.array([1.0]))).dtype == np.float64
    assert ((ints > 1) * minidl.tensor([1.5])).dtype == np.float32
    np.testing.assert_allclose((ints / 2).data, [0.5, 1.0, 1.5])
    np.testing.assert_array_equal(ints.argmax(keepdims=True).data, [2])


def test_floats_keep_their_dtype_with_python_numbers_and_widen_together():
    x32, x64 = minidl.tensor([1.0, 2.0]), minidl.tensor(np.array([1.0, 2.0]))
    assert (x32 * 2).dtype == np.float32 and (2**x32).dtype == np.float32 and x32.clip(0, 1).dtype == np.float32
    assert (x32 + x64).dtype == np.float64
    assert (x32 ** np.float64(2.0)).dtype == np.float32  # a NumPy scalar exponent counts as a Python number
