"""The grammar's type rules, registry and settings, table-driven."""
import pytest

from fuzzgen.grammar import OPS, GrammarSettings, InvalidSettings, ShapeError, ValueType
from fuzzgen.grammar.ops import Call, Op
from fuzzgen.grammar.types import broadcast_shapes, promote_dtypes


@pytest.mark.parametrize("shapes, expected", [
    (((3, 4), (4,)), (3, 4)),
    (((3, 1), (1, 5)), (3, 5)),
    (((), (2, 3)), (2, 3)),
    (((2, 1, 4), (3, 1)), (2, 3, 4)),
])
def test_broadcast_shapes(shapes, expected):
    assert broadcast_shapes(*shapes) == expected


def test_broadcast_rejects_mismatch():
    with pytest.raises(ShapeError):
        broadcast_shapes((3,), (4,))


@pytest.mark.parametrize("a, b, expected", [
    ("float16", "bfloat16", "float32"), ("int32", "float16", "float16"), ("bfloat16", "bfloat16", "bfloat16"),
    ("float32", "int32", "float32"),
])
def test_promotion_matches_jax(a, b, expected):
    import jax.numpy as jnp

    assert promote_dtypes(a, b) == expected == str(jnp.promote_types(a, b))


@pytest.mark.parametrize("op, shapes, params, expected", [
    ("matmul", ((2, 3), (3, 4)), {}, (2, 4)),
    ("matmul", ((5, 2, 3), (3, 4)), {}, (5, 2, 4)),
    ("matmul", ((3,), (3, 4)), {}, (4,)),
    ("dot", ((3,), (3,)), {}, ()),
    ("dot", ((2, 3), (3,)), {}, (2,)),
    ("sum", ((2, 3, 4),), {"axis": (0, 2)}, (3,)),
    ("mean", ((2, 3),), {"axis": -1, "keepdims": True}, (2, 1)),
    ("max", ((2, 3),), {}, ()),
    ("reshape", ((2, 3),), {"shape": (3, 2)}, (3, 2)),
    ("transpose", ((2, 3, 4),), {"axes": (2, 0, 1)}, (4, 2, 3)),
    ("broadcast_to", ((3, 1),), {"shape": (2, 3, 4)}, (2, 3, 4)),
])
def test_shape_rules(op, shapes, params, expected):
    types = tuple(ValueType(s, "float32") for s in shapes)
    assert OPS[op].infer(types, params).shape == expected


@pytest.mark.parametrize("op, shapes, params", [
    ("matmul", ((2, 3), (4, 5)), {}),
    ("reshape", ((2, 3),), {"shape": (4, 2)}),
    ("sum", ((2, 3),), {"axis": 2}),
    ("transpose", ((2, 3),), {"axes": (0, 0)}),
    ("add", ((3,), (4,)), {}),
])
def test_shape_rules_reject(op, shapes, params):
    types = tuple(ValueType(s, "float32") for s in shapes)
    with pytest.raises(ShapeError):
        OPS[op].infer(types, params)


def test_float_only_ops_reject_int():
    with pytest.raises(TypeError, match="cannot be int32"):
        OPS["sin"].infer((ValueType((2,), "int32"),), {})


def test_registry_refuses_silent_replacement():
    with pytest.raises(ValueError, match="already registered"):
        OPS.register(OPS["sin"])
    with pytest.raises(TypeError, match="Op record"):
        OPS.register("sin")


def test_op_record_checks_its_own_arity():
    with pytest.raises(ValueError, match="operand dtype sets"):
        Op(name="bad", render=Call("jnp.sin"), arity=2, operand_dtypes=(frozenset({"float32"}),),
           dtype_rule=lambda t, p: "float32", shape_rule=lambda t, p: (), tags=frozenset())


@pytest.mark.parametrize("kwargs, message", [
    ({"dtypes": ()}, "empty"),
    ({"dtypes": ("int32",)}, "no floating dtype"),
    ({"dtypes": ("float64",)}, "unknown"),
    ({"max_rank": 5}, "max_rank=5"),
    ({"max_statements": 0}, "max_statements=0"),
    ({"max_dim": 0}, "max_dim=0"),
])
def test_settings_validation(kwargs, message):
    with pytest.raises(InvalidSettings, match=message):
        GrammarSettings(**kwargs)


def test_grammar_covers_the_required_ops():
    required = {"add", "subtract", "multiply", "divide", "power", "maximum", "minimum", "greater", "less",
                "sin", "cos", "tanh", "exp", "log", "sqrt", "abs", "negative", "sigmoid", "sum", "mean", "max",
                "min", "prod", "dot", "matmul", "where", "reshape", "transpose", "broadcast_to"}
    assert required <= {op.name for op in OPS}


def test_vmap_in_the_source_maps_other_axes_and_places_its_axis_as_jax_does():
    """``jax.vmap(f, in_axes=1, out_axes=-1)(x)`` (issue 14's "in_axes/out_axes"): drawn now and
    then, and the op's shape rule types the result as JAX does (statement by statement)."""
    import jax

    from fuzzgen.lowering.execution import abstract_inputs
    from fuzzgen.program import RandomChooser, build_program
    from fuzzgen.program.trees import with_leaves
    from fuzzgen.trust.sandbox import load_function

    found = 0
    for seed in range(600):
        program = build_program(RandomChooser(seed), "multi_statement")
        if "jax.vmap(" not in program.source or not any(
                form in program.source for form in ("in_axes=1", "in_axes=-1", "out_axes")):
            continue
        probe = with_leaves(load_function(program.probe), program.args)
        shapes = jax.eval_shape(probe, *abstract_inputs(program.args))
        assert [(tuple(s.shape), str(s.dtype)) for s in shapes] == \
            [(t.shape, t.dtype) for t in program.statement_types], program.source
        found += 1
    assert found >= 3, found
