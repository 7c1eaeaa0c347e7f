"""The seam between the reading path (minidl/ops) and the fast path (minidl/kernels): conv2d_path says
which algorithm runs and why, every fast twin computes what its reading path computes, the reading
path stays plain (no fast-path code, Convolution2d on one screen, no timings), MINIDL_KERNELS=numpy
runs it alone, and NUMBA_DISABLE_JIT=1 runs every path."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import minidl
import minidl.functional as F
from minidl.kernels import PATHS, conv2d_path, implementation, use_kernels
from minidl.ops import activations, convolution, linear, matmul, pooling

pytestmark = pytest.mark.kernels
PACKAGE = Path(minidl.__file__).parent


@pytest.mark.parametrize(
    "x_shape, w_shape, options, path, words",
    [
        ((8, 1, 28, 28), (6, 1, 5, 5), dict(padding=2), "direct", ["1 input channel(s)", "5×5"]),
        ((8, 6, 14, 14), (16, 6, 5, 5), {}, "im2col", ["Winograd takes 3×3", "more than 3 channels"]),
        ((8, 16, 32, 32), (32, 16, 3, 3), dict(padding=1), "winograd", ["16 input channel(s) over 32", "16 channels"]),
        ((8, 16, 16, 16), (16, 16, 3, 3), dict(padding=1), "im2col", ["too few channels for Winograd", "32 at 16"]),
        ((8, 1, 64, 64), (8, 1, 3, 3), dict(padding=1), "im2col", ["a window narrower than 5"]),
        ((8, 16, 32, 32), (32, 16, 3, 3), dict(stride=2), "im2col", ["stride (2, 2)", "need stride 1"]),
        ((8, 4, 32, 32), (8, 2, 3, 3), dict(groups=2), "im2col", ["2 group(s)"]),
        ((8, 1, 28, 28), (6, 1, 5, 5), dict(dtype="float16"), "reference", ["float16", "float32 or float64"]),
        ((8, 1, 28, 28), (6, 1, 5, 5), dict(dtype=np.float64), "direct", []),
    ],
)  # fmt: skip
def test_conv2d_path_names_the_path_and_says_why(x_shape, w_shape, options, path, words):
    name, reason = conv2d_path(x_shape, w_shape, **options)
    assert name == path and name in PATHS
    for word in words:
        assert word in reason, f"{word!r} missing from: {reason}"
    with use_kernels("numpy"):
        assert conv2d_path(x_shape, w_shape, **options) == (
            "reference",
            "MINIDL_KERNELS=numpy: the reading path, minidl/ops/convolution.py",
        )


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: conv2d_path((8, 1, 28), (6, 1, 5, 5)), ["x_shape", "4 non-negative sizes", "(8, 1, 28)"]),
        (lambda: conv2d_path((8, 1, 28, 28), (6, 1, -5, 5)), ["weight_shape", "(6, 1, -5, 5)"]),
        (lambda: conv2d_path((8, 1, 28, 28), (6, 1, 5, 5), stride=0), ["stride"]),
        (lambda: conv2d_path((8, 1, 28, 28), (6, 1, 5, 5), groups=0), ["groups"]),
        (lambda: conv2d_path((8, 1, 28, 28), (6, 1, 5, 5), dtype="fast"), ["dtype", "'fast'"]),
    ],
)
def test_conv2d_path_refuses_what_is_not_a_layer(call, words):
    with pytest.raises(ValueError) as caught:
        call()
    for word in words:
        assert word in str(caught.value), f"{word!r} missing from: {caught.value}"


def test_every_fast_twin_is_a_subclass_of_its_reading_path_and_numpy_runs_the_reading_path():
    references = [activations.ReLUFunction, pooling.MaxPooling2d, linear.Linear, matmul.MatMul]
    for reference in references:
        assert issubclass(implementation(reference), reference) and implementation(reference) is not reference
    for path in ("im2col", "winograd", "direct"):
        assert issubclass(implementation(convolution.Convolution2d, path), convolution.Convolution2d)
    assert implementation(convolution.Convolution2d, "reference") is convolution.Convolution2d
    assert implementation(activations.SigmoidFunction) is activations.SigmoidFunction  # no twin
    with use_kernels("numpy"):
        for reference in references:
            assert implementation(reference) is reference
        assert implementation(convolution.Convolution2d, "winograd") is convolution.Convolution2d


def both_paths(call) -> tuple:
    """call() on the reading path (MINIDL_KERNELS=numpy), then on the fast path: (result, gradients)."""
    results = []
    for backend in ("numpy", "numba"):
        with use_kernels(backend):
            results.append(call())
    return tuple(results)


def value_and_gradients(function, *arrays):
    """function(*tensors)'s value and every input's gradient under a fixed random upstream gradient."""
    tensors = [minidl.tensor(a, requires_grad=True) for a in arrays]
    out = function(*tensors)
    upstream = np.random.default_rng(9).standard_normal(out.shape)
    (out * minidl.tensor(upstream)).sum().backward()
    return [out.data] + [t.grad for t in tensors]


rng = np.random.default_rng(0)
CASES = {
    "conv2d on im2col's path, stride, dilation, groups": (
        lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2),
        [rng.standard_normal((3, 4, 9, 10)), rng.standard_normal((6, 2, 3, 3)), rng.standard_normal(6)],
    ),
    "conv2d on Winograd's path": (
        lambda x, w, b: F.conv2d(x, w, b, padding=1),
        [rng.standard_normal((3, 16, 10, 34)), rng.standard_normal((5, 16, 3, 3)), rng.standard_normal(5)],
    ),
    "conv2d on the direct path": (
        lambda x, w, b: F.conv2d(x, w, b, padding=2),
        [rng.standard_normal((3, 3, 11, 12)), rng.standard_normal((4, 3, 5, 5)), rng.standard_normal(4)],
    ),
    "max_pool2d": (lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True), [rng.standard_normal((2, 3, 9, 8))]),
    "relu": (lambda z: z.relu(), [rng.standard_normal((4, 5, 6))]),
    "linear": (F.linear, [rng.standard_normal((2, 7, 5)), rng.standard_normal((3, 5)), rng.standard_normal(3)]),
    "matmul": (lambda a, b: a @ b, [rng.standard_normal((2, 1, 4, 5)), rng.standard_normal((3, 5, 2))]),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_the_fast_path_computes_what_the_reading_path_computes(case):
    function, arrays = CASES[case]
    reading, fast = both_paths(lambda: value_and_gradients(function, *arrays))
    for name, plain, quick in zip(["value"] + [f"gradient {k}" for k in range(len(arrays))], reading, fast):
        np.testing.assert_allclose(quick, plain, rtol=1e-11, atol=1e-11, err_msg=name)


def run_python(script: str, **environment: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **environment},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


TRAINING_STEP = """
import sys, threading
import numpy as np
import minidl, minidl.functional as F
from minidl.models import LeNet5, UNet
x = minidl.tensor(np.random.default_rng(0).random((64, 1, 28, 28), dtype=np.float32))
F.cross_entropy(LeNet5()(x), np.arange(64) % 10).backward()
UNet(base_channels=8, depth=2)(minidl.tensor(np.zeros((4, 1, 32, 32), np.float32))).sum().backward()
"""


def test_the_reading_path_alone_imports_no_numba_and_starts_no_thread():
    """MINIDL_KERNELS=numpy: a LeNet-5 and a U-Net training step, on the reading path alone."""
    out = run_python(TRAINING_STEP + "print('numba' in sys.modules, threading.active_count())", MINIDL_KERNELS="numpy")
    assert out.split() == ["False", "1"]


def test_numba_disable_jit_runs_every_path():
    """NUMBA_DISABLE_JIT=1 (the way to step through a kernel in a debugger): every convolution path,
    max-pooling and ReLU run as plain Python, on a batch of 64 that the workers share, and give the
    numbers of the compiled kernels."""
    script = """
    import numpy as np
    import minidl, minidl.functional as F
    from minidl.kernels import conv2d_path, pieces
    pieces.PIECE_MULTIPLY_ADDS = 1  # eight pieces for the two workers to share
    rng = np.random.default_rng(0)
    layers = [((64, 1, 8, 8), (2, 1, 5, 5), 2), ((64, 16, 4, 70), (2, 16, 3, 3), 1), ((64, 6, 5, 5), (2, 6, 3, 3), 1)]
    for x_shape, w_shape, padding in layers:
        x, w = (minidl.tensor(rng.standard_normal(s), requires_grad=True) for s in (x_shape, w_shape))
        out = F.max_pool2d(F.conv2d(x, w, padding=padding).relu(), 2)
        loss = (out * out).sum()
        loss.backward()
        path = conv2d_path(x_shape, w_shape, padding=padding, dtype="float64")[0]
        print(path, repr(float(loss.item())), repr(float(np.abs(w.grad).sum())))
    """
    compiled = run_python(script).splitlines()
    plain = run_python(script, NUMBA_DISABLE_JIT="1").splitlines()
    assert [line.split()[0] for line in plain] == ["direct", "winograd", "im2col"]
    for mine, theirs in zip(plain, compiled):
        np.testing.assert_allclose(
            [float(v) for v in mine.split()[1:]], [float(v) for v in theirs.split()[1:]], rtol=1e-12
        )


def test_python_m_minidl_kernels_names_the_path_of_every_convolution_of_the_lessons_models():
    out = run_python("import runpy; runpy.run_module('minidl.kernels', run_name='__main__')")
    rows = re.findall(r"^  (\S+) +(\([\d, ]+\)) +(\w+) +(.+)$", out, flags=re.MULTILINE)
    assert len(rows) == 2 + 5 + 11  # LeNet-5, the AlexNet-style network, the U-Net
    assert [(name, path) for name, _, path, _ in rows[:2]] == [("features.0", "direct"), ("features.3", "im2col")]
    assert {path for _, _, path, _ in rows} == {"direct", "im2col", "winograd"}
    assert "LeNet-5" in out and "AlexNet" in out and "U-Net" in out and "workers:" in out


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("folder", ["ops", "nn", "xai"])
def test_the_reading_path_imports_nothing_of_the_fast_path(folder):
    """ops/, nn/ and xai/ are what a student opens: no threads, pieces, numba or kernels in them."""
    for path in sorted((PACKAGE / folder).glob("*.py")):
        fast = {
            name for name in imports_of(path) if name.startswith(("minidl.kernels", "numba", "threading", "concurrent"))
        }
        assert not fast, f"{path.relative_to(PACKAGE)} imports {sorted(fast)}"


def statement_lines(function: ast.FunctionDef) -> int:
    """The lines of code in a function's body: every line some statement covers, but the docstring,
    the comments and the blank lines."""
    body = function.body[1:] if ast.get_docstring(function) else function.body
    lines = set()
    for statement in body:
        for node in ast.walk(statement):
            if hasattr(node, "lineno"):
                lines.update(range(node.lineno, node.end_lineno + 1))
    return len(lines)


def test_convolution2d_reads_on_one_screen():
    """The reading path's conv2d, forward and backward together, in at most 40 lines of code."""
    tree = ast.parse((PACKAGE / "ops" / "convolution.py").read_text(encoding="utf-8"))
    (convolution_class,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Convolution2d"]
    methods = {n.name: n for n in convolution_class.body if isinstance(n, ast.FunctionDef)}
    assert set(methods) == {"forward", "backward"}
    assert sum(statement_lines(method) for method in methods.values()) <= 40


def test_no_timings_in_minidls_code():
    """Measured stories belong to the benchmarks and the site, not to comments that go stale."""
    timing = re.compile(r"\d(\.\d+)? ?(ms|µs|us)\b")
    found = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if timing.search(line)
    ]
    assert found == []
