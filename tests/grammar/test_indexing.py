"""Static indexing's shape rule is NumPy's basic indexing, and the drawn indices are valid."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuzzgen.grammar.indexing import draw_index_params, indexed, moved, squeezed, swapped
from fuzzgen.grammar.ops import Slice
from fuzzgen.grammar.types import ShapeError, ValueType
from fuzzgen.program.drivers import HypothesisChooser

shapes = st.lists(st.integers(1, 5), min_size=1, max_size=4).map(tuple)


def as_numpy(item):
    return item.as_slice() if isinstance(item, Slice) else item


@settings(max_examples=300, deadline=None)
@given(shapes, st.data())
def test_drawn_indices_have_numpys_result_shape(shape, data):
    chooser = HypothesisChooser(data.draw)
    index = draw_index_params(chooser, (ValueType(shape, "float32"),))["index"]
    expected = np.empty(shape)[tuple(as_numpy(i) for i in index)].shape
    assert indexed((ValueType(shape, "float32"),), {"index": index}) == expected, index
    assert len(expected) <= 4
    assert not all(i is Ellipsis or i == Slice() for i in index), f"{index} is the value itself"


@pytest.mark.parametrize("index", [(5,), (0, 0, 0), (Ellipsis, Ellipsis), (-4,), (Slice(step=0),)])
def test_an_index_that_numpy_refuses_is_a_shape_error(index):
    with pytest.raises(ShapeError):
        indexed((ValueType((3, 2), "float32"),), {"index": index})


def test_axis_moving_rules_match_numpy():
    x = np.empty((2, 3, 4))
    operand = (ValueType(x.shape, "float32"),)
    for source, destination in [(0, -1), (2, 0), (1, 2), (-1, 0)]:
        assert moved(operand, {"source": source, "destination": destination}) == np.moveaxis(x, source, destination).shape
    assert swapped(operand, {"axis1": 0, "axis2": 2}) == np.swapaxes(x, 0, 2).shape
    assert squeezed((ValueType((2, 1, 3), "float32"),), {"axis": 1}) == (2, 3)
