"""Property tests over the whole generator: every drawn program is valid JAX, by construction."""
import jax
import libcst as cst
import pytest
from hypothesis import given, settings
from hypothesis.errors import InvalidArgument

from fuzzgen.grammar import CATEGORY_NAMES
from fuzzgen.lowering.lower import lower_program
from fuzzgen.lowering.execution import abstract_inputs
from fuzzgen.trust.sandbox import load_function
from fuzzgen.strategies import programs


def _jax_types(program):
    probe = load_function(program.probe)
    shapes = jax.eval_shape(probe, *abstract_inputs(program.args))
    return [(tuple(s.shape), str(s.dtype)) for s in shapes]


@given(programs())
def test_inferred_types_match_eval_shape_and_lowering_succeeds(program):
    inferred = [(t.shape, t.dtype) for t in program.statement_types]
    assert inferred == _jax_types(program), program.source
    lowered = lower_program(program)
    for kind in ("jaxpr", "stablehlo", "hlo"):
        assert lowered.ir[kind]["forward"] and lowered.ir[kind]["backward"]


@pytest.mark.parametrize("category", CATEGORY_NAMES)
@given(data=__import__("hypothesis").strategies.data())
def test_each_category_types_check(category, data):
    program = data.draw(programs(category=category))
    assert program.category == category
    assert [(t.shape, t.dtype) for t in program.statement_types] == _jax_types(program), program.source


@given(programs())
def test_source_round_trips_through_libcst(program):
    module = cst.parse_module(program.source)
    assert module.code == program.source
    function = module.body[0]
    assert function.name.value == program.function_name
    assert [p.name.value for p in function.params.params] == [a.name for a in program.args]
    assert len(function.body.body) == program.n_statements


@given(programs(dtypes=("float32",), max_rank=1))
def test_settings_bound_what_is_drawn(program):
    for arg in program.args:
        assert arg.dtype == "float32" and len(arg.shape) <= 1


@pytest.mark.parametrize("kwargs, message", [
    ({"category": "loops"}, "category='loops'"),
    ({"dtypes": ("int32",)}, "no floating dtype"),
    ({"max_rank": 9}, "max_rank=9"),
    ({"max_statements": 0}, "max_statements=0"),
    ({"dtypes": ("complex64",)}, "unknown"),
])
def test_strategy_arguments_are_validated_up_front(kwargs, message):
    with pytest.raises(InvalidArgument, match=message):
        programs(**kwargs)


@settings(max_examples=20, deadline=None)
@given(programs(categories=("dot", "control_flow")))
def test_several_categories_draw_only_those(program):
    assert program.category in ("dot", "control_flow")


@pytest.mark.parametrize("arguments, message", [
    ({"categories": ()}, "non-empty tuple"),
    ({"categories": ("dot", "nope")}, "non-empty tuple"),
    ({"categories": "dot"}, "non-empty tuple"),
    ({"category": "dot", "categories": ("matmul",)}, "not both"),
])
def test_bad_categories_are_refused_naming_the_value(arguments, message):
    with pytest.raises(InvalidArgument, match=message):
        programs(**arguments).example()
