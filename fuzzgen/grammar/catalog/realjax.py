"""Ops and spellings that real JAX code uses most (issue 13): ``jax.nn`` activations and
normalizers, array methods (``x.sum(axis=-1)``, ``x.astype(jnp.float16)``, ``x.T``), static
indexing (``x[:, 0]``, ``x[..., None]``), mask logic (``&``, ``|``, ``~``, ``==``), ``**``,
``%``, integer ``//``, ``x.at[i].set(y)`` and its kin, ``jnp.clip``, constants (``jnp.zeros(shape)``, ``jnp.arange(n)``, the
``*_like`` forms) and ``jnp.concatenate`` / ``jnp.stack``.

``lax.stop_gradient`` is in `library` (drawn by `fuzzgen.grammar.idioms.stopped` only).

A spelling of an op that already exists (``x.sum()`` for ``jnp.sum(x)``) is a record of its own
with the same rules: the walk draws spellings the way it draws ops, by tag and weight. Weights
say how much more often real code writes an op than one of weight 1 (``jax.nn.relu`` is among the
most used calls of model code; ``jax.nn.relu6`` is rare).
"""
from __future__ import annotations

from .. import indexing, library_rules, rules
from ..ops import OPS, AtUpdate, Call, Domain, Method, Op, Operator, Subscript
from ..types import INT_DTYPES
from .core import FLOAT, NUMERIC, PREDICATE, _binary, _compare, _unary

INT = frozenset(INT_DTYPES)
REDUCTION_KEYWORDS = ("axis", "keepdims")


def _activation(name, target, *, weight=1, primitives=(), keyword=(), draw_params=None, nonnegative=False):
    return Op(
        name=name, render=Call(target, keyword=keyword), arity=1, operand_dtypes=(FLOAT,),
        dtype_rule=rules.same_as_first, shape_rule=rules.same_shape,
        tags=frozenset({"unary", "elementwise", "activation"}), weight=weight, primitives=primitives,
        nonnegative=nonnegative, **({"draw_params": draw_params} if draw_params else {}),
    )


def _normalizer(name, target, *, weight=1, primitives=()):
    """Same shape out, normalized along one ``axis`` keyword (softmax and friends)."""
    return Op(
        name=name, render=Call(target, keyword=("axis",)), arity=1, operand_dtypes=(FLOAT,),
        dtype_rule=rules.same_as_first, shape_rule=rules.same_shape, tags=frozenset({"axis"}),
        draw_params=_draw_last_axis, requires=rules.rank_at_least(1), weight=weight, primitives=primitives,
    )


def _draw_last_axis(chooser, operands):
    """axis=-1 most often, as real code writes it; sometimes another axis."""
    rank = operands[0].rank
    return {"axis": -1 if chooser.chance(0.6) else chooser.integer(0, rank - 1)}


def _draw_gelu_params(chooser, operands):
    return chooser.choice(({}, {"approximate": False}, {"approximate": True}))


def _draw_leaky_relu_params(chooser, operands):
    return chooser.choice(({}, {"negative_slope": 0.2}, {"negative_slope": 0.1}))


def _method_reduction(name, *, dtype_rule=rules.same_as_first, weight=1, primitives=()):
    return Op(
        name=f"{name}_method", render=Method(name, keyword=REDUCTION_KEYWORDS), arity=1, operand_dtypes=(NUMERIC,),
        dtype_rule=dtype_rule, shape_rule=rules.reduced, tags=frozenset({"reduction"}),
        draw_params=rules.draw_reduction_params, weight=weight, primitives=primitives, keeps_sign=True,
    )


def _layout(name, render, shape_rule, draw_params, requires, *, weight=1, primitives=()):
    return Op(
        name=name, render=render, arity=1, operand_dtypes=(NUMERIC,), dtype_rule=rules.same_as_first,
        shape_rule=shape_rule, tags=frozenset({"layout"}), draw_params=draw_params, requires=requires,
        weight=weight, primitives=primitives,
    )


def _logic(name, symbol, primitive):
    return Op(
        name=name, render=Operator(symbol), arity=2, operand_dtypes=(PREDICATE, PREDICATE),
        dtype_rule=rules.boolean, shape_rule=rules.broadcast, tags=frozenset({"logic"}),
        differentiable=False, primitives=(primitive,),
    )


def _predicate(name, target, primitives):
    return Op(
        name=name, render=Call(target), arity=1, operand_dtypes=(FLOAT,), dtype_rule=rules.boolean,
        shape_rule=rules.same_shape, tags=frozenset({"predicate"}), differentiable=False, primitives=primitives,
    )


def _like(name, target, *, positional=(), draw_params=None, weight=1, nonnegative=False):
    return Op(
        name=name, render=Call(target, positional=positional), arity=1, operand_dtypes=(FLOAT,),
        dtype_rule=rules.same_as_first, shape_rule=rules.same_shape, tags=frozenset({"like"}),
        weight=weight, primitives=("broadcast_in_dim",), nonnegative=nonnegative,
        **({"draw_params": draw_params} if draw_params else {}),
    )


def _constructor(name, render, *, weight=1, dtype_rule=indexing.dtype_or("float32")):
    return Op(name=name, render=render, arity=0, operand_dtypes=(), dtype_rule=dtype_rule,
              shape_rule=lambda operands, params: tuple(params["shape"]), tags=frozenset({"constant"}),
              weight=weight, primitives=("broadcast_in_dim",))


def NO_PARAMS(chooser, operands):
    return {}


REAL_JAX_OPS = (
    # jax.nn activations: elementwise, drawn wherever a unary function is.
    _activation("relu", "jax.nn.relu", weight=6, primitives=("max",), nonnegative=True),
    _activation("gelu", "jax.nn.gelu", weight=3, keyword=("approximate",), draw_params=_draw_gelu_params,
                primitives=("tanh", "mul", "add", "integer_pow", "erf")),
    _activation("silu", "jax.nn.silu", weight=3, primitives=("logistic", "mul")),
    _activation("swish", "jax.nn.swish", primitives=("logistic", "mul")),
    _activation("nn_sigmoid", "jax.nn.sigmoid", weight=3, primitives=("logistic",)),
    _activation("nn_softplus", "jax.nn.softplus", weight=2, primitives=("log1p", "exp", "max"),
                nonnegative=True),
    _activation("log_sigmoid", "jax.nn.log_sigmoid", primitives=("log1p", "exp", "max", "neg")),
    _activation("elu", "jax.nn.elu", primitives=("expm1", "select_n", "gt")),
    _activation("leaky_relu", "jax.nn.leaky_relu", keyword=("negative_slope",), draw_params=_draw_leaky_relu_params,
                primitives=("select_n", "mul", "ge")),
    _activation("relu6", "jax.nn.relu6", primitives=("max", "min"), nonnegative=True),
    # Normalizers along an axis.
    _normalizer("softmax", "jax.nn.softmax", weight=4,
                primitives=("reduce_max", "stop_gradient", "sub", "exp", "reduce_sum", "div")),
    _normalizer("log_softmax", "jax.nn.log_softmax", weight=2,
                primitives=("reduce_max", "stop_gradient", "sub", "exp", "reduce_sum", "log")),
    _normalizer("standardize", "jax.nn.standardize", primitives=("reduce_sum", "div", "sub", "square", "rsqrt")),
    Op(name="logsumexp", render=Call("jax.nn.logsumexp", keyword=REDUCTION_KEYWORDS), arity=1,
       operand_dtypes=(FLOAT,), dtype_rule=rules.same_as_first, shape_rule=rules.reduced,
       tags=frozenset({"reduction"}), draw_params=rules.draw_reduction_params, weight=2,
       primitives=("reduce_max", "is_finite", "select_n", "stop_gradient", "sub", "exp", "reduce_sum", "log", "add")),
    Op(name="scipy_logsumexp", render=Call("jax.scipy.special.logsumexp", keyword=REDUCTION_KEYWORDS), arity=1,
       operand_dtypes=(FLOAT,), dtype_rule=rules.same_as_first, shape_rule=rules.reduced,
       tags=frozenset({"reduction"}), draw_params=rules.draw_reduction_params,
       primitives=("reduce_max", "is_finite", "select_n", "stop_gradient", "sub", "exp", "reduce_sum", "log", "add")),
    # Array methods: reductions, casts, layout.
    _method_reduction("sum", weight=3, primitives=("reduce_sum",)),
    _method_reduction("mean", dtype_rule=rules.promoted_float, weight=3, primitives=("reduce_sum", "div")),
    _method_reduction("max", weight=2, primitives=("reduce_max",)),
    _method_reduction("min", primitives=("reduce_min",)),
    Op(name="astype", render=Method("astype", positional=("dtype",)), arity=1, operand_dtypes=(NUMERIC,),
       dtype_rule=indexing.astype_result, shape_rule=rules.same_shape, tags=frozenset({"cast"}),
       draw_params=indexing.draw_astype_params, primitives=("convert_element_type",),
       limitations="casting from int32 cuts the gradient path, by design"),
    _layout("T", Method("T", attribute=True), indexing.reversed_axes, NO_PARAMS, rules.rank_at_least(2),
            weight=2, primitives=("transpose",)),
    _layout("reshape_method", Method("reshape", positional=("shape",)), rules.reshaped, rules.draw_reshape_params,
            rules.rank_at_least(0), weight=4, primitives=("reshape",)),
    _layout("transpose_method", Method("transpose", positional=("axes",)), rules.transposed,
            rules.draw_transpose_params, rules.rank_at_least(2), primitives=("transpose",)),
    _layout("flatten", Method("flatten"), lambda operands, params: (operands[0].size,), NO_PARAMS,
            rules.rank_at_least(2), primitives=("reshape",)),
    _layout("index", Subscript(), indexing.indexed, indexing.draw_index_params, rules.rank_at_least(1),
            weight=6, primitives=("slice", "squeeze", "broadcast_in_dim", "rev", "gather", "dynamic_slice")),
    _layout("squeeze", Call("jnp.squeeze", keyword=("axis",)), indexing.squeezed, indexing.draw_squeeze_params,
            indexing.has_unit_axis, weight=2, primitives=("squeeze",)),
    _layout("swapaxes", Call("jnp.swapaxes", positional=("axis1", "axis2")), indexing.swapped, indexing.draw_two_axes,
            rules.rank_at_least(2), primitives=("transpose",)),
    _layout("moveaxis", Call("jnp.moveaxis", positional=("source", "destination")), indexing.moved,
            indexing.draw_moveaxis_params, rules.rank_at_least(2), primitives=("transpose",)),
    # Clipping, as a call and as a method.
    Op(name="clip", render=Call("jnp.clip", positional=("min", "max")), arity=1, operand_dtypes=(FLOAT,),
       dtype_rule=rules.same_as_first, shape_rule=rules.same_shape, tags=frozenset({"unary", "elementwise"}),
       draw_params=indexing.draw_clip_params, weight=2, primitives=("max", "min", "clamp")),
    Op(name="clip_method", render=Method("clip", positional=("min", "max")), arity=1, operand_dtypes=(FLOAT,),
       dtype_rule=rules.same_as_first, shape_rule=rules.same_shape, tags=frozenset({"unary", "elementwise"}),
       draw_params=indexing.draw_clip_params, primitives=("max", "min", "clamp")),
    _unary("reciprocal", "jnp.reciprocal", domain=Domain.NONZERO, primitives=("integer_pow", "div")),
    # Operators real code writes: ** and % on floats, // and % on int32 (by nonzero literals), ==.
    _binary("power_operator", Operator("**"), tags={"arith"}, dtypes=FLOAT,
            domains=(Domain.POSITIVE, Domain.BOUNDED), primitives=("pow",)),
    _binary("remainder_operator", Operator("%"), tags={"arith"}, dtypes=FLOAT,
            domains=(Domain.ANY, Domain.NONZERO), primitives=("rem", "select_n", "add", "ne", "lt", "and")),
    _binary("floor_divide_operator", Operator("//"), tags={"int_arith"}, dtypes=INT,
            primitives=("div", "sign", "select_n", "rem", "ne", "and", "sub")),
    _binary("int_remainder_operator", Operator("%"), tags={"int_arith"}, dtypes=INT,
            primitives=("rem", "select_n", "add", "ne", "lt", "and")),
    _compare("equal", "==", "eq"),
    # Mask logic and predicates, for conditions.
    _logic("mask_and", "&", "and"),
    _logic("mask_or", "|", "or"),
    Op(name="mask_not", render=Operator("~", form="unary"), arity=1, operand_dtypes=(PREDICATE,),
       dtype_rule=rules.boolean, shape_rule=rules.same_shape, tags=frozenset({"logic"}), differentiable=False,
       primitives=("not",)),
    _predicate("isfinite", "jnp.isfinite", ("is_finite",)),
    _predicate("isnan", "jnp.isnan", ("ne",)),
    # Constants shaped like a value.
    _like("zeros_like", "jnp.zeros_like", weight=2, nonnegative=True),
    _like("ones_like", "jnp.ones_like", weight=2, nonnegative=True),
    _like("full_like", "jnp.full_like", positional=("fill_value",),
          draw_params=lambda chooser, operands: {"fill_value": chooser.choice((0.5, 2.0, -1.0, 1e-6))}),
    # Constructors of constants, from static shapes (a production passes the shape it needs).
    _constructor("zeros", Call("jnp.zeros", positional=("shape",), keyword=("dtype",)), weight=4),
    _constructor("ones", Call("jnp.ones", positional=("shape",), keyword=("dtype",)), weight=2),
    _constructor("full", Call("jnp.full", positional=("shape", "fill_value"), keyword=("dtype",)),
                 dtype_rule=indexing.dtype_required),
    Op(name="arange", render=Call("jnp.arange", positional=("stop",), keyword=("dtype",)), arity=0,
       operand_dtypes=(), dtype_rule=indexing.dtype_or("int32"), shape_rule=lambda operands, params: (params["stop"],),
       tags=frozenset({"constant"}), weight=2, primitives=("iota", "convert_element_type")),
    Op(name="linspace", render=Call("jnp.linspace", positional=("start", "stop", "num")), arity=0,
       operand_dtypes=(), dtype_rule=rules.cast_to("float32"), shape_rule=lambda operands, params: (params["num"],),
       tags=frozenset({"constant"}), primitives=("iota", "convert_element_type", "mul", "add")),
    Op(name="eye", render=Call("jnp.eye", positional=("N",), keyword=("dtype",)), arity=0, operand_dtypes=(),
       dtype_rule=indexing.dtype_or("float32"), shape_rule=lambda operands, params: (params["N"], params["N"]),
       tags=frozenset({"constant"}), primitives=("iota", "eq", "convert_element_type", "broadcast_in_dim")),
    Op(name="asarray", render=Call("jnp.asarray", positional=("object",), keyword=("dtype",)), arity=0,
       operand_dtypes=(), dtype_rule=indexing.dtype_required, shape_rule=lambda operands, params: (),
       tags=frozenset({"constant"}), weight=2, primitives=()),
    Op(name="array", render=Call("jnp.array", positional=("object",), keyword=("dtype",)), arity=0,
       operand_dtypes=(), dtype_rule=indexing.dtype_required, shape_rule=lambda operands, params: (),
       tags=frozenset({"constant"}), weight=2, primitives=()),
    # Joining: operands passed together as one tuple argument.
    Op(name="concatenate", render=Call("jnp.concatenate", keyword=("axis",), sequence=(0, 1)), arity=2,
       operand_dtypes=(NUMERIC, NUMERIC), dtype_rule=rules.promoted, shape_rule=rules.appended,
       tags=frozenset({"join"}), draw_params=rules.draw_axis, requires=rules.same_shapes, weight=3,
       primitives=("concatenate",)),
    Op(name="stack", render=Call("jnp.stack", keyword=("axis",), sequence=(0, 1)), arity=2,
       operand_dtypes=(NUMERIC, NUMERIC), dtype_rule=rules.promoted, shape_rule=indexing.stacked,
       tags=frozenset({"join"}), draw_params=indexing.draw_stack_params, requires=indexing.stackable,
       primitives=("broadcast_in_dim", "concatenate")),
    # Functional updates at a static index: x.at[i].set(y) and friends.
    *(Op(name=f"at_{method}", render=AtUpdate(method), arity=2, operand_dtypes=(FLOAT, FLOAT),
         dtype_rule=rules.same_as_first, shape_rule=indexing.updated, tags=frozenset({"scatter"}),
         draw_params=indexing.draw_at_index, requires=indexing.scatter_ready, weight=weight,
         primitives=({"set": "scatter"}.get(method, f"scatter-{method[:3]}"),))
      for method, weight in (("set", 4), ("add", 2), ("multiply", 1), ("min", 1), ("max", 1))),
    # Mask logic as calls.
    Op(name="logical_and", render=Call("jnp.logical_and"), arity=2, operand_dtypes=(PREDICATE, PREDICATE),
       dtype_rule=rules.boolean, shape_rule=rules.broadcast, tags=frozenset({"logic"}), differentiable=False,
       primitives=("and",)),
    *(Op(name=f"{name}_method", render=Method(name, keyword=REDUCTION_KEYWORDS), arity=1,
         operand_dtypes=(PREDICATE,), dtype_rule=rules.boolean, shape_rule=rules.reduced,
         tags=frozenset({"mask_reduction"}), draw_params=library_rules.draw_mask_reduction_params,
         differentiable=False, primitives=(primitive,)) for name, primitive in (("any", "reduce_or"), ("all", "reduce_and"))),
    Op(name="logical_not", render=Call("jnp.logical_not"), arity=1, operand_dtypes=(PREDICATE,),
       dtype_rule=rules.boolean, shape_rule=rules.same_shape, tags=frozenset({"logic"}), differentiable=False,
       primitives=("not",)),
)

for _op in REAL_JAX_OPS:
    OPS.register(_op)
