"""ReLU on the fast path (minidl/kernels/relu.py, numba's loops) agrees with the reading path's
np.maximum(z, 0) and grad · np.sign(out) exactly — NaN where NumPy gives NaN, every other entry
equal, zeros with the same sign — on any layout; the numba loops only ever see C-contiguous float
arrays; and ReLU keeps its gradient on both paths."""

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

import minidl
from minidl.autograd import Context
from minidl.kernels import relu_numba, use_kernels
from minidl.kernels.relu import ReLU
from minidl.ops.activations import ReLUFunction
from strategies import leaf, nonzero, shapes

# NumPy warns about ∞·0 in grad · np.sign(out); the NaN it gives is the expected value here.
pytestmark = [pytest.mark.kernels, pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")]

SPECIAL = [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0]


def relu_forward(z: np.ndarray, function: type = ReLU) -> np.ndarray:
    return function.forward(Context((True,)), z)


def relu_backward(grad: np.ndarray, out: np.ndarray, function: type = ReLU) -> np.ndarray:
    """ReLU's backward from its output `out` (what the forward pass saves) and the gradient `grad`."""
    ctx = Context((True,))
    ctx.save_for_backward(out)
    return function.backward(ctx, grad)


def both_paths(call) -> tuple:
    """call(function) with the reading path's ReLUFunction, then with the fast path's twin."""
    return call(ReLUFunction), call(ReLU)


def assert_identical(actual: np.ndarray, expected: np.ndarray) -> None:
    """Same dtype and shape, NaN at the same places, equal elsewhere, and the same sign on every zero."""
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)
    numbers = ~np.isnan(expected)
    np.testing.assert_array_equal(np.signbit(actual[numbers]), np.signbit(expected[numbers]))


@st.composite
def float_arrays(draw, shape=None, dtype=None):
    """float32/float64 arrays (any finite value, subnormals, ±0, ±inf, NaN of either sign) in one of
    several layouts: C order, Fortran order, every second entry of a wider array, reversed."""
    dtype = np.dtype(draw(st.sampled_from([np.float32, np.float64]))) if dtype is None else dtype
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=1, max_side=5)) if shape is None else shape
    elements = st.one_of(st.sampled_from(SPECIAL), hnp.from_dtype(dtype))
    a = draw(hnp.arrays(dtype, shape, elements=elements))
    layout = draw(st.sampled_from(["C", "Fortran", "strided", "reversed"]))
    if a.ndim == 0 or layout == "C":
        return a
    if layout == "Fortran":
        return np.asfortranarray(a)
    if layout == "strided":
        return np.repeat(a, 2, axis=-1)[..., ::2]
    return a[..., ::-1]


@given(z=float_arrays())
def test_forward_agrees_with_np_maximum_in_both_backends(z):
    before = z.copy()
    reference, fast = both_paths(lambda function: relu_forward(z, function))
    assert_identical(reference, np.maximum(z, 0))
    assert_identical(fast, reference)
    assert_identical(z, before)


@given(data=st.data(), out=float_arrays())
def test_backward_agrees_with_grad_times_sign_in_both_backends(data, out):
    """Any `out` (negatives too), not only ReLU's outputs: the kernel is the twin of grad · np.sign(out)."""
    grad = data.draw(float_arrays(shape=out.shape, dtype=out.dtype))
    reference, fast = both_paths(lambda function: relu_backward(grad, out, function))
    assert_identical(reference, grad * np.sign(out))
    assert_identical(fast, reference)


@given(data=st.data(), z=float_arrays())
def test_backward_of_relus_own_output_with_a_broadcast_gradient(data, z):
    """The gradient of a sum arrives as np.broadcast_to of one value: strides of zero."""
    out = relu_forward(z)
    value = data.draw(st.sampled_from(SPECIAL) | hnp.from_dtype(z.dtype))
    grad = np.broadcast_to(np.asarray(value, dtype=z.dtype), z.shape)
    reference, fast = both_paths(lambda function: relu_backward(grad, out, function))
    assert_identical(reference, grad * np.sign(out))
    assert_identical(fast, reference)


@pytest.mark.parametrize("function", [ReLUFunction, ReLU])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_known_values_at_the_edges(function, dtype):
    z = np.array([-np.inf, -2.0, -0.0, 0.0, 0.5, np.inf, np.nan], dtype)
    grad = np.array([1.0, 2.0, np.inf, -3.0, 3.0, -4.0, 5.0], dtype)
    out = relu_forward(z, function)
    grad_z = relu_backward(grad, out, function)
    assert out.dtype == dtype and grad_z.dtype == dtype
    np.testing.assert_array_equal(out, [0, 0, 0, 0, 0.5, np.inf, np.nan])  # −∞ → 0, a NaN stays
    assert not np.signbit(out[:4]).any()  # −0 and −∞ become +0, as np.maximum(z, 0) gives
    # ReLU'(0) = 0, so ∞·0 = NaN and −3·0 = −0; NaN where the output is NaN.
    np.testing.assert_array_equal(grad_z, [0, 0, np.nan, 0, 3.0, -4.0, np.nan])
    assert np.signbit(grad_z[3]) and not np.signbit(grad_z[0])


@pytest.mark.parametrize("function", [ReLUFunction, ReLU])
def test_other_dtypes_keep_numpys_rules(function):
    ints = relu_forward(np.array([-3, 0, 4], np.int8), function)
    halves = relu_forward(np.array([-1.5, 2.5], np.float16), function)
    wide_grad = relu_backward(np.array([0.1, 0.1]), np.array([0.0, 2.0], np.float32), function)
    swapped = relu_forward(np.array([-1.0, 2.0], ">f8"), function)
    assert ints.dtype == np.int8 and ints.tolist() == [0, 0, 4]
    assert halves.dtype == np.float16 and halves.tolist() == [0.0, 2.5]
    assert wide_grad.dtype == np.float64 and wide_grad.tolist() == [0.0, 0.1]  # NumPy's promotion
    assert swapped.tolist() == [0.0, 2.0]


@pytest.mark.parametrize("function", [ReLUFunction, ReLU])
def test_empty_and_read_only_arrays(function):
    z = np.array([[-1.0, 2.0]], np.float32)
    z.flags.writeable = False  # as np.load(mmap_mode="r") or a broadcast view hands them over
    out = relu_forward(z, function)
    grad_z = relu_backward(z, out, function)
    empty = relu_forward(np.zeros((0, 3)), function)
    empty_grad = relu_backward(np.zeros((0, 3)), np.zeros((0, 3)), function)
    assert out.tolist() == [[0.0, 2.0]] and grad_z.tolist() == [[0.0, 2.0]]
    assert empty.shape == empty_grad.shape == (0, 3)


def test_the_numba_loops_only_see_c_contiguous_float_arrays_of_one_shape(monkeypatch):
    seen = []

    def spy(name):
        original = getattr(relu_numba, name)

        def record(*arrays):
            seen.append(arrays)
            return original(*arrays)

        monkeypatch.setattr(relu_numba, name, record)

    spy("relu_forward")
    spy("relu_backward")
    transposed = np.arange(-12.0, 12.0, dtype=np.float32).reshape(2, 3, 4).transpose(2, 0, 1)
    out = relu_forward(transposed)
    relu_backward(np.broadcast_to(np.float32(2.0), out.shape), out)
    relu_forward(np.array(-1.0))
    relu_forward(np.array([-1, 2]))  # integers: the reading path
    relu_backward(np.ones(3), np.ones(3, np.float32))  # two dtypes: the reading path
    assert len(seen) == 3
    for arrays in seen:
        for array in arrays:
            assert array.flags.c_contiguous and array.dtype in (np.float32, np.float64)
            assert array.shape == arrays[0].shape
    assert seen[2][0].shape == ()  # a 0-d array stays 0-d
    np.testing.assert_array_equal(out, np.maximum(transposed, 0))


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: relu_numba.relu_forward(np.ones(3, np.int64)), TypeError, ["relu", "float32 or float64", "int64"]),
        (lambda: relu_numba.relu_forward(np.ones((3, 4)).T), TypeError, ["relu", "z", "not C-contiguous"]),
        (lambda: relu_numba.relu_backward(np.ones(3), np.ones(3, np.float32)), TypeError, ["gradients", "float32"]),
        (lambda: relu_numba.relu_backward(np.ones(3), np.ones((2, 3))), ValueError, ["gradients", "(3,)", "(2, 3)"]),
        (lambda: relu_numba.relu_backward(np.ones((1, 3)), np.ones(3)), ValueError, ["(1, 3)", "expected (3,)"]),
        (lambda: relu_numba.relu_backward(np.ones(3), [1.0, 2.0, 3.0]), TypeError, ["relu", "out", "list"]),
    ],
)
def test_relu_kernels_reject_what_they_were_not_written_for(call, error, words):
    with pytest.raises(error) as caught:
        call()
    for word in words:
        assert word in str(caught.value), f"{word!r} missing from: {caught.value}"


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@given(data=st.data(), shape=shapes)
def test_relu_passes_gradcheck_under_both_backends(backend, data, shape):
    with use_kernels(backend):
        assert minidl.gradcheck(lambda a: a.relu(), [leaf(data.draw(nonzero(shape)))])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_tensor_gradient_is_the_same_under_both_backends(dtype):
    rng = np.random.default_rng(0)
    z = rng.standard_normal((4, 3, 5, 5)).astype(dtype)
    z[0, 0, 0, :3] = [np.nan, 0.0, -np.inf]

    def grad_of_relu():
        x = minidl.tensor(z, requires_grad=True)
        (x.transpose(0, 2, 3, 1).relu() * np.arange(1, 4, dtype=dtype)).sum().backward()
        return x.grad

    with use_kernels("numpy"):
        reference = grad_of_relu()
    fast = grad_of_relu()
    assert_identical(fast, reference)
    assert np.isnan(fast[0, 0, 0, 0]) and fast[0, 0, 0, 1] == 0 and fast[0, 0, 0, 2] == 0
