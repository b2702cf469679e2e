"""JAX transforms written in the source, as real code applies them to a helper: ``jax.vmap`` of
a per-row function (``in_axes=(0, None)`` to share a second operand), ``jax.jit`` and
``jax.checkpoint`` of a block, ``jax.grad`` and ``jax.value_and_grad`` of a scalar loss,
``jnp.vectorize`` of a scalar function.

The lambda is the op's first operand; its type is the type its body returns, and the production
builds it on the right parameter types (a row of ``x`` under vmap). The record's backward IR
then differentiates through the transform: a second derivative where the source takes a grad.

A vmap may name its axis (``axis_name="batch"``) for the collectives inside its lambda:
``lax.pmean`` and ``lax.psum`` over the mapped axis (batch statistics, as cross-replica batch norm
computes them) and ``lax.axis_index`` (the row's position). Their types are per row, like the
lambda's; `fuzzgen.grammar.idioms.transformed` draws them only inside a vmap that binds the name.
"""
from __future__ import annotations

from .. import rules
from ..ops import OPS, Call, Op, Transform, require
from ..types import BOOL, DTYPES, INT_DTYPES
from .core import FLOAT

ANY = frozenset(DTYPES) | {BOOL}
TRANSFORM = frozenset({"transform"})


def _mapped(operands, params):
    """``jax.vmap(f, in_axes=k, out_axes=j)(x)``: f's result with x's axis k inserted at j
    (either negative from the end; both 0 by default)."""
    function, batched, *shared = operands
    require(batched.rank >= 1, f"vmap over a scalar {batched}")
    in_axes = params.get("in_axes", 0)
    axis = in_axes[0] if isinstance(in_axes, tuple) else in_axes
    require(isinstance(axis, int) and -batched.rank <= axis < batched.rank, f"in_axes={in_axes!r} for {batched}")
    out_axis, rank = params.get("out_axes", 0), len(function.shape) + 1
    require(isinstance(out_axis, int) and -rank <= out_axis < rank, f"out_axes={out_axis!r} for a rank-{rank} result")
    shape = list(function.shape)
    shape.insert(out_axis % rank, batched.shape[axis])
    return tuple(shape)


def _function_type(operands, params):
    return operands[0].shape


def _function_dtype(operands, params):
    return operands[0].dtype


def _elementwise(operands, params):
    function, argument = operands
    require(function.shape == (), f"jnp.vectorize of a function returning {function}, not a scalar")
    return argument.shape


def _gradient(operands, params):
    function, argument = operands
    require(function.shape == () and function.is_float, f"jax.grad of a function returning {function}")
    return argument.shape


def _value_and_gradient_shapes(operands, params):
    return ((), _gradient(operands, params))


def _value_and_gradient_dtypes(operands, params):
    return (operands[0].dtype, operands[1].dtype)


def _applied(name, target, shape_rule, *, arity=2, keyword=(), dtype_rule=_function_dtype, operand_dtypes=None,
             results=1, primitives=(), weight=1):
    return Op(name=name, render=Transform(target, keyword=keyword), arity=arity,
              operand_dtypes=operand_dtypes or ((ANY,) + (ANY,) * (arity - 1)), dtype_rule=dtype_rule,
              shape_rule=shape_rule, tags=TRANSFORM, callables=((0, arity - 1),), results=results,
              weight=weight, primitives=primitives)


TRANSFORM_OPS = (
    _applied("vmap_call", "jax.vmap", _mapped, keyword=("in_axes", "out_axes", "axis_name"), weight=4),
    _applied("vmap_shared", "jax.vmap", _mapped, arity=3, keyword=("in_axes", "axis_name"), weight=2),
    _applied("vectorize_call", "jnp.vectorize", _elementwise),
    _applied("jit_call", "jax.jit", _function_type, primitives=("jit",)),
    _applied("checkpoint_call", "jax.checkpoint", _function_type, primitives=("checkpoint",)),
    _applied("grad_call", "jax.grad", _gradient, dtype_rule=rules.branches_promoted,
             operand_dtypes=(FLOAT, FLOAT)),
    _applied("value_and_grad_call", "jax.value_and_grad", _value_and_gradient_shapes,
             dtype_rule=_value_and_gradient_dtypes, operand_dtypes=(FLOAT, FLOAT), results=2),
)

COLLECTIVE = frozenset({"collective"})
COLLECTIVE_OPS = (
    Op(name="pmean", render=Call("lax.pmean", positional=("axis_name",)), arity=1, operand_dtypes=(FLOAT,),
       dtype_rule=rules.same_as_first, shape_rule=rules.same_shape, tags=COLLECTIVE, primitives=("psum", "div")),
    Op(name="psum", render=Call("lax.psum", positional=("axis_name",)), arity=1, operand_dtypes=(FLOAT,),
       dtype_rule=rules.same_as_first, shape_rule=rules.same_shape, tags=COLLECTIVE, primitives=("psum",)),
    Op(name="axis_index", render=Call("lax.axis_index", positional=("axis_name",)), arity=0, operand_dtypes=(),
       dtype_rule=rules.cast_to(INT_DTYPES[0]), shape_rule=lambda operands, params: (), tags=COLLECTIVE,
       primitives=("iota",)),
)

for _op in TRANSFORM_OPS + COLLECTIVE_OPS:
    OPS.register(_op)
