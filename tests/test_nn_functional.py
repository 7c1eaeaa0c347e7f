"""Layers' maths, activations and losses: gradcheck in float64 under hypothesis, and conv/pool
against the naive loops of naive_loops.py (the definitions, one output pixel at a time)."""
from unittest import mock

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st
from hypothesis.extra import numpy as hnp

import minidl
import minidl.functional as F
from minidl.kernels import chunked_im2col
from naive_loops import naive_conv2d, naive_max_pool2d
from strategies import distinct, leaf, nonzero, positive, shapes, values

pytestmark = pytest.mark.nn


pairs = lambda low, high: st.tuples(st.integers(low, high), st.integers(low, high))


@given(data=st.data(), n=st.integers(1, 2), c=st.integers(1, 3), o=st.integers(1, 3), size=pairs(1, 7),
       kernel=pairs(1, 3), stride=pairs(1, 2), padding=pairs(0, 2), dilation=pairs(1, 2), bias=st.booleans())
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


@given(data=st.data(), n=st.integers(2, 5), images_per_chunk=st.integers(1, 2), size=pairs(3, 6),
       kernel=pairs(1, 3), stride=pairs(1, 2), padding=pairs(0, 1))
def test_conv2d_in_chunks_of_images_matches_naive_loop_and_gradcheck(data, n, images_per_chunk, size, kernel,
                                                                     stride, padding):
    """A large batch is convolved a few images at a time and its cols rebuilt in backward: forced here
    on small inputs by shrinking the byte limits to a chunk of one or two images."""
    x = leaf(data.draw(values((n, 2) + size)))
    w, b = leaf(data.draw(values((3, 2) + kernel))), leaf(data.draw(values((3,))))
    out_h, out_w = ((size[a] + 2 * padding[a] - kernel[a]) // stride[a] + 1 for a in (0, 1))
    cols_bytes_per_image = out_h * out_w * 2 * kernel[0] * kernel[1] * 8
    with mock.patch.multiple(chunked_im2col, WHOLE_BATCH_COLS_BYTES=0,
                             CHUNK_COLS_BYTES=images_per_chunk * cols_bytes_per_image):
        assert len(chunked_im2col.image_chunks(n, cols_bytes_per_image)) == -(-n // images_per_chunk)
        out = F.conv2d(x, w, b, stride, padding)
        np.testing.assert_allclose(out.data, naive_conv2d(x.data, w.data, b.data, stride, padding, (1, 1)),
                                   rtol=1e-10, atol=1e-10)
        assert minidl.gradcheck(lambda *t: F.conv2d(*t, stride=stride, padding=padding), [x, w, b])


def test_image_chunks_cover_the_batch_in_order():
    assert chunked_im2col.image_chunks(64, 1000) == [slice(0, 64)]  # 64 kB of cols: one piece
    big = chunked_im2col.CHUNK_COLS_BYTES // 3  # three images per chunk
    chunks = chunked_im2col.image_chunks(10, big)
    assert chunks == [slice(0, 3), slice(3, 6), slice(6, 9), slice(9, 10)]
    assert chunked_im2col.image_chunks(2, 10 * chunked_im2col.WHOLE_BATCH_COLS_BYTES) == [slice(0, 1), slice(1, 2)]


@given(data=st.data(), size=pairs(1, 7), kernel=pairs(1, 3), stride=st.one_of(st.none(), pairs(1, 3)),
       padding=pairs(0, 1))
def test_max_pool2d_matches_naive_loop_and_gradcheck(data, size, kernel, stride, padding):
    assume(padding[0] <= kernel[0] // 2 and padding[1] <= kernel[1] // 2)
    effective_stride = stride or kernel
    assume(all(size[a] + 2 * padding[a] >= kernel[a] for a in (0, 1)))
    x = leaf(data.draw(distinct((2, 2) + size)))
    out = F.max_pool2d(x, kernel, stride, padding)
    np.testing.assert_array_equal(out.data, naive_max_pool2d(x.data, kernel, effective_stride, padding))
    assert minidl.gradcheck(lambda t: F.max_pool2d(t, kernel, stride, padding), [x])


@given(data=st.data(), shape=hnp.array_shapes(min_dims=2, max_dims=4, max_side=4),
       padding=st.tuples(*[st.integers(0, 2)] * 4))
def test_pad2d(data, shape, padding):
    x = leaf(data.draw(values(shape)))
    left, right, top, bottom = padding
    out = F.pad2d(x, padding)
    expected = np.pad(x.data, ((0, 0),) * (len(shape) - 2) + ((top, bottom), (left, right)))
    np.testing.assert_array_equal(out.data, expected)
    assert minidl.gradcheck(lambda t: F.pad2d(t, padding) * np.arange(expected.size).reshape(expected.shape), [x])


@given(data=st.data(), batch=st.integers(1, 3), features=pairs(1, 4), bias=st.booleans())
def test_linear(data, batch, features, bias):
    n_in, n_out = features
    x, w = leaf(data.draw(values((batch, n_in)))), leaf(data.draw(values((n_out, n_in))))
    b = leaf(data.draw(values((n_out,)))) if bias else None
    np.testing.assert_allclose(F.linear(x, w, b).data, x.data @ w.data.T + (0 if b is None else b.data))
    assert minidl.gradcheck(F.linear, [x, w] + ([b] if bias else []))


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
}


@pytest.mark.parametrize("name", ACTIVATIONS)
@given(data=st.data(), shape=hnp.array_shapes(min_dims=1, max_dims=3, max_side=4))
def test_activations_gradcheck(name, data, shape):
    fn, strategy = ACTIVATIONS[name]
    assert minidl.gradcheck(fn, [leaf(data.draw(strategy(shape)))])


@given(data=st.data(), n=st.integers(1, 4), c=st.integers(1, 5), extra=st.lists(st.integers(1, 3), max_size=2),
       reduction=st.sampled_from(["mean", "sum", "none"]))
def test_cross_entropy_and_nll(data, n, c, extra, reduction):
    logits = leaf(data.draw(values((n, c, *extra))))
    target = data.draw(hnp.arrays(np.int64, (n, *extra), elements=st.integers(0, c - 1)))
    log_p = logits.data - np.log(np.exp(logits.data).sum(axis=1, keepdims=True))
    expected = -np.take_along_axis(log_p, target[:, None], axis=1)[:, 0]
    expected = {"mean": expected.mean(), "sum": expected.sum(), "none": expected}[reduction]
    np.testing.assert_allclose(F.cross_entropy(logits, target, reduction).data, expected, rtol=1e-12, atol=1e-12)
    assert minidl.gradcheck(lambda z: F.cross_entropy(z, target, reduction), [logits])
    assert minidl.gradcheck(lambda z: F.nll_loss(F.log_softmax(z, axis=1), target, reduction), [logits])


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
