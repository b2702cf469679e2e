"""Opt-in categories beyond the seed's ten: structured control flow, and programs under vmap.

``control_flow`` draws one of lax.cond, lax.switch, lax.fori_loop (static bounds), lax.scan and
lax.while_loop around grammar expressions. ``vmap`` draws a program of one of the base
categories, then the ``in_axes`` and batch size that `jax.vmap` wraps it with; the lowering
applies the wrapper, so the function's source stays plain grammar.
"""
from __future__ import annotations

from .pieces import (
    FLOAT_LITERALS, arith, condition, draw_float_dtype, draw_shape, finish_with, unary,
)
from .types import ValueType
from .walk import Walk

CONTROL_CONSTRUCTS = ("cond", "fori_loop", "scan", "switch", "while_loop")
MAX_AXIS_SIZE = 4


def _same_type_step(w: Walk, value):
    """An expression of ``value``'s exact type: a unary op, or arithmetic with a literal."""
    if w.chooser.chance(0.5):
        return unary(w, value)
    return arith(w, value, w.chooser.choice(FLOAT_LITERALS))


def _scalar_predicate(w: Walk, value):
    total = w.apply("sum", value, axis=None) if value.vtype.rank else value
    return w.let(condition(w, total, w.chooser.choice(FLOAT_LITERALS)))


def control_flow(w: Walk):
    dtype = draw_float_dtype(w)
    x = w.arg(ValueType(draw_shape(w, max_rank=max(0, w.settings.max_rank - 1)), dtype))
    construct = w.chooser.choice(CONTROL_CONSTRUCTS)
    return finish_with(w, w.let(control_step(w, x, construct)), 0.4)


def control_step(w: Walk, x, construct: str):
    """``construct`` (one of CONTROL_CONSTRUCTS) around grammar expressions of ``x``'s type:
    a structured-control-flow step of any production."""
    dtype = x.vtype.dtype
    if construct == "scan" and w.settings.max_rank <= x.vtype.rank:
        construct = "fori_loop"
    if construct == "switch" and not w.settings.allows_int:
        construct = "cond"
    if construct == "cond":
        on_true = w.function((("x", x.vtype),), lambda p: _same_type_step(w, p))
        on_false = w.function((("x", x.vtype),), lambda p: _same_type_step(w, p))
        return w.apply("cond", _scalar_predicate(w, x), on_true, on_false, x)
    if construct == "switch":
        index = w.arg(ValueType((), "int32"))
        branches = [w.function((("x", x.vtype),), lambda p: _same_type_step(w, p)) for _ in range(3)]
        return w.apply("switch", index, *branches, x)
    if construct == "fori_loop":
        def body(i, carry):
            step = _same_type_step(w, carry)
            if w.chooser.chance(0.4):
                step = w.apply("add", step, w.apply(f"to_{carry.vtype.dtype}", i))
            return step
        loop_body = w.function((("i", ValueType((), "int32")), ("c", x.vtype)), body)
        return w.apply("fori_loop", loop_body, x, lower=0, upper=w.chooser.integer(1, 4))
    if construct == "scan":
        xs = w.arg(ValueType((w.chooser.integer(1, 4),) + x.vtype.shape, dtype))
        step = w.function((("c", x.vtype), ("x", x.vtype)),
                          lambda c, e: (arith(w, c, e), _same_type_step(w, c)))
        carry, ys = w.let(w.apply("scan", step, x, xs))
        return arith(w, ys, carry)
    # while_loop: while max|c| < 100, c = |c| * 2 + 1: grows past 100 (or turns nan), so it ends
    keep_going = w.function((("c", x.vtype),), lambda c: w.apply(
        "less", w.apply("max", w.apply("abs", c), axis=None) if c.vtype.rank else w.apply("abs", c), 100.0))
    grow = w.function((("c", x.vtype),), lambda c: w.apply("add", w.apply("multiply", w.apply("abs", c), 2.0), 1.0))
    return w.apply("while_loop", keep_going, grow, x)


def draw_vmap_axes(chooser, arg_types: list[ValueType]) -> tuple[tuple[int | None, ...], int]:
    """in_axes for each argument (None: not batched; at least one batched) and the batch size."""
    axes = [chooser.integer(0, t.rank) if chooser.chance(0.7) else None for t in arg_types]
    if all(a is None for a in axes):
        axes[0] = 0
    return tuple(axes), chooser.integer(2, MAX_AXIS_SIZE)


def batched_shape(shape: tuple[int, ...], axis: int | None, size: int) -> tuple[int, ...]:
    return shape if axis is None else shape[:axis] + (size,) + shape[axis:]
