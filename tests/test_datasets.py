"""Data: the shipped MNIST subset, IDX files and full MNIST, Sign Language MNIST CSVs, the
generated sets and the DataLoader. Every file a test reads, the test writes itself."""

import gzip
import hashlib
import http.server
import threading
import tracemalloc
import zlib

import numpy as np
import pytest

from minidl.datasets import (
    DataLoader,
    DatasetError,
    DatasetNotFoundError,
    load_mnist,
    load_sign_mnist,
    make_circles,
    make_regression_1d,
    make_shapes,
    make_spirals,
    make_xor,
    read_idx,
)
from minidl.datasets import download as download_module
from minidl.datasets import mnist as mnist_module
from data_files import idx_bytes, write_full_mnist, write_sign_csv

pytestmark = pytest.mark.datasets


def test_mnist_split_is_stratified_disjoint_and_repeatable():
    train_x, train_y = load_mnist("train")
    test_x, test_y = load_mnist("test")
    assert train_x.shape == (4000, 1, 28, 28) and test_x.shape == (1000, 1, 28, 28)
    assert train_x.dtype == np.float32 and train_y.dtype == np.int64
    assert 0.0 == train_x.min() and train_x.max() == 1.0
    assert np.bincount(train_y).tolist() == [400] * 10 and np.bincount(test_y).tolist() == [100] * 10
    assert len(set(np.unique(train_y[:50]))) > 5  # shuffled: the first batch mixes digits
    train_keys = {x.tobytes() for x in train_x}
    assert not any(x.tobytes() in train_keys for x in test_x[:200])
    again_x, again_y = load_mnist("train")
    np.testing.assert_array_equal(again_x, train_x)
    np.testing.assert_array_equal(again_y, train_y)


def test_unknown_split():
    with pytest.raises(ValueError, match="'train' or 'test', got 'valid'"):
        load_mnist("valid")


# ----- IDX files and full MNIST ----------------------------------------------------------------
@pytest.mark.parametrize(
    "array",
    [np.arange(24, dtype=np.uint8).reshape(2, 3, 4), np.array([-5, 70000], dtype=np.int32), np.array([[1.5, -2.25]])],
)
@pytest.mark.parametrize("zipped", [False, True])
def test_read_idx_round_trip(tmp_path, array, zipped):
    data = idx_bytes(array)
    path = tmp_path / ("a.idx.gz" if zipped else "a.idx")
    path.write_bytes(gzip.compress(data) if zipped else data)
    result = read_idx(path)
    assert result.dtype == array.dtype.newbyteorder("=") and result.shape == array.shape
    np.testing.assert_array_equal(result, array)


def gzip_with_garbled_deflate(data: bytes) -> bytes:
    """A gzip file whose header and trailer are right but whose compressed bytes are not deflate."""
    packed = gzip.compress(data)
    return packed[:10] + b"\xff" * (len(packed) - 18) + packed[-8:]


MAX_INTP = f"at most {np.iinfo(np.intp).max}"  # NumPy's limit on an array's bytes, even an empty array's


@pytest.mark.parametrize(
    "content, words",
    [
        (b"\x89PNG\r\n\x1a\n", ["not an IDX file", "89504e47"]),
        (b"", ["not an IDX file", "nothing"]),
        (idx_bytes(np.zeros((3, 4), np.uint8))[:-1], ["12 bytes", "holds 11", "truncated"]),
        (idx_bytes(np.zeros((3, 4), np.uint8))[:6], ["truncated inside its header"]),
        (gzip.compress(idx_bytes(np.zeros(5, np.uint8)))[:-6], ["damaged gzip"]),
        (gzip_with_garbled_deflate(idx_bytes(np.zeros(500, np.uint8))), ["damaged gzip", "invalid"]),
        (bytes([0, 0, 8, 255]) + (1).to_bytes(4, "big") * 255 + b"\x00", ["announces 255 dimensions", "at most 32"]),
        (bytes([0, 0, 8, 3]) + (2**32 - 1).to_bytes(4, "big") * 3, ["79228162458924105385300197375 bytes", MAX_INTP]),
        (
            bytes([0, 0, 8, 3]) + bytes(4) + (2**32 - 1).to_bytes(4, "big") * 2,
            ["(0, 4294967295, 4294967295)", MAX_INTP],
        ),
        (bytes([0, 0, 8, 32]) + bytes(4) + (2**32 - 1).to_bytes(4, "big") * 31, ["4294967295)", MAX_INTP]),
        (idx_bytes(np.zeros((3, 4), np.uint8)) + b"\x00", ["12 bytes", "holds more"]),
    ],
    ids=[
        "not IDX",
        "empty",
        "one byte short",
        "inside the header",
        "cut gzip",
        "garbled deflate",
        "255 dimensions",
        "sizes past 2**64",
        "a 0 beside sizes past 2**63",
        "32 dimensions",
        "one byte too many",
    ],
)
def test_malformed_idx_files_are_named_and_explained_by_a_dataset_error(tmp_path, content, words):
    path = tmp_path / "bad.idx"
    path.write_bytes(content)
    with pytest.raises(DatasetError) as caught:
        read_idx(path)
    for word in words:
        assert word in str(caught.value)


def test_a_gzip_file_is_inflated_only_as_far_as_its_header_announces(tmp_path):
    packer = zlib.compressobj(wbits=31)  # 31: a gzip stream
    path = tmp_path / "bomb.idx.gz"
    with path.open("wb") as file:
        file.write(packer.compress(idx_bytes(np.zeros(10, np.uint8))))  # the header announces 10 bytes
        for _ in range(64):  # and 64 MB of zeros follow, 64 kB compressed
            file.write(packer.compress(bytes(1 << 20)))
        file.write(packer.flush())
    tracemalloc.start()
    try:
        with pytest.raises(DatasetError, match="should hold 10 bytes .* but holds more"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"{peak / 2**20:.0f} MB allocated to refuse a file that announces 10 bytes"


def test_full_mnist_reads_the_cache_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIDL_DATA", str(tmp_path))
    for split, (images, labels) in write_full_mnist(tmp_path / "mnist").items():
        x, y = load_mnist(split, full=True)
        assert x.shape == (len(images), 1, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64
        np.testing.assert_allclose(x[:, 0] * 255, images, atol=1e-4)
        np.testing.assert_array_equal(y, labels)


def test_full_mnist_without_files_or_network_says_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIDL_DATA", str(tmp_path))
    monkeypatch.setattr(mnist_module, "MIRRORS", ["http://127.0.0.1:9/"])  # a closed port: no network
    with pytest.raises(DatasetNotFoundError) as caught:
        load_mnist("test", full=True)
    message = str(caught.value)
    assert str(tmp_path / "mnist") in message and "t10k-images-idx3-ubyte.gz" in message and "MINIDL_DATA" in message
    assert not any((tmp_path / "mnist").iterdir())  # nothing half-written left behind


def test_full_mnist_with_wrong_label_values_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIDL_DATA", str(tmp_path))
    write_full_mnist(tmp_path / "mnist")
    (tmp_path / "mnist" / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.array([1, 2, 3, 12], np.uint8)))
    with pytest.raises(DatasetError, match="labels 0-9"):
        load_mnist("test", full=True)


class _Files(http.server.BaseHTTPRequestHandler):
    payload = b""

    def do_GET(self):  # noqa: N802 (the name http.server asks for)
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.payload)))
        self.end_headers()
        self.wfile.write(self.payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_download_is_verified_before_it_takes_its_name(tmp_path, local_server):
    _Files.payload = b"the right bytes"
    mirror = f"http://127.0.0.1:{local_server.server_port}/"
    target = tmp_path / "file.gz"
    with pytest.raises(DatasetNotFoundError, match="MD5"):
        download_module.download([mirror], target, md5="0" * 32)
    assert list(tmp_path.iterdir()) == []
    good = hashlib.md5(_Files.payload).hexdigest()
    assert download_module.download(["http://127.0.0.1:9/", mirror], target, md5=good) == target
    assert target.read_bytes() == _Files.payload


# ----- Sign Language MNIST (a CSV written by the test) -----------------------------------------
def test_load_sign_mnist(tmp_path):
    pixels = np.arange(2 * 784).reshape(2, 784) % 256
    x, y = load_sign_mnist(write_sign_csv(tmp_path / "sign.csv", [3, 24], pixels))
    assert x.shape == (2, 1, 28, 28) and x.dtype == np.float32 and y.tolist() == [3, 24]
    np.testing.assert_allclose(x.reshape(2, -1) * 255, pixels, atol=1e-4)


@pytest.mark.parametrize(
    "make, error, words",
    [
        (lambda p: p / "missing.csv", DatasetNotFoundError, ["no file", "kaggle.com"]),
        (lambda p: write_sign_csv(p / "s.csv", [1], header="a,b,c"), DatasetError, ["header", "3 column"]),
        (lambda p: write_sign_csv(p / "s.csv", [25]), DatasetError, ["0-24", "25"]),
        (lambda p: write_sign_csv(p / "s.csv", [1], np.full((1, 784), 300)), DatasetError, ["0-255", "300"]),
        (
            lambda p: (
                (p / "s.csv").write_text("label," + ",".join(f"pixel{i}" for i in range(1, 785)) + "\n1,2,x\n")
                and p / "s.csv"
            ),
            DatasetError,
            ["malformed row"],
        ),
    ],
)
def test_bad_sign_mnist_files(tmp_path, make, error, words):
    with pytest.raises(error) as caught:
        load_sign_mnist(make(tmp_path))
    for word in words:
        assert word in str(caught.value)


# ----- generated sets and the DataLoader -------------------------------------------------------
@pytest.mark.parametrize("make", [make_regression_1d, make_xor, make_spirals, make_circles, make_shapes])
def test_generators_repeat_with_a_seed_and_differ_across_seeds(make):
    a, b, c = make(seed=1), make(seed=1), make(seed=2)
    for left, right in zip(a, b):
        np.testing.assert_array_equal(left, right)
    assert not np.array_equal(a[0], c[0])


def test_generated_sets_have_the_promised_shapes_and_labels():
    x, y = make_regression_1d(50, "bump", noise=0.0)
    np.testing.assert_allclose(y, np.exp(-((x / 0.3) ** 2)), rtol=1e-5)
    assert np.all(np.diff(x[:, 0]) >= 0)
    points, labels = make_xor(400, noise=0.0)
    np.testing.assert_array_equal(labels, (points[:, 0] > 0) ^ (points[:, 1] > 0))
    points, labels = make_circles(100, noise=0.0, factor=0.4)
    np.testing.assert_allclose(np.hypot(*points.T), np.where(labels == 1, 0.4, 1.0), rtol=1e-5)
    images, labels = make_shapes(40, size=20)
    assert images.shape == (40, 1, 20, 20) and images.min() >= 0 and images.max() <= 1
    assert set(labels.tolist()) <= {0, 1, 2, 3}
    with pytest.raises(ValueError, match="sine, cubic"):
        make_regression_1d(function="tan")


def test_dataloader_covers_every_sample_once_per_epoch_and_repeats_with_a_seed():
    x, y = np.arange(10.0)[:, None], np.arange(10)
    loader = DataLoader(x, y, batch_size=4, shuffle=True, seed=3)
    assert len(loader) == 3
    epochs = [[(bx.data[:, 0].tolist(), by.data.tolist()) for bx, by in loader] for _ in range(2)]
    for epoch in epochs:
        seen = [v for bx, _ in epoch for v in bx]
        assert sorted(seen) == list(range(10)) and [len(bx) for bx, _ in epoch] == [4, 4, 2]
        assert all(bx == [float(v) for v in by] for bx, by in epoch)  # rows stay aligned
    assert epochs[0] != epochs[1]  # a new order each epoch
    again = DataLoader(x, y, batch_size=4, shuffle=True, seed=3)
    assert [[b.data.tolist() for b in batch] for batch in again] == [
        [b.data.tolist() for b in batch] for batch in DataLoader(x, y, batch_size=4, shuffle=True, seed=3)
    ]
    assert len(DataLoader(x, batch_size=4, drop_last=True)) == 2
    with pytest.raises(ValueError, match=r"\(10, 1\), \(9,\)"):
        DataLoader(x, y[:9])
