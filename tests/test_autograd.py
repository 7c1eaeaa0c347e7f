"""The backward sweep: known gradients, accumulation, no_grad, retain_grad and very deep graphs."""

import threading

import numpy as np
import pytest

import minidl
from minidl.autograd import topological_order, unbroadcast

pytestmark = pytest.mark.engine


def test_chain_rule_known_values():
    # f = (x·y + z)²  at x=2, y=3, z=1:  f = 49, df/dx = 2·7·y = 42, df/dy = 2·7·x = 28, df/dz = 14
    x, y, z = (minidl.tensor(v, requires_grad=True) for v in (2.0, 3.0, 1.0))
    f = (x * y + z) ** 2
    f.backward()
    assert f.item() == 49.0
    assert (x.grad, y.grad, z.grad) == (42.0, 28.0, 14.0)


def test_shared_subexpression_adds_both_paths():
    # f = a·a + a  → df/da = 2a + 1 = 7 at a = 3 (the graph reaches a along three edges)
    a = minidl.tensor(3.0, requires_grad=True)
    (a * a + a).backward()
    assert a.grad == 7.0


def test_broadcast_gradient_is_summed_back():
    col = minidl.tensor(np.ones((3, 1)), requires_grad=True)
    row = minidl.tensor(np.ones((1, 4)), requires_grad=True)
    scalar = minidl.tensor(np.float64(2.0), requires_grad=True)
    ((col + row) * scalar).sum().backward()
    np.testing.assert_array_equal(col.grad, np.full((3, 1), 8.0))  # 4 copies × scalar 2
    np.testing.assert_array_equal(row.grad, np.full((1, 4), 6.0))  # 3 copies × 2
    assert scalar.grad == 24.0  # Σ (col + row) = 12 entries of 2
    assert col.grad.shape == (3, 1) and row.grad.shape == (1, 4) and scalar.grad.shape == ()


def test_unbroadcast_reduces_leading_and_stretched_axes():
    grad = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(unbroadcast(grad, (3, 1)), grad.sum(axis=(0, 2))[:, None])
    np.testing.assert_array_equal(unbroadcast(grad, ()), grad.sum())
    assert unbroadcast(grad, (2, 3, 4)) is grad


def test_repeated_integer_index_accumulates():
    x = minidl.tensor([10.0, 20.0, 30.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 0.0, 1.0])


def test_max_tie_rule_first_maximal_entry():
    x = minidl.tensor([[1.0, 3.0, 3.0], [5.0, 5.0, 0.0]], requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0, 1, 0], [1, 0, 0]])
    y = minidl.tensor([[2.0, 7.0], [7.0, 1.0]], requires_grad=True)
    y.max().backward()
    np.testing.assert_array_equal(y.grad, [[0, 1], [0, 0]])


def test_gradients_accumulate_across_backward_calls():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])  # 2 × 2x
    x.grad = None
    (x * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_no_grad_records_no_graph():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    with minidl.no_grad():
        y = (x * 2).exp().sum()
    assert not y.requires_grad and y._node is None
    z = (x * 2).sum()
    assert z.requires_grad  # recording resumes after the block


def test_no_grad_restores_state_after_exception():
    with pytest.raises(ZeroDivisionError):
        with minidl.no_grad():
            _ = 1 / 0
    assert minidl.autograd.is_grad_enabled()


def test_no_grad_applies_to_its_own_thread_only():
    inside, outside = threading.Event(), threading.Event()
    seen = {}

    def evaluate():
        with minidl.no_grad():
            inside.set()
            outside.wait(5)
            seen["other thread"] = minidl.autograd.is_grad_enabled()

    worker = threading.Thread(target=evaluate)
    worker.start()
    inside.wait(5)
    x = minidl.tensor([1.0], requires_grad=True)
    seen["this thread"] = (x * 2).requires_grad
    outside.set()
    worker.join()
    assert seen == {"other thread": False, "this thread": True}


def test_retain_grad_keeps_intermediate_gradient():
    x = minidl.tensor([1.0, -2.0], requires_grad=True)
    hidden = (x * 3.0).retain_grad()
    other = x * 2.0
    (hidden * hidden + other).sum().backward()
    np.testing.assert_array_equal(hidden.grad, 2 * hidden.data)
    assert other.grad is None


def test_deep_chain_of_100000_additions():
    x = minidl.tensor(0.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.backward()
    assert y.item() == 100_000.0
    assert x.grad == 1.0


def test_topological_order_puts_inputs_first():
    a = minidl.tensor(1.0, requires_grad=True)
    b = a * 2.0
    c = b + a
    d = c * b
    order = topological_order(d)
    position = {id(t): i for i, t in enumerate(order)}
    assert len(order) == 4
    assert position[id(a)] < position[id(b)] < position[id(c)] < position[id(d)]


def test_constant_inputs_get_no_gradient():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    c = minidl.tensor([3.0, 4.0])
    (x * c).sum().backward()
    assert c.grad is None
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


def test_detach_cuts_the_graph():
    x = minidl.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).detach() * x
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 4.0])  # x² treated as a constant


def test_a_function_written_as_for_torch_autograd_runs_with_ctx_saved_tensors():
    """x³ with PyTorch's spelling: save_for_backward, then ctx.saved_tensors in backward."""

    class Cube(minidl.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x**3

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 3 * x**2 * grad

    x = minidl.tensor([1.0, -2.0, 3.0], requires_grad=True)
    Cube.apply(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 12.0, 27.0])
