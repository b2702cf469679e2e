"""Windows at start indices computed at run time, as decoders, samplers and sliding-window code
read and write them: ``lax.dynamic_slice_in_dim(x, i, k, axis=a)``,
``lax.dynamic_index_in_dim(x, i, axis=a, keepdims=False)`` and the cache write
``lax.dynamic_update_slice_in_dim(x, u, i, axis=a)``, where ``i`` is an int32 scalar value (an
argument, a lambda's parameter under ``jax.vmap``), not a static int.

A start may lie out of bounds, and that is part of what these ops mean: JAX counts a negative
start from the end (``i + d``), then clamps it into ``[0, d - k]`` so the window fits. Every
transform of a program must agree with that (jit, vmap, grad and their compositions), which is
where JAX has been wrong: its batching rule once turned a batched start into a gather that
promised to be in bounds, and the gradient of every clamped window was lost (jax-ml/jax#34228).
The gradient with respect to ``x`` does not depend on where the clamp lands, so the oracles
judge these ops like any other.
"""
from __future__ import annotations

from ..ops import OPS, Call, Op, require
from ..rules import normalize_axes, same_as_first
from ..types import INT_DTYPES
from .core import FLOAT

INT = frozenset(INT_DTYPES)
WINDOW = frozenset({"window"})


def clamped_start(start: int, size: int, dim: int) -> int:
    """Where JAX starts a window of ``size`` elements of an axis of ``dim`` asked to start at ``start``."""
    if start < 0:
        start += dim
    return min(max(start, 0), dim - size)


def _axis(params, rank: int) -> int:
    return normalize_axes(params.get("axis", 0), rank)[0]


def _scalar_start(start) -> None:
    require(start.shape == (), f"a window's start index must be a scalar, got {start}")


def _sliced(operands, params):
    array, start = operands
    _scalar_start(start)
    axis, size = _axis(params, array.rank), params["slice_size"]
    require(1 <= size <= array.shape[axis], f"a window of {size} along axis {axis} of {array}")
    return array.shape[:axis] + (size,) + array.shape[axis + 1:]


def _indexed(operands, params):
    array, start = operands
    _scalar_start(start)
    axis = _axis(params, array.rank)
    kept = (1,) if params.get("keepdims", True) else ()
    return array.shape[:axis] + kept + array.shape[axis + 1:]


def _updated(operands, params):
    array, update, start = operands
    _scalar_start(start)
    axis = _axis(params, array.rank)
    require(update.dtype == array.dtype, f"a window update of {update} into {array} must keep the dtype")
    require(update.rank == array.rank and all(u == a for k, (u, a) in enumerate(zip(update.shape, array.shape))
                                              if k != axis) and 1 <= update.shape[axis] <= array.shape[axis],
            f"{update} does not fit into {array} along axis {axis}")
    return array.shape


def _draw_window(chooser, operands):
    array = operands[0]
    axis = chooser.integer(0, array.rank - 1)
    return {"slice_size": chooser.integer(1, array.shape[axis]), "axis": axis}


def _draw_index(chooser, operands):
    return {"axis": chooser.integer(0, operands[0].rank - 1), "keepdims": chooser.chance(0.3)}


def _draw_update_axis(chooser, operands):
    array, update, _ = operands
    axes = [k for k in range(array.rank) if update.shape[:k] + update.shape[k + 1:] == array.shape[:k] + array.shape[k + 1:]]
    return {"axis": chooser.choice(axes)}


def _has_axis(operands) -> bool:
    return operands[0].rank >= 1 and all(d >= 1 for d in operands[0].shape)


WINDOW_OPS = (
    Op(name="dynamic_slice_in_dim", render=Call("lax.dynamic_slice_in_dim", positional=("slice_size",),
                                               keyword=("axis",)),
       arity=2, operand_dtypes=(FLOAT, INT), dtype_rule=same_as_first, shape_rule=_sliced, tags=WINDOW,
       draw_params=_draw_window, requires=_has_axis, primitives=("dynamic_slice", "lt", "add", "select_n")),
    Op(name="dynamic_index_in_dim", render=Call("lax.dynamic_index_in_dim", keyword=("axis", "keepdims")),
       arity=2, operand_dtypes=(FLOAT, INT), dtype_rule=same_as_first, shape_rule=_indexed, tags=WINDOW,
       draw_params=_draw_index, requires=_has_axis, primitives=("dynamic_slice", "squeeze", "lt", "add", "select_n")),
    Op(name="dynamic_update_slice_in_dim", render=Call("lax.dynamic_update_slice_in_dim", keyword=("axis",)),
       arity=3, operand_dtypes=(FLOAT, FLOAT, INT), dtype_rule=same_as_first, shape_rule=_updated, tags=WINDOW,
       draw_params=_draw_update_axis, requires=lambda operands: _has_axis(operands) and operands[1].rank == operands[0].rank,
       primitives=("dynamic_update_slice", "lt", "add", "select_n")),
)

for _op in WINDOW_OPS:
    OPS.register(_op)
