"""Layers of the segmentation and architecture lessons: transposed convolution, upsampling, batch
normalisation, average pooling; gradchecks under hypothesis and values worked out by hand."""

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

import minidl
import minidl.functional as F
from minidl import nn
from strategies import leaf, values

pytestmark = pytest.mark.nn

pairs = lambda low, high: st.tuples(st.integers(low, high), st.integers(low, high))


def naive_conv_transpose2d(x, w, b, stride, padding, output_padding, dilation):
    """Every input pixel adds w[c_in] · x to the output patch at (y·s − p + i·d, x·s − p + j·d)."""
    n, c_in, h, wd = x.shape
    _, c_out, kh, kw = w.shape
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = stride, padding, output_padding, dilation
    oh = (h - 1) * sh - 2 * ph + dh * (kh - 1) + oph + 1
    ow = (wd - 1) * sw - 2 * pw + dw * (kw - 1) + opw + 1
    full = np.zeros((n, c_out, oh + 2 * ph + sh + dh * kh, ow + 2 * pw + sw + dw * kw))
    for y in range(h):
        for x_ in range(wd):
            for i in range(kh):
                for j in range(kw):
                    full[:, :, y * sh + i * dh, x_ * sw + j * dw] += np.einsum(
                        "nc,co->no", x[:, :, y, x_], w[:, :, i, j]
                    )
    out = full[:, :, ph : ph + oh, pw : pw + ow]
    return out + (0 if b is None else b[:, None, None])


@given(
    data=st.data(),
    n=st.integers(1, 2),
    c_in=st.integers(1, 3),
    c_out=st.integers(1, 3),
    size=pairs(1, 4),
    kernel=pairs(1, 3),
    stride=pairs(1, 3),
    padding=pairs(0, 1),
    dilation=pairs(1, 2),
    bias=st.booleans(),
    extra=st.booleans(),
)
def test_conv_transpose2d_matches_naive_loop_and_gradcheck(
    data, n, c_in, c_out, size, kernel, stride, padding, dilation, bias, extra
):
    output_padding = tuple(min(int(extra), max(s, d) - 1) for s, d in zip(stride, dilation))
    out_sizes = [
        (size[a] - 1) * stride[a] - 2 * padding[a] + dilation[a] * (kernel[a] - 1) + output_padding[a] + 1
        for a in (0, 1)
    ]
    assume(min(out_sizes) >= 1)
    x = leaf(data.draw(values((n, c_in) + size)))
    w = leaf(data.draw(values((c_in, c_out) + kernel)))
    b = leaf(data.draw(values((c_out,)))) if bias else None
    args = dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
    out = F.conv_transpose2d(x, w, b, **args)
    expected = naive_conv_transpose2d(
        x.data, w.data, None if b is None else b.data, stride, padding, output_padding, dilation
    )
    np.testing.assert_allclose(out.data, expected, rtol=1e-10, atol=1e-10)
    assert minidl.gradcheck(lambda *t: F.conv_transpose2d(*t, **args), [x, w] + ([b] if bias else []))


@given(data=st.data(), size=pairs(2, 5), kernel=pairs(1, 3), stride=pairs(1, 2))
def test_conv_transpose_is_the_adjoint_of_conv(data, size, kernel, stride):
    """⟨conv2d(x, w), y⟩ = ⟨x, conv_transpose2d(y, w)⟩ when the transposed conv restores x's size."""
    assume(all(size[a] >= kernel[a] for a in (0, 1)))
    x = data.draw(values((1, 2) + size))
    w = data.draw(values((3, 2) + kernel))
    out = F.conv2d(minidl.tensor(x), minidl.tensor(w), stride=stride).data
    y = data.draw(values(out.shape))
    extra = tuple(size[a] - ((out.shape[2 + a] - 1) * stride[a] + kernel[a]) for a in (0, 1))
    back = F.conv_transpose2d(minidl.tensor(y), minidl.tensor(w), stride=stride, output_padding=extra).data
    assert back.shape == x.shape
    np.testing.assert_allclose(np.sum(out * y), np.sum(x * back), rtol=1e-9, atol=1e-9)


def test_up_convolution_by_hand():
    # kernel 2, stride 2: each pixel becomes a 2×2 block of pixel · kernel
    x = minidl.tensor(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    w = minidl.tensor(np.array([[[[1.0, 10.0], [100.0, 1000.0]]]]))
    out = F.conv_transpose2d(x, w, stride=2).data[0, 0]
    np.testing.assert_array_equal(out[:2, :2], [[1, 10], [100, 1000]])
    np.testing.assert_array_equal(out[2:, 2:], 4 * np.array([[1, 10], [100, 1000]]))
    layer = nn.ConvTranspose2d(3, 5, 2, stride=2)
    assert layer.weight.shape == (3, 5, 2, 2)
    assert layer(minidl.tensor(np.ones((1, 3, 4, 6), np.float32))).shape == (1, 5, 8, 12)


@given(data=st.data(), size=pairs(1, 4), scale=st.integers(1, 3), mode=st.sampled_from(["nearest", "bilinear"]))
def test_upsample_gradcheck(data, size, scale, mode):
    x = leaf(data.draw(values((2, 2) + size)))
    out = F.interpolate(x, scale_factor=scale, mode=mode)
    assert out.shape == (2, 2, size[0] * scale, size[1] * scale)
    assert minidl.gradcheck(lambda t: F.interpolate(t, scale_factor=scale, mode=mode), [x])


def test_upsample_by_hand():
    x = minidl.tensor(np.array([[[[0.0, 4.0]]]]))
    np.testing.assert_array_equal(
        F.interpolate(x, scale_factor=2, mode="nearest").data[0, 0], [[0, 0, 4, 4], [0, 0, 4, 4]]
    )
    # half-pixel centres: 0, 1/4, 3/4, 1 of the way
    np.testing.assert_allclose(
        F.interpolate(x, scale_factor=2, mode="bilinear").data[0, 0], [[0, 1, 3, 4], [0, 1, 3, 4]]
    )


@given(
    data=st.data(),
    size=pairs(1, 4),
    out_size=pairs(1, 6),
    mode=st.sampled_from(["nearest", "bilinear"]),
    align_corners=st.booleans(),
    by_scale=st.booleans(),
    scale=st.sampled_from([0.5, 1.5, 2.0, 2.5]),
)
def test_interpolate_to_any_size_gradcheck(data, size, out_size, mode, align_corners, by_scale, scale):
    x = leaf(data.draw(values((1, 2) + size)))
    corners = align_corners if mode == "bilinear" else None
    if by_scale:
        assume(min(size) * scale >= 1)
        resize = lambda t: F.interpolate(t, scale_factor=scale, mode=mode, align_corners=corners)
        out_size = (int(size[0] * scale), int(size[1] * scale))
    else:
        resize = lambda t: F.interpolate(t, size=out_size, mode=mode, align_corners=corners)
    out = resize(x)
    assert out.shape == (1, 2) + out_size
    assert out.data.min() >= x.data.min() - 1e-12 and out.data.max() <= x.data.max() + 1e-12  # convex weights
    assert minidl.gradcheck(resize, [x])


def test_interpolate_by_hand():
    row = minidl.tensor(np.array([[[[0.0, 4.0, 8.0]]]]))
    # nearest copies the pixel at ⌊d·n_in/n_out⌋: ratio 3/5 picks 0, 0, 1, 1, 2
    np.testing.assert_array_equal(F.interpolate(row, size=(1, 5)).data.ravel(), [0, 0, 4, 4, 8])
    np.testing.assert_array_equal(F.interpolate(row, size=(1, 2)).data.ravel(), [0, 4])
    pair = minidl.tensor(np.array([[[[0.0, 4.0]]]]))
    # corners aligned: positions 0, ½, 1 of the input
    np.testing.assert_allclose(
        F.interpolate(pair, size=(1, 3), mode="bilinear", align_corners=True).data.ravel(), [0, 2, 4]
    )
    # half-pixel centres at scale 1.5: positions −1/6 (clamped to 0), ½, 7/6 (past the last pixel)
    np.testing.assert_allclose(F.interpolate(pair, scale_factor=1.5, mode="bilinear").data.ravel(), [0, 2, 4])
    assert nn.Upsample(size=(2, 6), mode="bilinear", align_corners=True)(pair).shape == (1, 1, 2, 6)


def test_batch_norm_1d_and_layer_norm_by_hand():
    # one channel holding 1, 3, 5, 7: mean 4, biased variance 5, unbiased 20/3
    for x in (np.array([1.0, 3.0, 5.0, 7.0]).reshape(4, 1), np.array([1.0, 3.0, 5.0, 7.0]).reshape(2, 1, 2)):
        layer = nn.BatchNorm1d(1, dtype=np.float64, momentum=0.5)
        out = layer(minidl.tensor(x)).data.ravel()
        np.testing.assert_allclose(out, (np.array([1, 3, 5, 7]) - 4) / np.sqrt(5 + 1e-5))
        np.testing.assert_allclose(layer.running_var.data, [0.5 * 1 + 0.5 * 20 / 3])
        layer.eval()
        np.testing.assert_allclose(layer(minidl.tensor(x)).data.ravel(), (x.ravel() - 2) / np.sqrt(0.5 + 10 / 3 + 1e-5))
    norm = nn.LayerNorm(4, dtype=np.float64)
    norm.weight.data[:] = [1.0, 2.0, 1.0, 1.0]
    norm.bias.data[:] = 0.5
    out = norm(minidl.tensor(np.array([[1.0, 3.0, 5.0, 7.0], [2.0, 2.0, 2.0, 2.0]]))).data
    np.testing.assert_allclose(out[0], np.array([-3, -2, 1, 3]) / np.sqrt(5 + 1e-5) + 0.5)
    np.testing.assert_allclose(out[1], [0.5] * 4)  # a constant sample: centred to 0, then the bias
    assert [name for name, _ in norm.named_parameters()] == ["weight", "bias"]


@given(
    data=st.data(),
    n=st.integers(2, 3),
    c=st.integers(1, 3),
    length=st.integers(1, 3),
    extra=st.integers(1, 3),
    affine=st.booleans(),
)
def test_batch_norm_1d_and_layer_norm_gradcheck(data, n, c, length, extra, affine):
    x = leaf(data.draw(values((n, c, length))))
    params = [leaf(data.draw(values((c,), 0.5, 2))), leaf(data.draw(values((c,))))] if affine else []
    assert minidl.gradcheck(lambda x, *wb: F.batch_norm(x, None, None, *wb, training=True), [x, *params], atol=1e-5)
    assert minidl.gradcheck(
        lambda x, *wb: F.batch_norm(x[:, :, 0], None, None, *wb, training=True), [x, *params], atol=1e-5
    )
    y = leaf(data.draw(values((n, length, extra))))
    params = (
        [leaf(data.draw(values((length, extra), 0.5, 2))), leaf(data.draw(values((length, extra))))] if affine else []
    )
    assume(np.ptp(y.data[0]) > 0.1)
    assert minidl.gradcheck(lambda y, *wb: F.layer_norm(y, (length, extra), *wb), [y, *params], atol=1e-5)


@given(data=st.data(), n=st.integers(2, 3), c=st.integers(1, 3), size=pairs(1, 3), affine=st.booleans())
def test_batch_norm_gradcheck_in_training(data, n, c, size, affine):
    x = leaf(data.draw(values((n, c) + size)))
    params = [leaf(data.draw(values((c,), 0.5, 2))), leaf(data.draw(values((c,))))] if affine else []

    def normalise(x, *wb):
        return F.batch_norm(x, None, None, *wb, training=True)

    assert minidl.gradcheck(normalise, [x, *params], atol=1e-5)


def test_batch_norm_by_hand():
    x = np.array([1.0, 3.0, 5.0, 7.0]).reshape(4, 1, 1, 1)  # one channel: mean 4, biased variance 5
    layer = nn.BatchNorm2d(1, dtype=np.float64, momentum=0.5)
    out = layer(minidl.tensor(x)).data.ravel()
    np.testing.assert_allclose(out, (np.array([1, 3, 5, 7]) - 4) / np.sqrt(5 + 1e-5))
    np.testing.assert_allclose(layer.running_mean.data, [0.5 * 0 + 0.5 * 4])
    np.testing.assert_allclose(layer.running_var.data, [0.5 * 1 + 0.5 * 20 / 3])  # unbiased: 20 / 3
    assert int(layer.num_batches_tracked.data) == 1
    layer.eval()
    np.testing.assert_allclose(
        layer(minidl.tensor(x)).data.ravel(), (np.array([1, 3, 5, 7]) - 2) / np.sqrt(0.5 + 10 / 3 + 1e-5)
    )
    assert sorted(layer.state_dict()) == ["bias", "num_batches_tracked", "running_mean", "running_var", "weight"]


@given(
    data=st.data(), size=pairs(2, 6), kernel=pairs(1, 3), stride=st.one_of(st.none(), pairs(1, 2)), padding=pairs(0, 1)
)
def test_avg_pool_gradcheck_and_value(data, size, kernel, stride, padding):
    assume(padding[0] <= kernel[0] // 2 and padding[1] <= kernel[1] // 2)
    assume(all(size[a] + 2 * padding[a] >= kernel[a] for a in (0, 1)))
    x = leaf(data.draw(values((2, 2) + size)))
    out = F.avg_pool2d(x, kernel, stride, padding)
    s = stride or kernel
    xp = np.pad(x.data, ((0, 0), (0, 0), (padding[0],) * 2, (padding[1],) * 2))
    np.testing.assert_allclose(out.data[:, :, 0, 0], xp[:, :, : kernel[0], : kernel[1]].mean(axis=(2, 3)))
    last = (out.shape[2] - 1) * s[0], (out.shape[3] - 1) * s[1]
    np.testing.assert_allclose(
        out.data[:, :, -1, -1], xp[:, :, last[0] : last[0] + kernel[0], last[1] : last[1] + kernel[1]].mean(axis=(2, 3))
    )
    assert minidl.gradcheck(lambda t: F.avg_pool2d(t, kernel, stride, padding), [x])


def test_global_average_pooling():
    x = leaf(np.arange(24.0).reshape(2, 3, 2, 2))
    out = nn.AdaptiveAvgPool2d(1)(x)
    np.testing.assert_allclose(out.data.ravel(), np.arange(24.0).reshape(6, 4).mean(axis=1))
    assert minidl.gradcheck(lambda t: F.adaptive_avg_pool2d(t), [x])


@given(data=st.data(), n=st.integers(1, 3), size=pairs(1, 4))
def test_dice_loss_gradcheck(data, n, size):
    logits = leaf(data.draw(values((n, 1) + size)))
    mask = data.draw(st.lists(st.integers(0, 1), min_size=n * size[0] * size[1], max_size=n * size[0] * size[1]))
    mask = np.array(mask).reshape((n, 1) + size)
    assert minidl.gradcheck(lambda t: F.dice_loss(t, mask), [logits])


def test_dice_loss_by_hand():
    logits = minidl.tensor(np.array([[[[100.0, -100.0], [-100.0, -100.0]]]]))  # predicts exactly pixel (0, 0)
    assert F.dice_loss(logits, np.array([[[[1, 0], [0, 0]]]])).item() == pytest.approx(0.0, abs=1e-9)
    # prediction {(0,0)}, truth {(0,1)}: overlap 0, loss 1 − eps / (1 + 1 + eps) with eps = 1
    assert F.dice_loss(logits, np.array([[[[0, 1], [0, 0]]]])).item() == pytest.approx(1 - 1 / 3)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (
            lambda: F.conv_transpose2d(minidl.tensor(np.ones((1, 2, 3, 3))), minidl.tensor(np.ones((3, 1, 2, 2)))),
            ValueError,
            ["(2, out_channels, kh, kw)"],
        ),
        (
            lambda: F.conv_transpose2d(
                minidl.tensor(np.ones((1, 1, 3, 3))), minidl.tensor(np.ones((1, 1, 2, 2))), stride=2, output_padding=2
            ),
            ValueError,
            ["output_padding", "smaller than the stride"],
        ),
        (
            lambda: F.interpolate(minidl.tensor(np.ones((1, 1, 2, 2))), scale_factor=2, mode="bicubic"),
            ValueError,
            ["'nearest' or 'bilinear'"],
        ),
        (
            lambda: nn.Upsample(scale_factor=0)(minidl.tensor(np.ones((1, 1, 2, 2)))),
            ValueError,
            ["scale_factor", "positive"],
        ),
        (lambda: nn.BatchNorm2d(3)(minidl.tensor(np.ones((2, 4, 2, 2)))), ValueError, ["(N, 3, H, W)", "(2, 4, 2, 2)"]),
        (lambda: nn.BatchNorm2d(1)(minidl.tensor(np.ones((1, 1, 1, 1)))), ValueError, ["more than one value"]),
        (lambda: nn.AdaptiveAvgPool2d(2), ValueError, ["only output_size 1"]),
        (
            lambda: F.interpolate(minidl.tensor(np.ones((1, 1, 2, 2))), size=3, scale_factor=2),
            ValueError,
            ["exactly one"],
        ),
        (
            lambda: F.interpolate(minidl.tensor(np.ones((1, 1, 2, 2))), size=3, align_corners=True),
            ValueError,
            ["bilinear"],
        ),
        (lambda: F.interpolate(minidl.tensor(np.ones((1, 1, 2, 2))), scale_factor=0.2), ValueError, ["no pixel"]),
        (lambda: nn.BatchNorm1d(3)(minidl.tensor(np.ones((2, 4)))), ValueError, ["(N, 3) or (N, 3, L)", "(2, 4)"]),
        (lambda: nn.BatchNorm1d(3)(minidl.tensor(np.ones((2, 3, 2, 2)))), ValueError, ["(N, 3)", "(2, 3, 2, 2)"]),
        (lambda: nn.LayerNorm((2, 3))(minidl.tensor(np.ones((4, 3, 2)))), ValueError, ["(4, 3, 2)", "(2, 3)"]),
        (lambda: F.avg_pool2d(minidl.tensor(np.ones((1, 1, 2, 2))), 3), ValueError, ["avg_pool2d", "larger than"]),
        (
            lambda: F.dice_loss(minidl.tensor(np.ones((1, 1, 2, 2))), np.ones((1, 2, 2))),
            ValueError,
            ["(1, 2, 2)", "(1, 1, 2, 2)"],
        ),
        (lambda: F.dice_loss(minidl.tensor(np.ones((1, 1, 2, 2))), np.full((1, 1, 2, 2), 0.5)), ValueError, ["binary"]),
    ],
)
def test_bad_input(call, error, words):
    with pytest.raises(error) as caught:
        call()
    for word in words:
        assert word in str(caught.value)
