"""Layers' maths, activations and losses: gradcheck in float64 under hypothesis, and conv/pool
against the naive loops of naive_loops.py (the definitions, one output pixel at a time)."""

from unittest import mock

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st
from hypothesis.extra import numpy as hnp

import minidl
import minidl.functional as F
from minidl.ops.linear import Linear
from minidl import nn
from minidl.kernels import pieces
from naive_loops import naive_conv2d, naive_max_pool2d
from strategies import distinct, leaf, nonzero, positive, shapes, values

pytestmark = pytest.mark.nn


pairs = lambda low, high: st.tuples(st.integers(low, high), st.integers(low, high))


@given(
    data=st.data(),
    n=st.integers(1, 2),
    c=st.integers(1, 3),
    o=st.integers(1, 3),
    size=pairs(1, 7),
    kernel=pairs(1, 3),
    stride=pairs(1, 2),
    padding=pairs(0, 2),
    dilation=pairs(1, 2),
    bias=st.booleans(),
)
def test_conv2d_matches_naive_loop_and_gradcheck(data, n, c, o, size, kernel, stride, padding, dilation, bias):
    out_sizes = [(size[a] + 2 * padding[a] - dilation[a] * (kernel[a] - 1) - 1) // stride[a] + 1 for a in (0, 1)]
    assume(min(out_sizes) >= 1)
    x = leaf(data.draw(values((n, c) + size)))
    w = leaf(data.draw(values((o, c) + kernel)))
    b = leaf(data.draw(values((o,)))) if bias else None
    out = F.conv2d(x, w, b, stride, padding, dilation)
    expected = naive_conv2d(x.data, w.data, None if b is None else b.data, stride, padding, dilation)
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-10)
    inputs = [x, w] + ([b] if bias else [])
    assert minidl.gradcheck(lambda *t: F.conv2d(*t, stride=stride, padding=padding, dilation=dilation), inputs)


@given(
    data=st.data(),
    n=st.integers(2, 5),
    images_per_chunk=st.integers(1, 2),
    size=pairs(3, 6),
    kernel=pairs(1, 3),
    stride=pairs(1, 2),
    padding=pairs(0, 1),
)
def test_conv2d_in_chunks_of_images_matches_naive_loop_and_gradcheck(
    data, n, images_per_chunk, size, kernel, stride, padding
):
    """A large batch is convolved a few images at a time and its cols rebuilt in backward, in each
    worker's scratch: forced here on small inputs by shrinking the byte limits to a piece of one or two
    images (with more than one piece, run_pieces shares them between the threads)."""
    x = leaf(data.draw(values((n, 2) + size)))
    w, b = leaf(data.draw(values((3, 2) + kernel))), leaf(data.draw(values((3,))))
    out_h, out_w = ((size[a] + 2 * padding[a] - kernel[a]) // stride[a] + 1 for a in (0, 1))
    cols_bytes_per_image = out_h * out_w * 2 * kernel[0] * kernel[1] * 8
    with mock.patch.multiple(pieces, KEEP_COLS_BYTES=0, PIECE_COLS_BYTES=images_per_chunk * cols_bytes_per_image):
        assert len(pieces.batch_pieces(n, 1, cols_bytes_per_image)) == -(-n // images_per_chunk)
        out = F.conv2d(x, w, b, stride, padding)
        np.testing.assert_allclose(
            out.data, naive_conv2d(x.data, w.data, b.data, stride, padding, (1, 1)), rtol=1e-10, atol=1e-10
        )
        assert minidl.gradcheck(lambda *t: F.conv2d(*t, stride=stride, padding=padding), [x, w, b])


def test_batch_pieces_cover_the_batch_in_order():
    """A power of two of pieces, about one per PIECE_MULTIPLY_ADDS of work and at most MAX_PIECES (so
    that 2, 4 or 8 cores share them evenly), more when the batch's cols is too large to keep; as even
    as whole images allow, never more pieces than images."""
    cut, work = pieces.batch_pieces, pieces.PIECE_MULTIPLY_ADDS
    assert cut(64, (work - 1) // 32) == [slice(0, 64)]  # too little work to share
    assert cut(64, 2 * work // 64) == [slice(0, 32), slice(32, 64)]
    assert cut(64, 3 * work // 64) == [slice(0, 32), slice(32, 64)]  # three pieces' work: two pieces
    assert cut(64, 4 * work // 64) == [slice(16 * k, 16 * (k + 1)) for k in range(4)]
    assert len(cut(64, 100 * work)) == pieces.MAX_PIECES
    big = pieces.PIECE_COLS_BYTES // 3  # three images' cols fit a piece
    assert cut(10, 1, big) == [slice(0, 2), slice(2, 5), slice(5, 7), slice(7, 10)]  # 4 even pieces
    assert cut(2, 1, 10 * pieces.KEEP_COLS_BYTES) == [slice(0, 1), slice(1, 2)]
    assert cut(0, work) == [slice(0, 0)]


@given(
    data=st.data(), size=pairs(1, 7), kernel=pairs(1, 3), stride=st.one_of(st.none(), pairs(1, 3)), padding=pairs(0, 1)
)
def test_max_pool2d_matches_naive_loop_and_gradcheck(data, size, kernel, stride, padding):
    assume(padding[0] <= kernel[0] // 2 and padding[1] <= kernel[1] // 2)
    effective_stride = stride or kernel
    assume(all(size[a] + 2 * padding[a] >= kernel[a] for a in (0, 1)))
    x = leaf(data.draw(distinct((2, 2) + size)))
    out = F.max_pool2d(x, kernel, stride, padding)
    np.testing.assert_array_equal(out.data, naive_max_pool2d(x.data, kernel, effective_stride, padding))
    assert minidl.gradcheck(lambda t: F.max_pool2d(t, kernel, stride, padding), [x])


@given(
    data=st.data(),
    shape=hnp.array_shapes(min_dims=2, max_dims=4, max_side=4),
    padding=st.tuples(*[st.integers(0, 2)] * 4),
)
def test_pad2d(data, shape, padding):
    x = leaf(data.draw(values(shape)))
    left, right, top, bottom = padding
    out = F.pad2d(x, padding)
    expected = np.pad(x.data, ((0, 0),) * (len(shape) - 2) + ((top, bottom), (left, right)))
    np.testing.assert_array_equal(out.data, expected)
    assert minidl.gradcheck(lambda t: F.pad2d(t, padding) * np.arange(expected.size).reshape(expected.shape), [x])


@given(
    data=st.data(),
    leading=hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3),
    features=pairs(1, 4),
    bias=st.booleans(),
)
def test_linear(data, leading, features, bias):
    """x of shape (..., in): a single vector, a batch, or batches of batches, the leading axes taken
    as rows; one Function (Linear) whose gradients pass the float64 check."""
    n_in, n_out = features
    x, w = leaf(data.draw(values((*leading, n_in)))), leaf(data.draw(values((n_out, n_in))))
    b = leaf(data.draw(values((n_out,)))) if bias else None
    out = F.linear(x, w, b)
    assert issubclass(out._node.function, Linear)  # the reading path's, or its twin on the fast path
    np.testing.assert_allclose(out.data, x.data @ w.data.T + (0 if b is None else b.data), rtol=1e-12, atol=1e-12)
    assert minidl.gradcheck(F.linear, [x, w] + ([b] if bias else []))


@pytest.mark.parametrize(
    "x_shape, bias_shape", [((5, 3), (1, 4)), ((5, 3), (5, 4)), ((3,), (1, 4)), ((2, 5, 3), (2, 1, 4)), ((5, 3), ())]
)
def test_linear_broadcasts_any_other_bias_as_numpy_does(x_shape, bias_shape):
    """A bias not of shape (out,) is added by broadcasting, as in x @ W.T + b: the same output, and
    gradients in the bias's own shape."""
    rng = np.random.default_rng(0)
    x, w, b = (minidl.Tensor(rng.standard_normal(shape), requires_grad=True) for shape in (x_shape, (4, 3), bias_shape))
    np.testing.assert_allclose(F.linear(x, w, b).data, x.data @ w.data.T + b.data, rtol=1e-12)
    assert minidl.gradcheck(F.linear, [x, w, b])


@pytest.mark.parametrize("features", [(0, 4), (3, 0)])
def test_linear_with_no_features(features):
    """in_features or out_features 0: empty products, and gradients of the right (empty or zero) shapes."""
    n_in, n_out = features
    x, w = (
        minidl.Tensor(np.ones((2, n_in)), requires_grad=True),
        minidl.Tensor(np.ones((n_out, n_in)), requires_grad=True),
    )
    b = minidl.Tensor(np.ones(n_out), requires_grad=True)
    out = F.linear(x, w, b)
    np.testing.assert_array_equal(out.data, np.ones((2, n_out)))
    out.sum().backward()
    assert x.grad.shape == (2, n_in) and w.grad.shape == (n_out, n_in)
    np.testing.assert_array_equal(b.grad, np.full(n_out, 2.0))


def test_linear_keeps_numpys_dtype_rule():
    """float32 input and weight with a float64 bias give float64, as x @ W.T + b does in NumPy."""
    x, w = minidl.Tensor(np.ones((2, 3), np.float32)), minidl.Tensor(np.ones((4, 3), np.float32))
    assert F.linear(x, w).dtype == np.float32
    out = F.linear(x, w, minidl.Tensor(np.full(4, 0.5)))
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out.data, np.full((2, 4), 3.5))


def away_from(points, low=-3.0, high=3.0, gap=0.05):
    """float64 arrays whose entries keep `gap` away from each kink in `points`."""
    ok = st.floats(low, high, allow_nan=False).filter(lambda v: all(abs(v - p) > gap for p in points))
    return lambda shape: hnp.arrays(np.float64, shape, elements=ok)


ACTIVATIONS = {
    "step": (F.step, away_from([0.0])),
    "sign": (F.sign, away_from([0.0])),
    "identity": (lambda z: F.identity(z) * 1.0, values),
    "piecewise_linear": (F.piecewise_linear, away_from([-0.5, 0.5])),
    "sigmoid": (F.sigmoid, values),
    "tanh": (F.tanh, values),
    "relu": (F.relu, nonzero),
    "softplus": (F.softplus, values),
    "softmax last axis": (F.softmax, values),
    "softmax first axis": (lambda z: F.softmax(z, axis=0), values),
    "log_softmax": (F.log_softmax, values),
    "log_softmax first axis": (lambda z: F.log_softmax(z, axis=0), values),
    "leaky_relu": (lambda z: F.leaky_relu(z, 0.2), away_from([0.0])),
    "elu": (lambda z: F.elu(z, 0.7), away_from([0.0])),
    "gelu": (F.gelu, values),
    "gelu tanh": (lambda z: F.gelu(z, approximate="tanh"), values),
    "silu": (F.silu, values),
    "hardtanh": (lambda z: F.hardtanh(z, -0.5, 1.5), away_from([-0.5, 1.5])),
    "logsigmoid": (F.logsigmoid, values),
    "softsign": (F.softsign, away_from([0.0])),
}


@pytest.mark.parametrize("name", ACTIVATIONS)
@given(data=st.data(), shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
def test_activations_gradcheck(name, data, shape):
    fn, strategy = ACTIVATIONS[name]
    assert minidl.gradcheck(fn, [leaf(data.draw(strategy(shape)))])


@given(
    data=st.data(),
    n=st.integers(1, 4),
    c=st.integers(1, 5),
    extra=st.lists(st.integers(1, 3), max_size=2),
    reduction=st.sampled_from(["mean", "sum", "none"]),
)
def test_cross_entropy_and_nll(data, n, c, extra, reduction):
    logits = leaf(data.draw(values((n, c, *extra))))
    target = data.draw(hnp.arrays(np.int64, (n, *extra), elements=st.integers(0, c - 1)))
    log_p = logits.data - np.log(np.exp(logits.data).sum(axis=1, keepdims=True))
    expected = -np.take_along_axis(log_p, target[:, None], axis=1)[:, 0]
    expected = {"mean": expected.mean(), "sum": expected.sum(), "none": expected}[reduction]
    np.testing.assert_allclose(
        F.cross_entropy(logits, target, reduction=reduction).data, expected, rtol=1e-12, atol=1e-12
    )
    assert minidl.gradcheck(lambda z: F.cross_entropy(z, target, reduction=reduction), [logits])
    assert minidl.gradcheck(lambda z: F.nll_loss(F.log_softmax(z, axis=1), target, reduction=reduction), [logits])


def test_later_activations_known_values():
    z = leaf([-2.0, -1.0, 0.0, 1.0, 3.0])
    cases = {  # f(z) and f'(z) at z = -2, -1, 0, 1, 3, by hand
        "leaky_relu": (lambda t: F.leaky_relu(t, 0.1), [-0.2, -0.1, 0, 1, 3], [0.1, 0.1, 0.1, 1, 1]),
        "elu": (F.elu, np.expm1([-2.0, -1.0, 0.0]).tolist() + [1, 3], np.exp([-2.0, -1.0, 0.0]).tolist() + [1, 1]),
        "hardtanh": (F.hardtanh, [-1, -1, 0, 1, 1], [0, 0, 1, 0, 0]),
        "softsign": (F.softsign, [-2 / 3, -0.5, 0, 0.5, 0.75], [1 / 9, 0.25, 1, 0.25, 1 / 16]),
        # Φ(1) = 0.8413447460685429, φ(1) = 0.24197072451914337
        "gelu": (F.gelu, None, [None, None, 0.5, 0.8413447460685429 + 0.24197072451914337, None]),
        "silu": (F.silu, None, [None, None, 0.5, None, None]),
        "logsigmoid": (F.logsigmoid, None, [None, None, 0.5, None, None]),
    }
    for name, (fn, values_, slopes) in cases.items():
        z.grad = None
        out = fn(z)
        out.sum().backward()
        if values_ is not None:
            np.testing.assert_allclose(out.data, values_, rtol=1e-12, atol=1e-15, err_msg=name)
        known = [i for i, v in enumerate(slopes) if v is not None]
        np.testing.assert_allclose(z.grad[known], np.array(slopes)[known].astype(float), rtol=1e-12, err_msg=name)
    np.testing.assert_allclose(F.gelu(z).data[[1, 3]], [-0.15865525393145707, 0.8413447460685429], rtol=1e-12)
    assert F.gelu(minidl.tensor(np.array([1.0])), approximate="tanh").item() == pytest.approx(0.8411919906082768)
    np.testing.assert_allclose(F.silu(z).data[3], 1 / (1 + np.exp(-1)), rtol=1e-12)
    np.testing.assert_allclose(
        F.logsigmoid(minidl.tensor(np.array([-1000.0, 0.0, 1000.0]))).data, [-1000, -np.log(2), 0]
    )


def naive_cross_entropy(logits, target, weight, ignore_index, reduction, smoothing):
    """PyTorch's documented definition, one sample at a time: ℓₙ = −Σ_c w_c q_c log p_c with the
    smoothed target q = (1 − ε)·one_hot(yₙ) + ε/C; 'mean' divides by Σₙ w_{yₙ} over counted samples."""
    n, c = logits.shape
    weight = np.ones(c) if weight is None else weight
    losses, total = np.zeros(n), 0.0
    for i in range(n):
        if target[i] == ignore_index:
            continue
        log_p = logits[i] - np.log(np.exp(logits[i]).sum())
        q = np.full(c, smoothing / c)
        q[target[i]] += 1 - smoothing
        losses[i] = -(weight * q * log_p).sum()
        total += weight[target[i]]
    return losses.sum() / total if reduction == "mean" else losses.sum() if reduction == "sum" else losses


@given(
    data=st.data(),
    n=st.integers(1, 5),
    c=st.integers(1, 4),
    reduction=st.sampled_from(["mean", "sum", "none"]),
    weighted=st.booleans(),
    smoothing=st.sampled_from([0.0, 0.1, 0.5, 1.0]),
    ignore_index=st.sampled_from([-100, 0]),
)
def test_cross_entropy_weight_ignore_index_label_smoothing(data, n, c, reduction, weighted, smoothing, ignore_index):
    logits = leaf(data.draw(values((n, c))))
    target = data.draw(hnp.arrays(np.int64, (n,), elements=st.sampled_from(list(range(c)) + [-100])))
    assume(ignore_index == -100 or np.all(target != -100))  # -100 is a class index only when ignored
    assume(reduction != "mean" or np.any(target != ignore_index))  # else NaN, tested below
    weight = data.draw(values((c,), 0.25, 3.0)) if weighted else None
    loss = lambda z: F.cross_entropy(z, target, weight, ignore_index, reduction, smoothing)
    expected = naive_cross_entropy(logits.data, target, weight, ignore_index, reduction, smoothing)
    np.testing.assert_allclose(loss(logits).data, expected, rtol=1e-12, atol=1e-12)
    assert minidl.gradcheck(loss, [logits])
    module = nn.CrossEntropyLoss(weight, ignore_index, reduction, smoothing)
    np.testing.assert_allclose(module(logits, target).data, expected, rtol=1e-12, atol=1e-12)


def test_cross_entropy_with_every_target_ignored_is_nan_with_zero_gradient():
    logits = leaf(np.arange(6.0).reshape(2, 3))
    loss = F.cross_entropy(logits, np.array([-100, -100]), label_smoothing=0.1)
    loss.backward()
    assert np.isnan(loss.item())
    np.testing.assert_array_equal(logits.grad, np.zeros((2, 3)))  # as PyTorch


@given(data=st.data(), n=st.integers(1, 4), c=st.integers(1, 3), reduction=st.sampled_from(["mean", "sum", "none"]))
def test_binary_cross_entropy_with_logits_pos_weight(data, n, c, reduction):
    z, y = leaf(data.draw(values((n, c), -8.0, 8.0))), leaf(data.draw(values((n, c), 0.0, 1.0)))
    pos_weight = data.draw(values((c,), 0.25, 4.0))
    p = 1 / (1 + np.exp(-z.data))
    expected = -(pos_weight * y.data * np.log(p) + (1 - y.data) * np.log(1 - p))
    expected = {"mean": expected.mean(), "sum": expected.sum(), "none": expected}[reduction]
    loss = lambda z, y: F.binary_cross_entropy_with_logits(z, y, reduction, pos_weight=pos_weight)
    np.testing.assert_allclose(loss(z, y).data, expected, rtol=1e-10)
    assert minidl.gradcheck(loss, [z, y])
    np.testing.assert_allclose(nn.BCEWithLogitsLoss(reduction, pos_weight)(z, y).data, expected, rtol=1e-10)


def test_one_hot():
    np.testing.assert_array_equal(F.one_hot(np.array([[2, 0]]), 4).data, [[[0, 0, 1, 0], [1, 0, 0, 0]]])
    assert F.one_hot(minidl.tensor([1, 3])).shape == (2, 4) and F.one_hot(np.array([1])).dtype == np.int64


@given(data=st.data(), shape=shapes, reduction=st.sampled_from(["mean", "sum", "none"]))
def test_regression_and_binary_losses(data, shape, reduction):
    prediction, target = leaf(data.draw(values(shape))), leaf(data.draw(values(shape)))
    assert minidl.gradcheck(lambda a, b: F.mse_loss(a, b, reduction), [prediction, target])
    assume(np.all(np.abs(prediction.data - target.data) > 1e-3))
    assert minidl.gradcheck(lambda a, b: F.l1_loss(a, b, reduction), [prediction, target])
    probability = leaf(data.draw(positive(shape, 0.05, 0.95)))
    label = leaf(data.draw(values(shape, 0.0, 1.0)))
    assert minidl.gradcheck(lambda p, y: F.binary_cross_entropy(p, y, reduction), [probability, label])
    assert minidl.gradcheck(lambda z, y: F.binary_cross_entropy_with_logits(z, y, reduction), [prediction, label])


def test_dropout_is_inverted_and_checkable_with_a_fixed_mask():
    x = leaf(np.ones((200, 50)))
    out = F.dropout(x, 0.3, rng=np.random.default_rng(0))
    kept = out.data != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(out.data[kept], 1 / 0.7)
    assert F.dropout(x, 0.3, training=False) is x
    small = leaf(np.linspace(-1, 1, 12).reshape(3, 4))
    assert minidl.gradcheck(lambda t: F.dropout(t, 0.5, rng=np.random.default_rng(1)), [small])
