"""Tensor construction, dtypes, conversions and the readable repr."""

import numpy as np
import pytest

import minidl

pytestmark = pytest.mark.engine


def test_python_floats_become_float32_and_numpy_float64_is_kept():
    assert minidl.tensor([1.0, 2.0]).dtype == np.float32
    assert minidl.tensor(np.array([1.0, 2.0])).dtype == np.float64
    assert minidl.tensor(np.float64(3.0)).dtype == np.float64
    assert minidl.tensor([1, 2]).dtype == np.int64
    assert minidl.tensor([1, 2], dtype=np.float64).dtype == np.float64


def test_python_scalars_keep_the_tensor_dtype():
    x32 = minidl.tensor([1.0, 2.0], requires_grad=True)
    for result in (x32 * 2.5, 2.5 * x32, x32 + 1, 1 - x32, x32 / 3.0, 3.0 / x32, x32**2.0):
        assert result.dtype == np.float32
    x64 = minidl.tensor(np.array([1.0]))
    assert (x64 * 2.5).dtype == np.float64


def test_gradients_have_the_dtype_and_shape_of_the_leaf():
    x = minidl.tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    (x * np.float64(2.0)).sum().backward()
    assert x.grad.dtype == np.float32 and x.grad.shape == (2, 3)


def test_conversions_and_properties():
    x = minidl.tensor([[1.0, 2.0, 3.0]])
    assert x.shape == (1, 3) and x.ndim == 2 and x.size == 3 and len(x) == 1
    assert isinstance(x.numpy(), np.ndarray)
    assert x.sum().item() == 6.0
    assert x.T.shape == (3, 1)


def test_tensor_copies_a_tensor_and_numpy_shares():
    x = minidl.tensor([1.0, 2.0])
    y = minidl.tensor(x)
    y.data[0] = 5.0
    assert x.data[0] == 1.0
    x.numpy()[1] = 7.0
    assert x.data[1] == 7.0


def test_repr_is_readable():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "tensor([1., 2.], requires_grad=True)"
    assert repr(x * 2) == "tensor([2., 4.], grad_fn=Mul)"
    assert repr(minidl.tensor(np.array([0.5]))) == "tensor([0.5], dtype=float64)"


def test_comparisons_give_boolean_tensors_outside_the_graph():
    x = minidl.tensor([1.0, 2.0, 3.0], requires_grad=True)
    mask = x > 1.5
    assert mask.dtype == np.bool_ and not mask.requires_grad
    np.testing.assert_array_equal(mask.data, [False, True, True])
    np.testing.assert_array_equal((x == 2.0).data, [False, True, False])
    np.testing.assert_array_equal((x <= np.array([0.0, 2.0, 5.0])).data, [False, True, True])
    assert {x: 1}[x] == 1  # tensors stay hashable by identity


def test_ndarray_on_the_left_defers_to_the_tensor():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    y = np.array([3.0, 4.0]) * x
    assert isinstance(y, minidl.Tensor) and y.requires_grad


def test_tensor_index_and_boolean_mask():
    x = minidl.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    picked = x[minidl.tensor([1, 0])]
    np.testing.assert_array_equal(picked.data, [[3.0, 4.0], [1.0, 2.0]])
    masked = x[x > 2.5]
    masked.sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 0], [1, 1]])


def test_manual_seed_repeats_the_global_generator():
    first = minidl.manual_seed(7).standard_normal(3)
    second = minidl.manual_seed(7).standard_normal(3)
    np.testing.assert_array_equal(first, second)
