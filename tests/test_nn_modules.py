"""The Module API, layers, initialisation, optimizers and save/load, with known values."""

import io
import json
import re
import math
import warnings
import zipfile
import zlib

import numpy as np
import pytest

import minidl
import minidl.functional as F
from minidl import nn, optim

pytestmark = pytest.mark.nn


def lenet_like():
    minidl.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(2 * 2 * 2, 3)
    )


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = lenet_like()
        self.head = nn.Linear(3, 1)
        self.register_buffer("running_mean", np.zeros(3, dtype=np.float32))

    def forward(self, x):
        return self.head(self.features(x))


# ----- Module API ------------------------------------------------------------------------------
def test_state_dict_keys_follow_pytorch_naming():
    keys = list(Block().state_dict())
    assert keys == [
        "running_mean",
        "features.0.weight",
        "features.0.bias",
        "features.4.weight",
        "features.4.bias",
        "head.weight",
        "head.bias",
    ]
    assert [name for name, _ in Block().named_parameters()] == [k for k in keys if k != "running_mean"]


def test_load_state_dict_round_trip_and_dtype_cast():
    source, target = Block(), Block()
    for p in source.parameters():
        p.data += 1.0
    state = {k: v.astype(np.float64) for k, v in source.state_dict().items()}
    target.load_state_dict(state)
    for (k, a), b in zip(source.state_dict().items(), target.state_dict().values()):
        np.testing.assert_array_equal(a, b)
        assert b.dtype == np.float32, k


def test_load_state_dict_names_every_problem_and_changes_nothing():
    model = Block()
    before = model.state_dict()
    state = dict(before)
    del state["head.bias"]
    state["head.weight"] = np.zeros((2, 3))
    state["extra.weight"] = np.zeros(1)
    with pytest.raises(ValueError) as caught:
        model.load_state_dict(state)
    message = str(caught.value)
    assert "head.weight: expected (1, 3), got (2, 3)" in message
    assert "missing keys: head.bias" in message and "unexpected keys: extra.weight" in message
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v, before[k])
    del state["head.weight"], state["extra.weight"]
    missing, unexpected = model.load_state_dict(state | {"extra": np.ones(1)}, strict=False)
    assert missing == ["head.weight", "head.bias"] and unexpected == ["extra"]


def test_train_eval_children_modules_zero_grad():
    model = Block()
    assert model.training and all(m.training for m in model.modules())
    model.eval()
    assert not any(m.training for m in model.modules())
    assert [type(c).__name__ for c in model.children()] == ["Sequential", "Linear"]
    assert len(list(model.modules())) == 8
    model(minidl.tensor(np.ones((1, 1, 4, 4), np.float32))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


def test_forward_hook_sees_output_and_is_removed():
    model = lenet_like()
    seen = []
    handle = model[0].register_forward_hook(lambda m, inputs, out: seen.append(out.shape))
    x = minidl.tensor(np.ones((2, 1, 4, 4), np.float32))
    model(x)
    handle.remove()
    model(x)
    assert seen == [(2, 2, 4, 4)]
    plain = model(x).data
    doubled = model[4].register_forward_hook(lambda m, inputs, out: out * 2)  # a return value replaces the output
    np.testing.assert_allclose(model(x).data, 2 * plain)
    doubled.remove()
    np.testing.assert_allclose(model(x).data, plain)


def test_repr_tree():
    text = repr(Block())
    assert "(features): Sequential(\n    (0): Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))" in text
    assert "(head): Linear(in_features=3, out_features=1, bias=True)" in text


def test_summary_table(capsys):
    lines = []
    assert nn.summary(lenet_like(), (1, 1, 4, 4), print_fn=lines.append) is None  # a notebook shows it once
    assert len(lines) == 1
    text = lines[0]
    assert "0 (Conv2d)" in text and "(1, 2, 4, 4)" in text and "20" in text
    assert "4 (Linear)" in text and "(1, 3)" in text
    assert "Total params: 47" in text  # conv 2·9 + 2, linear 8·3 + 3
    assert capsys.readouterr().out == ""
    nn.summary(lenet_like(), (1, 1, 4, 4))
    assert capsys.readouterr().out == text + "\n"


def test_multiply_adds_count_by_hand():
    # conv: 2·4·4 outputs × 1·3·3 products = 288; linear: 3 outputs × 8 inputs = 24 (per image)
    assert nn.multiply_adds(lenet_like(), (1, 1, 4, 4)) == 288 + 24
    assert nn.multiply_adds(lenet_like(), (5, 1, 4, 4)) == 5 * (288 + 24)
    from minidl.models import LeNet5

    # LeNet-5 as built here, layer by layer: 416,520 multiply-adds (0.42 M) per 28×28 digit.
    expected = 6 * 28 * 28 * 25 + 16 * 10 * 10 * 150 + 400 * 120 + 120 * 84 + 84 * 10
    assert nn.multiply_adds(LeNet5(), (1, 1, 28, 28)) == expected


# ----- initialisation --------------------------------------------------------------------------
def test_default_init_bounds_and_seed():
    minidl.manual_seed(3)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # Kaiming-uniform with a = √5 gives ±1/√fan_in
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.weight.data).max() > 0.99 * bound
    assert abs(layer.weight.data.std() - bound / math.sqrt(3)) < 0.01 * bound
    conv = nn.Conv2d(3, 16, (5, 3))
    assert np.abs(conv.bias.data).max() <= 1 / math.sqrt(3 * 5 * 3)
    minidl.manual_seed(3)
    np.testing.assert_array_equal(nn.Linear(400, 300).weight.data, layer.weight.data)
    assert layer.weight.dtype == np.float32


# ----- known values ----------------------------------------------------------------------------
def test_slide_convolution_5x5_image_with_x_kernel():
    image = np.array(
        [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]], dtype=np.float32
    )
    kernel = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], dtype=np.float32)
    out = F.conv2d(minidl.tensor(image[None, None]), minidl.tensor(kernel[None, None]))
    np.testing.assert_array_equal(out.data[0, 0], [[4, 3, 4], [2, 4, 3], [2, 3, 4]])


def test_padding_and_stride_output_sizes():
    x = minidl.tensor(np.ones((1, 3, 5, 5), np.float32))
    w = minidl.tensor(np.ones((2, 3, 3, 3), np.float32))
    out = F.conv2d(x, w, minidl.tensor(np.array([1.0, 0.0], np.float32)), stride=2, padding=1)
    assert out.shape == (1, 2, 3, 3)  # ⌊(5 + 2 − 3) / 2⌋ + 1
    np.testing.assert_array_equal(out.data[0, 0], [[13, 19, 13], [19, 28, 19], [13, 19, 13]])
    pooled = F.max_pool2d(minidl.tensor(np.arange(16.0).reshape(1, 1, 4, 4)), 2)
    np.testing.assert_array_equal(pooled.data[0, 0], [[5, 7], [13, 15]])


def test_activation_table_values():
    z = minidl.tensor([-2.0, -0.5, 0.0, 0.25, 0.5, 3.0])
    np.testing.assert_array_equal(F.step(z).data, [0, 0, 0.5, 1, 1, 1])
    np.testing.assert_array_equal(F.sign(z).data, [-1, -1, 0, 1, 1, 1])
    np.testing.assert_array_equal(F.identity(z).data, z.data)
    np.testing.assert_array_equal(F.piecewise_linear(z).data, [0, 0, 0.5, 0.75, 1, 1])
    np.testing.assert_allclose(F.sigmoid(z).data, 1 / (1 + np.exp(-z.data)), rtol=1e-6)
    np.testing.assert_array_equal(F.relu(z).data, [0, 0, 0, 0.25, 0.5, 3])
    np.testing.assert_allclose(F.softplus(z).data, np.log1p(np.exp(z.data)), rtol=1e-6)
    np.testing.assert_allclose(F.tanh(z).data, np.tanh(z.data), rtol=1e-6)
    relu_at_zero = minidl.tensor([0.0], requires_grad=True)
    F.relu(relu_at_zero).sum().backward()
    assert relu_at_zero.grad[0] == 0.0  # ReLU'(0) = 0, as in PyTorch
    with_nan = minidl.tensor([np.nan, -1.0], requires_grad=True)
    out = F.relu(with_nan)
    assert np.isnan(out.data[0]) and out.data[1] == 0.0  # NaN stays NaN, as torch.relu
    out.sum().backward()
    np.testing.assert_array_equal(with_nan.grad, [np.nan, 0.0])  # minidl's NaN rule: f'(NaN) = NaN
    for module, fn in ((nn.Step(), F.step), (nn.PiecewiseLinear(), F.piecewise_linear), (nn.Softplus(), F.softplus)):
        np.testing.assert_array_equal(module(z).data, fn(z).data)


def test_stable_at_extreme_logits_without_warnings():
    z = minidl.tensor(np.array([-1e4, -50.0, 0.0, 50.0, 1e4]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = F.sigmoid(z).data
        sp = F.softplus(z).data
        ls = F.log_softmax(z).data
        bce = F.binary_cross_entropy_with_logits(z, np.array([1.0, 0.0, 1.0, 1.0, 0.0]), reduction="none").data
        ce = F.cross_entropy(z.reshape(1, 5), np.array([0]))
        ce.backward()
        edge = F.binary_cross_entropy(minidl.tensor([0.0, 1.0]), minidl.tensor([1.0, 0.0]), reduction="none").data
    np.testing.assert_array_equal(s[[0, 2, 4]], [0.0, 0.5, 1.0])
    np.testing.assert_allclose(sp, [0.0, np.log1p(np.exp(-50.0)), np.log(2), 50.0, 1e4])
    assert ls[-1] == 0.0 and ls[0] == -2e4
    np.testing.assert_allclose(bce, [1e4, np.log1p(np.exp(-50.0)), np.log(2), np.log1p(np.exp(-50.0)), 1e4])
    assert ce.item() == 2e4 and np.all(np.isfinite(z.grad))
    np.testing.assert_array_equal(edge, [100.0, 100.0])  # PyTorch's clamp of log at −100


# ----- optimizers ------------------------------------------------------------------------------
def test_sgd_step_by_hand():
    # the slide's w(t+1) = w(t) − α ∇l, for l = Σ w² (∇l = 2w)
    w = minidl.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.data, [0.8, -1.6])


def test_sgd_momentum_and_nesterov_by_hand():
    # gradient of l = Σ w is 1 everywhere; momentum 0.9: b₁ = 1, b₂ = 1.9; nesterov adds μ·b
    w = minidl.tensor([0.0], requires_grad=True)
    opt = optim.SGD([w], lr=1.0, momentum=0.9, nesterov=True)
    for _ in range(2):
        opt.zero_grad()
        w.sum().backward()
        opt.step()
    np.testing.assert_allclose(w.data, [-(1 + 0.9 * 1) - (1 + 0.9 * 1.9)])


def test_sgd_dampening_by_hand():
    # gradient 1 everywhere; momentum 0.9, dampening 0.5: b₁ = g = 1 (PyTorch's first step), b₂ = 0.9 + 0.5,
    # b₃ = 0.9·1.4 + 0.5; the state_dict taken after step 2 keeps b₂
    w = minidl.tensor([0.0], requires_grad=True)
    opt = optim.SGD([w], lr=1.0, momentum=0.9, dampening=0.5)
    for step in range(3):
        opt.zero_grad()
        w.sum().backward()
        opt.step()
        if step == 1:
            saved = opt.state_dict()
    np.testing.assert_allclose(w.data, [-(1 + 1.4 + 1.76)])
    np.testing.assert_allclose(saved["state"]["0"]["momentum_buffer"], [1.4])


def test_sgd_momentum_of_a_0d_parameter_broadcast_in_the_graph():
    # w (0-d) broadcast against (1, 0): its gradient arrives as a NumPy scalar (1 each step), and the
    # momentum buffer must still grow: b = 1, 1.9, 2.71, so w = −(1 + 1.9 + 2.71)
    w = minidl.tensor(0.0, requires_grad=True)
    opt = optim.SGD([w], lr=1.0, momentum=0.9)
    for _ in range(3):
        opt.zero_grad()
        (w * minidl.tensor([1.0, 0.0])).sum().backward()
        opt.step()
    np.testing.assert_allclose(w.data, -(1 + 1.9 + 2.71))


def test_adam_first_step_moves_each_weight_by_lr():
    # after bias correction, step 1 is lr · g / (|g| + ε) ≈ lr · sign(g)
    w = minidl.tensor([1.0, -3.0, 0.5], requires_grad=True)
    opt = optim.Adam([w], lr=0.01)
    (w * np.array([2.0, -1.0, 0.0])).sum().backward()
    opt.step()
    np.testing.assert_allclose(w.data, [0.99, -2.99, 0.5], rtol=1e-6)


def test_optimizer_state_dict_resumes_the_same_trajectory(tmp_path):
    def train(steps, w, opt):
        for _ in range(steps):
            opt.zero_grad()
            ((w * w).sum() + w.sum()).backward()
            opt.step()

    w_ref = minidl.tensor([1.0, -2.0], requires_grad=True)
    train(6, w_ref, optim.Adam([w_ref], lr=0.1))
    w = minidl.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.Adam([w], lr=0.1)
    train(3, w, opt)
    minidl.save({"w": w, "opt": opt.state_dict()}, tmp_path / "ckpt.npz")
    saved = minidl.load(tmp_path / "ckpt.npz")
    w2 = minidl.tensor(saved["w"], requires_grad=True)
    opt2 = optim.Adam([w2], lr=0.5)
    opt2.load_state_dict(saved["opt"])
    train(3, w2, opt2)
    np.testing.assert_allclose(w2.data, w_ref.data, rtol=1e-6)


def test_mlp_learns_xor():
    minidl.manual_seed(1)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    x = minidl.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([[0], [1], [1], [0]], dtype=np.float32)
    opt = optim.Adam(model.parameters(), lr=0.05)
    loss_fn = nn.BCEWithLogitsLoss()
    for _ in range(300):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    assert loss.item() < 0.05
    np.testing.assert_array_equal((model(x).data > 0).astype(int), y)


# ----- save / load -----------------------------------------------------------------------------
def test_save_load_round_trip(tmp_path):
    model = Block()
    path = tmp_path / "model.npz"
    minidl.save(model.state_dict(), path)
    loaded = minidl.load(path)
    assert list(loaded) == list(model.state_dict())
    fresh = Block()
    fresh.load_state_dict(loaded)
    x = minidl.tensor(np.random.default_rng(0).random((2, 1, 4, 4), dtype=np.float32))
    np.testing.assert_array_equal(fresh(x).data, model(x).data)
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]  # no temporary file left


def test_save_keeps_the_old_file_when_writing_fails(tmp_path):
    path = tmp_path / "model.npz"
    minidl.save({"w": np.ones(3)}, path)
    with pytest.raises(TypeError, match=r"obj\['bad'\] is a object"):
        minidl.save({"w": np.zeros(3), "bad": object()}, path)
    np.testing.assert_array_equal(minidl.load(path)["w"], np.ones(3))
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_load_rejects_truncated_corrupt_foreign_and_pickled_files(tmp_path):
    good = tmp_path / "good.npz"
    minidl.save({"w": np.arange(1000.0)}, good)
    data = good.read_bytes()
    (tmp_path / "truncated.npz").write_bytes(data[: len(data) // 2])
    (tmp_path / "garbage.npz").write_bytes(b"not a zip file at all")
    np.savez(tmp_path / "foreign.npz", w=np.ones(2))
    manifest = '{"format": "minidl-state-1", "tree": {"__array__": "evil"}}'
    np.savez(
        tmp_path / "pickled.npz",
        **{"__minidl_manifest__": np.array(manifest), "evil": np.array([{"a": 1}], dtype=object)},
    )
    for name, words in (
        ("truncated", "truncated or corrupted"),
        ("garbage", "truncated or corrupted"),
        ("foreign", "not one written by minidl.save"),
        ("pickled", "cannot be read safely"),
    ):
        with pytest.raises(ValueError, match=words):
            minidl.load(tmp_path / f"{name}.npz")


def test_load_of_a_plain_np_savez_of_a_state_dict_says_how_to_load_it_and_that_way_works(tmp_path):
    """A state_dict saved with np.savez (as PyTorch users do): minidl.load names the one line that
    loads it, and that line gives the same model."""
    model = minidl.nn.Linear(3, 2)
    path = tmp_path / "plain.npz"
    np.savez(path, **model.state_dict())
    with pytest.raises(ValueError, match=re.escape("model.load_state_dict(dict(np.load(path)))")):
        minidl.load(path)
    fresh = minidl.nn.Linear(3, 2)
    fresh.load_state_dict(dict(np.load(path)))
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[name], value)


def crafted_file(path, manifest: str, **arrays):
    """An .npz holding the given manifest text and arrays, as an attacker would write it."""
    np.savez(path, __minidl_manifest__=np.array(manifest), **arrays)
    return path


def crafted_tree(tree) -> str:
    return json.dumps({"format": "minidl-state-1", "tree": tree})


CRAFTED_MANIFESTS = {
    "a list": ("[1, 2]", "not the JSON object with a tree"),
    "a string": ('"weights"', "not the JSON object with a tree"),
    "no tree": ('{"format": "minidl-state-1"}', "not the JSON object with a tree"),
    "100k-deep JSON": ("[" * 100_000 + "]" * 100_000, "nests deeper than 100 levels"),
    "a list as a dict": (crafted_tree({"__dict__": [{"__array__": "array_0"}]}), r"keys \['__dict__'\] at tree"),
    "an untagged dict": (crafted_tree({"__dict__": {"w": [{"a": 1}]}}), r"keys \['a'\] at tree\['w'\]\[0\]"),
    "a number as a key": (crafted_tree({"__array__": 0}), r"keys \['__array__'\] at tree"),
    "two tags": (crafted_tree({"__array__": "array_0", "__dict__": {}}), r"keys \['__array__', '__dict__'\]"),
    "102 lists deep": (crafted_tree(json.loads("[" * 102 + "]" * 102)), "nests deeper than 100 levels"),
    "a missing array": (crafted_tree({"__array__": "array_9"}), "names array 'array_9', which the file does not hold"),
    "an array twice": (
        crafted_tree([{"__array__": "array_0"}, {"__array__": "array_0"}]),
        "names array 'array_0' twice",
    ),
}


@pytest.mark.parametrize("manifest, words", CRAFTED_MANIFESTS.values(), ids=CRAFTED_MANIFESTS)
def test_load_refuses_a_crafted_manifest_with_a_value_error(tmp_path, manifest, words):
    path = crafted_file(tmp_path / "crafted.npz", manifest, array_0=np.ones(2))
    with pytest.raises(ValueError, match=f"^load: .*{words}"):
        minidl.load(path)


def add_member_that_cannot_be_inflated(path, name: str, size: int) -> None:
    """Append member `name` that declares `size` bytes, stored as they are but marked deflated:
    reading it fails, so a load that succeeds, or refuses for another reason, never read it."""
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(zipfile.ZipInfo(name), b"\x00" * size)
        archive.getinfo(name).compress_type = zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path) as archive, pytest.raises(zlib.error):
        archive.read(name)


def test_load_reads_only_the_arrays_the_manifest_names(tmp_path):
    path = tmp_path / "model.npz"
    minidl.save({"w": np.arange(3.0)}, path)
    add_member_that_cannot_be_inflated(path, "unnamed.npy", 64)
    np.testing.assert_array_equal(minidl.load(path)["w"], np.arange(3.0))


def test_load_refuses_arrays_over_max_bytes_before_reading_them(tmp_path):
    path = tmp_path / "model.npz"
    minidl.save({"a": np.zeros(10_000), "b": np.zeros(10_000)}, path)  # 80 kB each, 160 kB in all
    with pytest.raises(ValueError, match=r"arrays take 160\d\d\d bytes, more than max_bytes=100000.*max_bytes=\.\.\."):
        minidl.load(path, max_bytes=100_000)
    assert set(minidl.load(path, max_bytes=200_000)) == {"a", "b"}
    assert minidl.io.MAX_BYTES == 2**30 and set(minidl.load(path)) == {"a", "b"}
    tree = {"__dict__": {"a": {"__array__": "array_0"}, "b": {"__array__": "array_1"}}}
    crafted = crafted_file(tmp_path / "crafted.npz", crafted_tree(tree), array_0=np.zeros(10_000))
    add_member_that_cannot_be_inflated(crafted, "array_1.npy", 80_000)  # reading it first would fail
    with pytest.raises(ValueError, match=r"arrays take 160\d\d\d bytes, more than max_bytes=100000"):
        minidl.load(crafted, max_bytes=100_000)


def test_the_manifest_has_a_cap_of_its_own_which_save_keeps_to(tmp_path):
    # JSON text is stored 4 bytes a character: 1.1 million spaces after a valid manifest take 4.4 MB.
    padded = crafted_tree({"__dict__": {"w": {"__array__": "array_0"}}}) + " " * 1_100_000
    path = crafted_file(tmp_path / "padded.npz", padded, array_0=np.ones(2))
    with pytest.raises(ValueError, match=r"array '__minidl_manifest__' takes 44\d{5} bytes, more than 4194304"):
        minidl.load(path, max_bytes=2**40)  # not raised by max_bytes, which counts the arrays
    assert minidl.io.MAX_MANIFEST_BYTES == 4 * 2**20
    with pytest.raises(ValueError, match=r"save: .* more than 4194304 .* as arrays"):
        minidl.save({"history": [0.5] * 300_000}, tmp_path / "history.npz")  # 1.5 million characters
    minidl.save({"history": [0.5] * 100_000}, tmp_path / "history.npz")
    assert minidl.load(tmp_path / "history.npz")["history"] == [0.5] * 100_000


def test_load_refuses_an_array_header_that_promises_more_than_its_member_holds(tmp_path):
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"shape": (10**9,), "fortran_order": False, "descr": "<f8"})
    path = tmp_path / "crafted.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("__minidl_manifest__.npy", npy_bytes(np.array(crafted_tree({"__array__": "big"}))))
        archive.writestr("big.npy", header.getvalue() + b"\x00" * 16)  # 8 GB promised, 16 bytes held
    with pytest.raises(ValueError, match=r"array 'big' claims shape \(1000000000,\) of float64, more bytes"):
        minidl.load(path)


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_save_refuses_nesting_that_load_would_refuse_and_keeps_what_it_accepts(tmp_path):
    deepest = np.ones(2)
    for _ in range(100):
        deepest = [deepest]
    minidl.save(deepest, tmp_path / "deep.npz")
    loaded = minidl.load(tmp_path / "deep.npz")
    for _ in range(100):
        loaded = loaded[0]
    np.testing.assert_array_equal(loaded, np.ones(2))
    with pytest.raises(ValueError, match="deeper than 100 levels"):
        minidl.save([deepest], tmp_path / "deeper.npz")
    assert [p.name for p in tmp_path.iterdir()] == ["deep.npz"]


# ----- bad input -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make, error, words",
    [
        (
            lambda: nn.Conv2d(3, 4, 3)(minidl.tensor(np.ones((1, 1, 5, 5)))),
            ValueError,
            ["conv2d", "(1, 1, 5, 5) has 1 channel", "expects 3"],
        ),
        (lambda: nn.Conv2d(1, 4, 3)(minidl.tensor(np.ones((1, 5, 5)))), ValueError, ["(N, C, H, W)", "(1, 5, 5)"]),
        (
            lambda: F.conv2d(minidl.tensor(np.ones((1, 1, 2, 2))), minidl.tensor(np.ones((1, 1, 3, 3)))),
            ValueError,
            ["kernel", "larger than the padded input height 2"],
        ),
        (lambda: nn.Conv2d(1, 0, 3), ValueError, ["out_channels", "positive", "0"]),
        (lambda: nn.Conv2d(1, 2, 3, stride=0), ValueError, ["stride", ">= 1"]),
        (lambda: nn.Linear(-1, 2), ValueError, ["in_features", "-1"]),
        (lambda: nn.Linear(3, 2)(minidl.tensor(np.ones((4, 5)))), ValueError, ["in_features = 3", "(4, 5)"]),
        (lambda: nn.MaxPool2d(3)(minidl.tensor(np.ones((1, 1, 2, 2)))), ValueError, ["max_pool2d", "larger than"]),
        (lambda: nn.MaxPool2d(2, padding=2), None, []),
        (lambda: F.max_pool2d(minidl.tensor(np.ones((1, 1, 6, 6))), 2, padding=2), ValueError, ["at most half"]),
        (
            lambda: F.conv2d(minidl.tensor(np.ones((1, 1, 4, 4), np.int64)), minidl.tensor(np.ones((1, 1, 3, 3)))),
            TypeError,
            ["conv2d", "int64", "float32 or float64"],
        ),
        (lambda: F.max_pool2d(minidl.tensor(np.ones((1, 1, 4, 4), np.uint8)), 2), TypeError, ["max_pool2d", "uint8"]),
        (lambda: F.cross_entropy(minidl.tensor(np.ones((2, 3))), np.array([0, 3])), ValueError, ["[0, 2]", "[0, 3]"]),
        (
            lambda: F.cross_entropy(minidl.tensor(np.ones((2, 3))), np.array([0.0, 1.0])),
            TypeError,
            ["integer", "float64"],
        ),
        (lambda: F.cross_entropy(minidl.tensor(np.ones((2, 3))), np.array([0, 1, 2])), ValueError, ["(3,)", "(2,)"]),
        (
            lambda: F.binary_cross_entropy(minidl.tensor([0.5, 1.5]), np.array([0.0, 1.0])),
            ValueError,
            ["[0, 1]", "1.5", "with_logits"],
        ),
        (
            lambda: F.cross_entropy(minidl.tensor(np.ones((2, 3))), np.array([0, 1]), "sum"),
            TypeError,
            ["class weights", "reduction='sum'"],
        ),
        (
            lambda: F.cross_entropy(minidl.tensor(np.ones((2, 3))), np.array([0, 1]), np.ones(2)),
            ValueError,
            ["weight", "(2,)", "(3,)"],
        ),
        (
            lambda: F.cross_entropy(minidl.tensor(np.ones((2, 3))), np.array([0, 1]), label_smoothing=1.5),
            ValueError,
            ["label_smoothing", "1.5"],
        ),
        (
            lambda: F.cross_entropy(minidl.tensor(np.ones((2, 3))), np.array([0, -1])),
            ValueError,
            ["[0, 2]", "ignore_index = -100"],
        ),
        (
            lambda: F.binary_cross_entropy_with_logits(
                minidl.tensor(np.ones((2, 3))), np.ones((2, 3)), pos_weight=np.ones(2)
            ),
            ValueError,
            ["pos_weight", "(2,)", "(2, 3)"],
        ),
        (lambda: F.one_hot(np.array([0.0, 1.0])), TypeError, ["one_hot", "integers", "float64"]),
        (lambda: F.one_hot(np.array([0, 3]), 3), ValueError, ["one_hot", "[0, 2]", "[0, 3]"]),
        (lambda: F.gelu(minidl.tensor([1.0]), approximate="erf"), ValueError, ["gelu", "'none' or 'tanh'", "'erf'"]),
        (lambda: nn.Hardtanh(1.0, -1.0), ValueError, ["Hardtanh", "min_val = 1.0", "max_val = -1.0"]),
        (
            lambda: F.layer_norm(minidl.tensor(np.ones((2, 3))), 3, weight=minidl.tensor(np.ones(2))),
            ValueError,
            ["weight", "(2,)", "(3,)"],
        ),
        (lambda: F.mse_loss(minidl.tensor(np.ones(3)), np.ones(4)), ValueError, ["(3,)", "(4,)"]),
        (lambda: nn.MSELoss(reduction="avg"), ValueError, ["reduction", "'avg'"]),
        (lambda: optim.SGD([], lr=0.1), ValueError, ["empty"]),
        (lambda: optim.SGD([minidl.tensor([1.0])], lr=0.1), TypeError, ["requires grad"]),
        (lambda: nn.Sequential(nn.ReLU(), "relu"), TypeError, ["argument 1", "str"]),
        (lambda: nn.Dropout(1.5), ValueError, ["[0, 1]", "1.5"]),
    ],
)
def test_layer_errors(make, error, words):
    if error is None:
        make()  # constructing is fine; the check happens on the input
        return
    with pytest.raises(error) as caught:
        make()
    for word in words:
        assert word in str(caught.value), f"{word!r} missing from: {caught.value}"
