"""Ops beyond the seed report's list, for breadth: more math, scans, sorting, slicing, indexing.

Each is one record, like `catalog.py`; productions reach them through their tags.
"""
from __future__ import annotations

from .. import rules
from .core import FLOAT, NUMERIC, _binary, _reduction, _unary
from ..ops import OPS, Call, Domain, Op

AXIS_PARAMS = ("axis",)


def _along_axis(name, target, *, dtypes=FLOAT, primitives=()):
    """Same shape out, one ``axis`` keyword: scans, sorting, flipping."""
    return Op(
        name=name, render=Call(target, keyword=AXIS_PARAMS), arity=1, operand_dtypes=(dtypes,),
        dtype_rule=rules.same_as_first, shape_rule=rules.same_shape, tags=frozenset({"axis"}),
        draw_params=rules.draw_axis, requires=rules.rank_at_least(1), primitives=primitives,
    )


def _index(name, primitive):
    return Op(
        name=name, render=Call(f"jnp.{name}", keyword=("axis", "keepdims")), arity=1, operand_dtypes=(NUMERIC,),
        dtype_rule=rules.index_result, shape_rule=rules.along_axis_reduced, tags=frozenset({"index"}),
        draw_params=rules.draw_index_params, requires=rules.rank_at_least(1), differentiable=False,
        primitives=(primitive,), limitations="returns int32: reaches the result only through a cast",
    )


def _layout(name, render, shape_rule, draw_params, *, requires=rules.rank_at_least(1), primitives=(), weight=1):
    return Op(
        name=name, render=render, arity=1, operand_dtypes=(NUMERIC,), dtype_rule=rules.same_as_first,
        shape_rule=shape_rule, tags=frozenset({"layout"}), draw_params=draw_params, requires=requires,
        primitives=primitives, weight=weight,
    )


BREADTH_OPS = (
    _unary("sinh", "jnp.sinh", primitives=("sinh",)),
    _unary("cosh", "jnp.cosh", primitives=("cosh",)),
    _unary("tan", "jnp.tan", domain=Domain.BOUNDED, primitives=("tan",)),
    _unary("arctan", "jnp.arctan", primitives=("atan",)),
    _unary("arcsinh", "jnp.arcsinh", primitives=("asinh",)),
    _unary("arcsin", "jnp.arcsin", domain=Domain.OPEN_UNIT, primitives=("asin",)),
    _unary("arccos", "jnp.arccos", domain=Domain.OPEN_UNIT, primitives=("acos",)),
    _unary("arctanh", "jnp.arctanh", domain=Domain.OPEN_UNIT, primitives=("atanh",)),
    _unary("erf_inv", "lax.erf_inv", domain=Domain.OPEN_UNIT, primitives=("erf_inv",)),
    _unary("erfc", "lax.erfc", primitives=("erfc",)),
    _unary("exp2", "jnp.exp2", primitives=("exp2",)),
    _unary("cbrt", "jnp.cbrt", primitives=("cbrt",)),
    _unary("log2", "jnp.log2", domain=Domain.POSITIVE, primitives=("log", "div")),
    _unary("log10", "jnp.log10", domain=Domain.POSITIVE, primitives=("log", "div")),
    _unary("lgamma", "lax.lgamma", domain=Domain.POSITIVE, primitives=("lgamma",)),
    _unary("digamma", "lax.digamma", domain=Domain.POSITIVE, primitives=("digamma",)),
    _unary("sign", "jnp.sign", primitives=("sign",)),
    _unary("floor", "jnp.floor", primitives=("floor",)),
    _unary("ceil", "jnp.ceil", primitives=("ceil",)),
    _unary("round", "jnp.round", primitives=("round",)),
    Op(name="integer_pow", render=Call("lax.integer_pow", positional=("y",)), arity=1, operand_dtypes=(FLOAT,),
       dtype_rule=rules.same_as_first, shape_rule=rules.same_shape, tags=frozenset({"unary", "elementwise"}),
       draw_params=rules.draw_integer_pow_params, primitives=("integer_pow",)),
    Op(name="reduce_precision", render=Call("lax.reduce_precision", keyword=("exponent_bits", "mantissa_bits")),
       arity=1, operand_dtypes=(FLOAT,), dtype_rule=rules.same_as_first, shape_rule=rules.same_shape,
       tags=frozenset({"unary", "elementwise"}), draw_params=rules.draw_reduce_precision_params,
       primitives=("reduce_precision",)),
    _binary("arctan2", Call("jnp.arctan2"), tags={"arith"}, dtypes=FLOAT, primitives=("atan2",)),
    _binary("remainder", Call("jnp.remainder"), tags={"arith"}, dtypes=FLOAT,
            domains=(Domain.ANY, Domain.NONZERO), primitives=("rem",)),
    _binary("hypot", Call("jnp.hypot"), tags={"arith"}, dtypes=FLOAT, primitives=("sqrt",)),
    _binary("logaddexp", Call("jnp.logaddexp"), tags={"arith"}, dtypes=FLOAT, primitives=("log1p", "exp")),
    _reduction("var", dtype_rule=rules.promoted_float, primitives=("reduce_sum", "square"), nonnegative=True),
    _reduction("std", dtype_rule=rules.promoted_float, primitives=("reduce_sum", "sqrt"), nonnegative=True),
    _along_axis("cumsum", "jnp.cumsum", primitives=("cumsum",)),
    _along_axis("cumprod", "jnp.cumprod", primitives=("cumprod",)),
    _along_axis("cummax", "lax.cummax", primitives=("cummax",)),
    _along_axis("cumlogsumexp", "lax.cumlogsumexp", primitives=("cumlogsumexp",)),
    _along_axis("sort", "jnp.sort", primitives=("sort",)),
    _along_axis("flip", "jnp.flip", primitives=("rev",)),
    Op(name="roll", render=Call("jnp.roll", positional=("shift",), keyword=AXIS_PARAMS), arity=1,
       operand_dtypes=(FLOAT,), dtype_rule=rules.same_as_first, shape_rule=rules.same_shape,
       tags=frozenset({"axis"}), draw_params=rules.draw_roll_params, requires=rules.rank_at_least(1),
       primitives=("slice", "concatenate")),
    _index("argmax", "argmax"),
    _index("argmin", "argmin"),
    _layout("expand_dims", Call("jnp.expand_dims", positional=("axis",)), rules.expanded,
            rules.draw_expand_dims_params, requires=rules.rank_at_least(0), primitives=("broadcast_in_dim",),
            weight=3),
    _layout("tile", Call("jnp.tile", positional=("reps",)), rules.tiled, rules.draw_tile_params,
            requires=rules.rank_at_least(0), primitives=("tile",), weight=2),
    _layout("pad", Call("jnp.pad", positional=("pad_width",)), rules.padded, rules.draw_pad_params,
            primitives=("pad",)),
    _layout("slice", Call("lax.slice", positional=("start_indices", "limit_indices")), rules.sliced,
            rules.draw_slice_params, primitives=("slice",)),
    _layout("dynamic_slice", Call("lax.dynamic_slice", positional=("start_indices", "slice_sizes")),
            rules.dynamically_sliced, rules.draw_dynamic_slice_params, primitives=("dynamic_slice",)),
    _layout("tril", Call("jnp.tril"), rules.same_shape, lambda chooser, operands: {},
            requires=rules.rank_at_least(2), primitives=("iota", "select_n")),
    Op(name="append", render=Call("jnp.append", keyword=AXIS_PARAMS), arity=2, operand_dtypes=(FLOAT, FLOAT),
       dtype_rule=rules.promoted, shape_rule=rules.appended, tags=frozenset({"join"}),
       draw_params=rules.draw_axis, requires=rules.same_shapes, primitives=("concatenate",)),
    # Functions whose special cases are defined at edge values (nan, 0, a zero divisor), where
    # JAX's compositions have gone wrong: the reference oracle's edge inputs reach them.
    _binary("heaviside", Call("jnp.heaviside"), tags={"arith"}, dtypes=FLOAT,
            primitives=("gt", "lt", "ne", "select_n")),
    _binary("xlogy", Call("jax.scipy.special.xlogy"), tags={"arith"}, dtypes=FLOAT, int_operands=False,
            domains=(Domain.ANY, Domain.POSITIVE), primitives=("log", "mul", "ne", "or", "select_n")),
    _binary("xlog1py", Call("jax.scipy.special.xlog1py"), tags={"arith"}, dtypes=FLOAT, int_operands=False,
            domains=(Domain.ANY, Domain.POSITIVE), primitives=("log1p", "mul", "ne", "or", "select_n")),
    _binary("floor_divide", Call("jnp.floor_divide"), tags={"arith"}, dtypes=FLOAT,
            domains=(Domain.ANY, Domain.COARSE), primitives=("div", "rem", "sign", "round", "select_n")),
)

for _op in BREADTH_OPS:
    OPS.register(_op)
