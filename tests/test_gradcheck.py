"""gradcheck itself: it passes right gradients, catches wrong ones, and reports where."""

import numpy as np
import pytest

import minidl
from minidl.autograd import Function

pytestmark = pytest.mark.engine


class WrongSquare(Function):
    """x² with a deliberately wrong backward (x instead of 2x)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved
        return grad * a


def test_gradcheck_catches_a_wrong_backward_and_reports_it():
    x = minidl.tensor(np.array([[1.0, -2.0], [3.0, 0.5]]), requires_grad=True)
    with pytest.raises(minidl.GradcheckError) as caught:
        minidl.gradcheck(lambda a: WrongSquare.apply(a).sum(), [x])
    report = str(caught.value)
    assert "4 of 4 checks disagree" in report
    # the worst entry is x = 3: analytic 3, numeric 6
    assert "input 0 (shape (2, 2)) at (1, 0): analytic 3, numeric 6" in report
    assert not minidl.gradcheck(lambda a: WrongSquare.apply(a).sum(), [x], raise_exception=False)


def test_directional_check_catches_it_too_and_passes_the_right_gradient():
    x = minidl.tensor(np.linspace(-1.0, 2.0, 50).reshape(5, 10), requires_grad=True)
    assert not minidl.gradcheck(lambda a: WrongSquare.apply(a), [x], directional=True, raise_exception=False)
    assert minidl.gradcheck(lambda a: (a * a).tanh(), [x], directional=True, num_directions=6)


def test_gradcheck_works_on_float32_inputs_by_checking_float64_copies():
    x = minidl.tensor([0.3, -0.7], requires_grad=True)
    assert x.dtype == np.float32
    assert minidl.gradcheck(lambda a: a.sigmoid() * a, [x])
    assert x.dtype == np.float32 and x.grad is None  # the caller's tensor is left alone


def test_gradcheck_passes_non_tensor_arguments_through():
    x = minidl.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    assert minidl.gradcheck(lambda a, axis: a.exp().sum(axis=axis), [x, 0])


def test_gradcheck_rejects_nan_inputs_and_nothing_to_check():
    with pytest.raises(ValueError, match=r"input 0 .*NaN"):
        minidl.gradcheck(lambda a: a * 2, [minidl.tensor(np.array([1.0, np.nan]), requires_grad=True)])
    with pytest.raises(ValueError, match="no input has requires_grad"):
        minidl.gradcheck(lambda a: a * 2, [minidl.tensor(np.array([1.0]))])
    with pytest.raises(TypeError, match="must return a Tensor"):
        minidl.gradcheck(lambda a: 3.0, [minidl.tensor(np.array([1.0]), requires_grad=True)])


def test_eps_experiment_finds_the_bottom_of_the_v_and_saves_its_figure(tmp_path, capsys):
    from minidl.gradcheck.__main__ import EPSILONS, error_table, main

    table = error_table()
    for (name, dtype), errors in table.items():
        best = EPSILONS[np.argmin(errors)]
        # the error is smallest near u^(1/3): 1e-2..1e-4 in float32, 1e-4..1e-7 in float64
        assert (1e-4 <= best <= 1e-2) if dtype == "float32" else (1e-7 <= best <= 1e-4), (name, dtype, best)
        assert errors.min() < (1e-4 if dtype == "float32" else 1e-9)
    main(["--out", str(tmp_path)])
    assert (tmp_path / "gradcheck_eps.png").stat().st_size > 10_000
    assert "smallest median error" in capsys.readouterr().out
