"""The shipped MNIST subset: shapes, ranges, a stratified and repeatable 4,000/1,000 split."""
import numpy as np
import pytest

from minidl.datasets import load_mnist

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
