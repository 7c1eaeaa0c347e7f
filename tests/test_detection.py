"""IoU and non-maximum suppression against values worked out by hand."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

from minidl.detection import box_area, box_iou, non_max_suppression

pytestmark = pytest.mark.nn


def test_iou_by_hand():
    a = [[0, 0, 2, 2]]
    b = [[1, 1, 3, 3], [0, 0, 2, 2], [2, 2, 4, 4], [0, 0, 1, 2], [5, 5, 6, 6]]
    # overlap 1 of union 7; identical; touching corners only; inside, half the area; disjoint
    np.testing.assert_allclose(box_iou(a, b), [[1 / 7, 1.0, 0.0, 0.5, 0.0]])
    np.testing.assert_allclose(box_area(b), [4, 4, 4, 2, 1])
    assert box_iou([[1, 1, 1, 1]], [[1, 1, 1, 1]])[0, 0] == 0.0  # empty boxes: 0, not NaN


boxes = st.lists(st.tuples(*[st.floats(0, 50)] * 2, *[st.floats(0, 20)] * 2), min_size=1, max_size=6).map(
    lambda rows: np.array([[x, y, x + w, y + h] for x, y, w, h in rows])
)


@given(a=boxes, b=boxes)
def test_iou_is_symmetric_and_in_unit_interval(a, b):
    iou = box_iou(a, b)
    assert iou.shape == (len(a), len(b)) and np.all((0 <= iou) & (iou <= 1 + 1e-12))
    np.testing.assert_allclose(iou, box_iou(b, a).T)


def test_nms_keeps_the_best_of_each_cluster():
    boxes_ = [[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 9], [21, 20, 31, 30]]
    scores = [0.6, 0.9, 0.5, 0.8, 0.7]
    # box 1 (0.9) suppresses 0 (IoU 0.68) and 3; box 4 (0.7) suppresses 2 (IoU 0.82)
    np.testing.assert_array_equal(non_max_suppression(boxes_, scores, 0.5), [1, 4])
    np.testing.assert_array_equal(non_max_suppression(boxes_, scores, 0.95), [1, 3, 4, 0, 2])


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: box_iou([[0, 0, 1]], [[0, 0, 1, 1]]), ["(N, 4)", "(1, 3)"]),
        (lambda: box_iou([[2, 0, 1, 1]], [[0, 0, 1, 1]]), ["x1 <= x2"]),
        (lambda: non_max_suppression([[0, 0, 1, 1]], [0.5, 0.2]), ["1 scores", "(2,)"]),
        (lambda: non_max_suppression([[0, 0, 1, 1]], [0.5], iou_threshold=1.5), ["[0, 1]"]),
    ],
)
def test_bad_boxes(call, words):
    with pytest.raises(ValueError) as caught:
        call()
    for word in words:
        assert word in str(caught.value)
