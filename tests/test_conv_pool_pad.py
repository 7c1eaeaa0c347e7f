"""Grouped convolutions, pooling's ceil_mode and count_include_pad, F.pad, and batches of zero
images: against the naive loops of naive_loops.py, gradcheck in float64 under hypothesis, values
worked out by hand, and clear errors for bad input."""

import tracemalloc

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

import minidl
import minidl.functional as F
from minidl import nn
from minidl.kernels import pieces, pooling_numba, use_kernels
from naive_loops import naive_avg_pool2d, naive_conv2d, naive_max_pool2d, pooled_size
from strategies import distinct, leaf, values

pytestmark = pytest.mark.nn

pairs = lambda low, high: st.tuples(st.integers(low, high), st.integers(low, high))


@given(
    data=st.data(),
    n=st.integers(1, 2),
    groups=st.integers(1, 3),
    group_in=st.integers(1, 2),
    group_out=st.integers(1, 2),
    size=pairs(2, 6),
    kernel=pairs(1, 3),
    stride=pairs(1, 2),
    padding=pairs(0, 1),
    dilation=pairs(1, 2),
    bias=st.booleans(),
    chunked=st.booleans(),
)
def test_grouped_conv2d_matches_naive_loop_and_gradcheck(
    data, n, groups, group_in, group_out, size, kernel, stride, padding, dilation, bias, chunked
):
    assume(all(size[a] + 2 * padding[a] >= dilation[a] * (kernel[a] - 1) + 1 for a in (0, 1)))
    x = leaf(data.draw(values((n, groups * group_in) + size)))
    w = leaf(data.draw(values((groups * group_out, group_in) + kernel)))
    b = leaf(data.draw(values((groups * group_out,)))) if bias else None
    args = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    # chunked: one image per piece of im2col, so backward rebuilds cols image by image
    limits = dict(KEEP_COLS_BYTES=0, PIECE_COLS_BYTES=1) if chunked else {}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in limits.items():
            patch.setattr(pieces, name, value)
        out = F.conv2d(x, w, b, **args)
        expected = naive_conv2d(x.data, w.data, None if b is None else b.data, stride, padding, dilation, groups)
        np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-10)
        assert minidl.gradcheck(lambda *t: F.conv2d(*t, **args), [x, w] + ([b] if bias else []))


def test_depthwise_convolution_filters_each_channel_alone():
    """groups = C: channel c is convolved with its own filter only, here a different scale per channel."""
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 4))
    scales = np.array([1.0, -2.0, 0.5])
    w = scales.reshape(3, 1, 1, 1)
    out = F.conv2d(minidl.tensor(x), minidl.tensor(w), groups=3).data
    np.testing.assert_allclose(out, x * scales.reshape(1, 3, 1, 1))
    layer = nn.Conv2d(4, 8, 3, groups=4)
    assert layer.weight.shape == (8, 1, 3, 3) and "groups=4" in repr(layer)
    assert np.abs(layer.bias.data).max() <= 1 / 3  # PyTorch's bound 1/√fan_in with fan_in = 1·3·3


@given(
    data=st.data(),
    size=pairs(1, 7),
    kernel=pairs(1, 3),
    stride=st.one_of(st.none(), pairs(1, 3)),
    padding=pairs(0, 1),
    ceil_mode=st.booleans(),
    backend=st.sampled_from(["numba", "numpy"]),
)
def test_max_pool2d_ceil_mode_matches_naive_loop_and_gradcheck(data, size, kernel, stride, padding, ceil_mode, backend):
    assume(padding[0] <= kernel[0] // 2 and padding[1] <= kernel[1] // 2)
    assume(all(size[a] + 2 * padding[a] >= kernel[a] for a in (0, 1)))
    x = leaf(data.draw(distinct((2, 2) + size)))
    with use_kernels(backend):
        out = F.max_pool2d(x, kernel, stride, padding, ceil_mode)
        expected = naive_max_pool2d(x.data, kernel, stride or kernel, padding, ceil_mode)
        np.testing.assert_array_equal(out.data, expected)
        assert minidl.gradcheck(lambda t: F.max_pool2d(t, kernel, stride, padding, ceil_mode), [x])


@given(
    data=st.data(),
    size=pairs(1, 7),
    kernel=pairs(1, 3),
    stride=st.one_of(st.none(), pairs(1, 3)),
    padding=pairs(0, 1),
    ceil_mode=st.booleans(),
    count_include_pad=st.booleans(),
    backend=st.sampled_from(["numba", "numpy"]),
)
def test_avg_pool2d_options_match_naive_loop_and_gradcheck(
    data, size, kernel, stride, padding, ceil_mode, count_include_pad, backend
):
    assume(padding[0] <= kernel[0] // 2 and padding[1] <= kernel[1] // 2)
    assume(all(size[a] + 2 * padding[a] >= kernel[a] for a in (0, 1)))
    x = leaf(data.draw(values((2, 2) + size)))
    args = (kernel, stride, padding, ceil_mode, count_include_pad)
    with use_kernels(backend):
        out = F.avg_pool2d(x, *args)
        expected = naive_avg_pool2d(x.data, kernel, stride or kernel, padding, ceil_mode, count_include_pad)
        np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)
        assert minidl.gradcheck(lambda t: F.avg_pool2d(t, *args), [x])


def test_pooling_options_by_hand():
    x = minidl.tensor(np.arange(25.0).reshape(1, 1, 5, 5))
    # 5 pixels, windows of 2 at stride 2: floor keeps 2 windows, ceil adds a third over the last pixel alone.
    assert F.max_pool2d(x, 2).shape == (1, 1, 2, 2)
    np.testing.assert_array_equal(
        F.max_pool2d(x, 2, ceil_mode=True).data[0, 0], [[6, 8, 9], [16, 18, 19], [21, 23, 24]]
    )
    np.testing.assert_array_equal(F.avg_pool2d(x, 2, ceil_mode=True).data[0, 0, 2], [20.5, 22.5, 24])
    # Padding 1 with a 3×3 window: the corner window holds 4 pixels of 9 taps.
    corner = (0 + 1 + 5 + 6) / 4
    assert F.avg_pool2d(x, 3, 1, 1, count_include_pad=False).data[0, 0, 0, 0] == corner
    assert F.avg_pool2d(x, 3, 1, 1).data[0, 0, 0, 0] == corner * 4 / 9
    # The dropped window: 3 pixels, kernel 2, stride 2, padding 1 → ⌈3/2⌉ + 1 = 3, but the third would
    # start at input row 3, past the input, so PyTorch keeps 2.
    assert pooled_size(3, 2, 2, 1, True) == 2
    assert F.max_pool2d(minidl.tensor(np.ones((1, 1, 3, 3))), 2, 2, 1, ceil_mode=True).shape == (1, 1, 2, 2)
    # With ceil_mode a window may be larger than the input, as in PyTorch: it covers what there is.
    small = minidl.tensor(np.arange(4.0).reshape(1, 1, 2, 2))
    assert F.avg_pool2d(small, 3, ceil_mode=True).item() == 1.5 and F.max_pool2d(small, 3, ceil_mode=True).item() == 3
    assert "ceil_mode=True" in repr(nn.MaxPool2d(2, ceil_mode=True))
    assert "count_include_pad=False" in repr(nn.AvgPool2d(2, count_include_pad=False))


@given(
    data=st.data(),
    shape=st.lists(st.integers(1, 4), min_size=2, max_size=4).map(tuple),
    pad=st.one_of(st.tuples(*[st.integers(0, 2)] * 2), st.tuples(*[st.integers(0, 2)] * 4)),
    value=st.sampled_from([0.0, -1.5, 2.0]),
)
def test_pad_matches_numpy_and_gradcheck(data, shape, pad, value):
    x = leaf(data.draw(values(shape)))
    out = F.pad(x, pad, value=value)
    widths = [(0, 0)] * len(shape)
    widths[-1] = pad[:2]
    if len(pad) == 4:
        widths[-2] = pad[2:]
    expected = np.pad(x.data, widths, constant_values=value)
    np.testing.assert_array_equal(out.data, expected)
    weights = np.arange(expected.size, dtype=np.float64).reshape(expected.shape)
    assert minidl.gradcheck(lambda t: F.pad(t, pad, value=value) * weights, [x])


def test_batches_of_zero_images_give_empty_results_and_gradients():
    """PyTorch accepts a batch of 0 images; so does minidl, with gradients of the right shapes."""
    w = minidl.tensor(np.ones((4, 2, 3, 3)), requires_grad=True)
    b = minidl.tensor(np.ones(4), requires_grad=True)
    depthwise = minidl.tensor(np.ones((4, 1, 3, 3)), requires_grad=True)
    for backend in ("numba", "numpy"):
        with use_kernels(backend):
            for layer, shape in (
                (lambda x: F.conv2d(x, w, b, padding=1), (0, 4, 6, 6)),
                (lambda x: F.conv2d(x, depthwise, groups=2), (0, 4, 4, 4)),
                (lambda x: F.max_pool2d(x, 2), (0, 2, 3, 3)),
                (lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), (0, 2, 4, 4)),
                (lambda x: F.avg_pool2d(x, 2, count_include_pad=False), (0, 2, 3, 3)),
            ):
                x = minidl.tensor(np.zeros((0, 2, 6, 6)), requires_grad=True)
                out = layer(x)
                assert out.shape == shape
                out.sum().backward()
                assert x.grad.shape == (0, 2, 6, 6)
    for parameter in (w, b, depthwise):  # every image's contribution is a sum over no images
        np.testing.assert_array_equal(parameter.grad, np.zeros(parameter.shape))


def t(*shape):
    return minidl.tensor(np.ones(shape))


@pytest.mark.parametrize(
    "call, error, words",
    [
        (
            lambda: F.conv2d(t(1, 4, 5, 5), t(6, 2, 3, 3), groups=3),
            ValueError,
            ["conv2d", "(1, 4, 5, 5) has 4 channel", "(6, 2, 3, 3)", "groups = 3", "expects 6"],
        ),
        (
            lambda: F.conv2d(t(1, 4, 5, 5), t(5, 2, 3, 3), groups=2),
            ValueError,
            ["(5, 2, 3, 3)", "divisible by groups = 2"],
        ),
        (lambda: F.conv2d(t(1, 4, 5, 5), t(4, 1, 3, 3), groups=0), ValueError, ["groups", "positive", "0"]),
        (lambda: nn.Conv2d(4, 6, 3, groups=4), ValueError, ["Conv2d", "out_channels 6", "divisible by groups 4"]),
        (lambda: F.max_pool2d(t(1, 1, 6, 6), 2, padding=2, ceil_mode=True), ValueError, ["at most half"]),
        (lambda: F.pad(t(2, 3), (1, 2, 3)), ValueError, ["pad", "(left, right, top, bottom)", "(1, 2, 3)"]),
        (lambda: F.pad(t(2, 3), (1, -1)), ValueError, ["non-negative", "(1, -1)"]),
        (lambda: F.pad(t(2, 3), (1, 1), mode="reflect"), ValueError, ["only mode 'constant'", "'reflect'"]),
        (lambda: F.pad(t(3), (1, 1)), ValueError, ["at least two axes", "(3,)"]),
    ],
)
def test_bad_input(call, error, words):
    with pytest.raises(error) as caught:
        call()
    for word in words:
        assert word in str(caught.value), f"{word!r} missing from: {caught.value}"


def test_max_pool_without_a_gradient_to_compute_finds_no_winners(monkeypatch):
    """Under no_grad (or for an input that needs no gradient) max_pool2d takes the maxima alone, the
    same numbers; with a gradient to compute it takes the winners too, and backward uses them."""
    x = np.random.default_rng(0).standard_normal((2, 3, 6, 6))
    expected = F.max_pool2d(minidl.tensor(x, requires_grad=True), 2).data
    calls = []
    finding_winners = pooling_numba.max_pool_forward
    monkeypatch.setattr(pooling_numba, "max_pool_forward", lambda *a: calls.append("winners") or finding_winners(*a))
    with minidl.no_grad():
        np.testing.assert_array_equal(F.max_pool2d(minidl.tensor(x, requires_grad=True), 2).data, expected)
    np.testing.assert_array_equal(F.max_pool2d(minidl.tensor(x), 2).data, expected)
    assert calls == []
    leaf = minidl.tensor(x, requires_grad=True)
    F.max_pool2d(leaf, 2).sum().backward()
    assert calls == ["winners"] and leaf.grad.sum() == 2 * 3 * 3 * 3


def test_conv2d_weight_gradient_in_blocks_of_images_agrees_and_stays_small(monkeypatch):
    """dW is summed image by image a block at a time: blocks of 2 images give the batch's dW (also
    with groups and a batch that is not a multiple of the block), and the backward pass of a layer
    with large weights never holds one copy of them per image."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((7, 4, 6, 6)), rng.standard_normal((6, 2, 3, 3))
    grad = rng.standard_normal((7, 6, 4, 4))

    def weight_gradient() -> np.ndarray:
        weight = minidl.tensor(w, requires_grad=True)
        (F.conv2d(minidl.tensor(x, requires_grad=True), weight, groups=2) * minidl.tensor(grad)).sum().backward()
        return weight.grad

    whole = weight_gradient()
    monkeypatch.setattr(pieces, "WEIGHT_GRADS_BYTES", 2 * w.size * 8)
    np.testing.assert_allclose(weight_gradient(), whole, rtol=1e-12, atol=1e-12)
    expected = naive_conv2d(x, w, None, (1, 1), (0, 0), (1, 1), groups=2)
    np.testing.assert_allclose(np.sum(whole * w), np.sum(grad * expected), rtol=1e-10)  # ⟨dW, W⟩ = ⟨dout, out⟩

    monkeypatch.undo()
    big_x = minidl.tensor(rng.standard_normal((256, 64, 4, 4)).astype(np.float32))
    big_w = minidl.tensor(rng.standard_normal((128, 64, 3, 3)).astype(np.float32), requires_grad=True)
    out = F.conv2d(big_x, big_w)
    tracemalloc.start()
    out.sum().backward()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    per_image_weights = 256 * big_w.data.nbytes  # 75.5 MB: what one dW per image would hold
    assert peak < per_image_weights / 4, f"backward peaked at {peak / 1e6:.1f} MB"  # blocks: ≤ 4 MB a worker
    with use_kernels("numpy"):  # the reading path sums over the images without a copy of dW per image
        out = F.conv2d(big_x, big_w)
        tracemalloc.start()
        out.sum().backward()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < per_image_weights / 4, f"the reading path's backward peaked at {peak / 1e6:.1f} MB"
