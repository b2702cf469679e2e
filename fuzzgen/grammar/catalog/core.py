"""The built-in ops, one declarative record each (read it like JAX's `lax_test.py` op table)."""
from __future__ import annotations

from .. import rules
from ..ops import OPS, Call, Domain, Op, Operator
from ..types import BOOL, DTYPES, FLOAT_DTYPES

NUMERIC = frozenset(DTYPES)
FLOAT = frozenset(FLOAT_DTYPES)
PREDICATE = frozenset({BOOL})

ELEMENTWISE = frozenset({"elementwise"})


def _binary(name, render, *, tags, dtypes=NUMERIC, dtype_rule=rules.promoted, domains=(), primitives=(), weight=1,
            int_operands=True):
    return Op(
        name=name, render=render, arity=2, operand_dtypes=(dtypes, dtypes), dtype_rule=dtype_rule,
        shape_rule=rules.broadcast, tags=frozenset(tags) | ELEMENTWISE, domains=domains, primitives=primitives,
        weight=weight, int_operands=int_operands,
    )


def _unary(name, target, *, dtypes=FLOAT, domain=Domain.ANY, primitives=(), tags=("unary",), nonnegative=False):
    render = Operator(target, form="unary") if target == "-" else Call(target)
    return Op(
        name=name, render=render, arity=1, operand_dtypes=(dtypes,), dtype_rule=rules.same_as_first,
        shape_rule=rules.same_shape, tags=frozenset(tags) | ELEMENTWISE, domains=(domain,), primitives=primitives,
        nonnegative=nonnegative,
    )


def _reduction(name, *, dtype_rule=rules.same_as_first, primitives=(), nonnegative=False):
    return Op(
        name=name, render=Call(f"jnp.{name}", keyword=("axis", "keepdims")), arity=1,
        operand_dtypes=(NUMERIC,), dtype_rule=dtype_rule, shape_rule=rules.reduced,
        tags=frozenset({"reduction"}), draw_params=rules.draw_reduction_params, primitives=primitives,
        nonnegative=nonnegative, keeps_sign=True,
    )


def _compare(name, symbol, primitive):
    return Op(
        name=name, render=Operator(symbol, form="compare"), arity=2, operand_dtypes=(NUMERIC, NUMERIC),
        dtype_rule=rules.boolean, shape_rule=rules.broadcast, tags=frozenset({"compare"}),
        differentiable=False, primitives=(primitive,),
    )


def _cast(dtype):
    return Op(
        name=f"to_{dtype}", render=Call(f"jnp.{dtype}"), arity=1, operand_dtypes=(NUMERIC,),
        dtype_rule=rules.cast_to(dtype), shape_rule=rules.same_shape, tags=frozenset({"cast"}),
        primitives=("convert_element_type",),
        limitations="casting from int32 cuts the gradient path, by design",
    )


BUILTIN_OPS = (
    # Arithmetic: ints allowed, so integer paths exist (they never carry gradients). Weights: real
    # code writes + - * / far more often than hypot or remainder (bench/realism.py).
    _binary("add", Operator("+"), tags={"arith", "int_arith"}, primitives=("add",), weight=3),
    _binary("subtract", Operator("-"), tags={"arith", "int_arith"}, primitives=("sub",), weight=3),
    _binary("multiply", Operator("*"), tags={"arith", "int_arith"}, primitives=("mul",), weight=3),
    _binary("divide", Operator("/"), tags={"arith"}, dtypes=FLOAT, dtype_rule=rules.promoted_float,
            domains=(Domain.ANY, Domain.NONZERO), primitives=("div",), weight=2),
    _binary("maximum", Call("jnp.maximum"), tags={"arith", "int_arith"}, primitives=("max",), weight=2),
    _binary("minimum", Call("jnp.minimum"), tags={"arith", "int_arith"}, primitives=("min",)),
    _binary("power", Call("jnp.power"), tags={"arith"}, dtypes=FLOAT,
            domains=(Domain.POSITIVE, Domain.BOUNDED), primitives=("pow",)),
    # Unary math, floats only.
    _unary("sin", "jnp.sin", primitives=("sin",)),
    _unary("cos", "jnp.cos", primitives=("cos",)),
    _unary("tanh", "jnp.tanh", primitives=("tanh",)),
    _unary("exp", "jnp.exp", primitives=("exp",), nonnegative=True),
    _unary("log", "jnp.log", domain=Domain.POSITIVE, primitives=("log",)),
    _unary("sqrt", "jnp.sqrt", domain=Domain.POSITIVE, primitives=("sqrt",), nonnegative=True),
    _unary("abs", "jnp.abs", dtypes=NUMERIC, primitives=("abs",), tags=("unary", "int_unary"), nonnegative=True),
    _unary("negative", "-", dtypes=NUMERIC, primitives=("neg",), tags=("unary", "int_unary")),
    _unary("sigmoid", "lax.logistic", primitives=("logistic",)),
    _unary("square", "jnp.square", dtypes=NUMERIC, primitives=("square",), tags=("unary", "int_unary"),
           nonnegative=True),
    _unary("rsqrt", "lax.rsqrt", domain=Domain.POSITIVE, primitives=("rsqrt",)),
    _unary("log1p", "jnp.log1p", domain=Domain.POSITIVE, primitives=("log1p",)),
    _unary("expm1", "jnp.expm1", primitives=("expm1",)),
    _unary("erf", "lax.erf", primitives=("erf",)),
    # Comparisons, for conditions only.
    _compare("greater", ">", "gt"),
    _compare("less", "<", "lt"),
    _compare("greater_equal", ">=", "ge"),
    _compare("less_equal", "<=", "le"),
    _compare("not_equal", "!=", "ne"),
    # Reductions with axis and keepdims.
    _reduction("sum", primitives=("reduce_sum",)),
    _reduction("mean", dtype_rule=rules.promoted_float, primitives=("reduce_sum", "div")),
    _reduction("max", primitives=("reduce_max",)),
    _reduction("min", primitives=("reduce_min",)),
    _reduction("prod", primitives=("reduce_prod",)),
    # Contractions, floats only (integer matmuls do not differentiate).
    Op(name="dot", render=Call("jnp.dot"), arity=2, operand_dtypes=(FLOAT, FLOAT), dtype_rule=rules.promoted,
       shape_rule=rules.dot_shape, tags=frozenset({"contraction"}), primitives=("dot_general",)),
    Op(name="matmul", render=Call("jnp.matmul"), arity=2, operand_dtypes=(FLOAT, FLOAT), dtype_rule=rules.promoted,
       shape_rule=rules.matmul_shape, tags=frozenset({"contraction"}), primitives=("dot_general",)),
    Op(name="matmul_operator", render=Operator("@"), arity=2, operand_dtypes=(FLOAT, FLOAT),
       dtype_rule=rules.promoted, shape_rule=rules.matmul_shape, tags=frozenset({"contraction"}),
       primitives=("dot_general",)),
    # Selection.
    Op(name="where", render=Call("jnp.where"), arity=3, operand_dtypes=(PREDICATE, NUMERIC, NUMERIC),
       dtype_rule=rules.branches_promoted, shape_rule=rules.broadcast, tags=frozenset({"select"}),
       primitives=("select_n",)),
    # Layout, where shapes allow.
    Op(name="reshape", render=Call("jnp.reshape", positional=("shape",)), arity=1, operand_dtypes=(NUMERIC,),
       dtype_rule=rules.same_as_first, shape_rule=rules.reshaped, tags=frozenset({"layout"}),
       draw_params=rules.draw_reshape_params, weight=3, primitives=("reshape",)),
    Op(name="transpose", render=Call("jnp.transpose", positional=("axes",)), arity=1, operand_dtypes=(NUMERIC,),
       dtype_rule=rules.same_as_first, shape_rule=rules.transposed, tags=frozenset({"layout"}),
       draw_params=rules.draw_transpose_params, primitives=("transpose",)),
    Op(name="broadcast_to", render=Call("jnp.broadcast_to", positional=("shape",)), arity=1,
       operand_dtypes=(NUMERIC,), dtype_rule=rules.same_as_first, shape_rule=rules.broadcast_to_shape,
       tags=frozenset({"layout"}), draw_params=rules.draw_broadcast_to_params, weight=3,
       primitives=("broadcast_in_dim",)),
    # Casts: how int32 values reach the floating result.
    *(_cast(dtype) for dtype in FLOAT_DTYPES),
)

for _op in BUILTIN_OPS:
    OPS.register(_op)
