"""The seed report's ten productions over the op catalog (the table in `categories` names them).

Each production takes a `Walk` and returns the value the function returns. They read like the
seed report's list; every choice goes through ``w.chooser`` so both drivers share them. The
pieces they are made of live in `pieces`.
"""
from __future__ import annotations

from .idioms import (
    convolution_block, cross_product, halves, linear_algebra, lookup, normalized, random_step, segment_aggregate,
    stopped, traced_window, transformed, tree_update,
)
from .pieces import (
    FLOAT_LITERALS, along_axis, applicable, arith, broadcasts, condition, draw_float_dtype, draw_partner_dtype,
    draw_shape, finish_with, index_feature, maybe_unary, partner_for, reshaping, scatter_update, tag_names, unary,
)
from .structured import control_step
from .types import ValueType
from .walk import Walk

# --- the ten productions -------------------------------------------------------------------


def elementwise(w: Walk):
    dtype = draw_float_dtype(w)
    x = w.arg(ValueType(draw_shape(w), dtype))
    result = arith(w, maybe_unary(w, x, 0.25), partner_for(w, x, allow_literal=False))
    if w.chooser.chance(0.6):
        result = arith(w, w.let(result), partner_for(w, result))
    return finish_with(w, result, 0.5)


def scalar_array(w: Walk):
    dtype = draw_float_dtype(w)
    x = w.arg(ValueType(draw_shape(w, min_rank=1), dtype))
    scale = w.arg(ValueType((), draw_partner_dtype(w, dtype)))
    result = arith(w, scale, x) if w.chooser.chance(0.5) else arith(w, x, scale)
    if w.chooser.chance(0.4):
        shift = w.arg(ValueType((), dtype)) if w.chooser.chance(0.5) else w.chooser.choice(FLOAT_LITERALS)
        result = arith(w, result, shift)
    return finish_with(w, result, 0.5)


def unary_chain(w: Walk):
    x = w.arg(ValueType(draw_shape(w), draw_float_dtype(w)))
    result = unary(w, x)
    for _ in range(w.chooser.integer(0, 2)):
        result = unary(w, result)
    return finish_with(w, result, 0.4)


def branch(w: Walk):
    dtype = draw_float_dtype(w)
    x = w.arg(ValueType(draw_shape(w), dtype))
    y = partner_for(w, x, allow_literal=False)
    threshold = w.chooser.choice(FLOAT_LITERALS) if w.chooser.chance(0.4) else y
    on_true = unary(w, x) if w.chooser.chance(0.5) else x
    on_false = arith(w, x, y) if w.chooser.chance(0.5) else y
    mask = condition(w, maybe_unary(w, x, 0.2), threshold)
    select = "where"
    if applicable("strict_select", mask, on_true, on_false) and w.chooser.chance(0.3):
        select = "lax_select"  # lax.select: no broadcasting, so only where the shapes already agree
    return finish_with(w, w.apply(select, mask, on_true, on_false), 0.3)


def reduction(w: Walk):
    x = w.arg(ValueType(draw_shape(w, min_rank=1), draw_float_dtype(w)))
    x = maybe_unary(w, x, 0.4)
    if w.chooser.chance(0.3):
        x = w.let(along_axis(w, x))
    result = w.apply(w.chooser.choice(tag_names("reduction")), x)
    return finish_with(w, result, 0.4)


def dot(w: Walk):
    dtype = draw_float_dtype(w)
    n = w.chooser.integer(1, 2 * w.settings.max_dim)
    form = w.chooser.choice(("vector", "matrix_vector", "vector_matrix", "matrix_matrix"))
    if w.settings.max_rank < 2:
        form = "vector"
    m = w.chooser.integer(1, w.settings.max_dim)
    left = (n,) if form in ("vector", "vector_matrix") else (m, n)
    right = (n,) if form in ("vector", "matrix_vector") else (n, m)
    a = maybe_unary(w, w.arg(ValueType(left, dtype)), 0.4)
    b = maybe_unary(w, w.arg(ValueType(right, draw_partner_dtype(w, dtype))), 0.4)
    spelling = w.chooser.choice(("dot",) * 6 + ("einsum",) * 3 + ("vdot",))
    result = w.apply(spelling if applicable("contraction", a, b) and spelling in applicable("contraction", a, b)
                     else "dot", a, b)
    if w.chooser.chance(0.4):
        result = arith(w, w.let(result), partner_for(w, result))
    return finish_with(w, result, 0.7)


def matmul(w: Walk):
    dtype = draw_float_dtype(w)
    m, k, n = (w.chooser.integer(1, w.settings.max_dim) for _ in range(3))
    batch = ()
    if w.settings.max_rank >= 3 and w.chooser.chance(0.3):
        batch = (w.chooser.integer(1, 3),)
    if w.settings.max_rank < 2:
        left, right = (k,), (k,)
    else:
        left = batch + (m, k)
        right = (batch if w.chooser.chance(0.5) else ()) + (k, n)
    a = maybe_unary(w, w.arg(ValueType(left, dtype)), 0.4)
    b = maybe_unary(w, w.arg(ValueType(right, draw_partner_dtype(w, dtype))), 0.4)
    spelling = w.chooser.choice(("matmul", "matmul_operator", "matmul_operator", "einsum", "dot_general"))
    result = w.apply(spelling if spelling in applicable("contraction", a, b) else "matmul", a, b)
    if w.chooser.chance(0.4):
        result = arith(w, w.let(result), partner_for(w, result))
    return finish_with(w, result, 0.7)


def loop_step(w: Walk, value):
    """lax.fori_loop, lax.scan or lax.cond around ``value`` (not while_loop: records keep their
    gradient, which reverse mode cannot take through it)."""
    construct = w.chooser.choice(("fori_loop", "scan", "cond"))
    if construct == "scan" and value.vtype.size * 4 > w.settings.max_arg_elements:
        construct = "fori_loop"
    return control_step(w, value, construct)


# multi_statement's kinds of step that take only the walk and the current value.
VALUE_STEPS = {"scatter": scatter_update, "halves": halves, "lookup": lookup, "loop": loop_step,
               "random": random_step, "tree": tree_update, "transform": transformed, "unary": unary,
               "layout": reshaping, "stop": stopped, "window": traced_window}


def multi_statement(w: Walk):
    count = w.chooser.integer(min(3, w.settings.max_statements), max(3, w.settings.max_statements))
    current = w.arg(ValueType(draw_shape(w), draw_float_dtype(w)))
    bound = [current]
    for _ in range(count - 1):
        kind = w.chooser.choice(("arith", "unary", "arith", "axis", "layout", "index", "scatter", "halves",
                                 "lookup", "normalize", "loop", "random", "tree", "transform", "stop", "window"))
        if kind in VALUE_STEPS:
            step = VALUE_STEPS[kind](w, current)
        elif kind == "normalize":
            step = normalized(w, current, argument=current is bound[0])
        elif kind == "index" and current.vtype.rank >= 1:
            step = arith(w, current, index_feature(w, current))
        elif kind == "axis" and current.vtype.rank >= 1:
            step = along_axis(w, current)
        else:
            step = current
        if step is current:  # arithmetic with an earlier value or a partner, where no other kind applied
            others = [v for v in bound if v is not current and broadcasts(v, current)]
            other = w.chooser.choice(others) if others and w.chooser.chance(0.5) else partner_for(w, current)
            step = arith(w, current, other)
        current = w.let(step)
        bound.append(current)
    return current


def nested_branch(w: Walk):
    dtype = draw_float_dtype(w)
    x = w.arg(ValueType(draw_shape(w), dtype))
    y = partner_for(w, x, allow_literal=False)
    z = partner_for(w, x, allow_literal=False)
    outer = w.let(condition(w, x, y))
    inner_condition = condition(w, z, w.chooser.choice(FLOAT_LITERALS))
    if w.chooser.chance(0.5):
        inner_condition = w.let(inner_condition)
    inner = w.apply("where", inner_condition, unary(w, x) if w.chooser.chance(0.5) else x, z)
    if w.chooser.chance(0.5):
        inner = w.let(inner)
    return w.apply("where", outer, inner, arith(w, y, z) if w.chooser.chance(0.5) else y)


def compound(w: Walk):
    dtype = draw_float_dtype(w)
    stage = w.chooser.choice(("matmul", "elementwise", "layout", "scan", "join", "linalg", "conv", "geometry",
                              "graph"))
    if stage == "linalg" and "float32" in w.settings.float_dtypes and w.settings.max_rank >= 2:
        hidden = linear_algebra(w)
    elif stage == "geometry" and w.settings.max_dim >= 3 and w.settings.max_arg_elements >= 3:
        hidden = cross_product(w, dtype)
    elif stage == "graph" and w.settings.allows_int and w.settings.max_dim >= 2:
        hidden = segment_aggregate(w, dtype)
    elif stage == "conv" and w.settings.max_rank >= 3:
        hidden = convolution_block(w, dtype)
    elif stage == "matmul" and w.settings.max_rank >= 2:
        m, k, n = (w.chooser.integer(1, w.settings.max_dim) for _ in range(3))
        hidden = w.apply("matmul", w.arg(ValueType((m, k), dtype)), w.arg(ValueType((k, n), dtype)))
        if w.chooser.chance(0.5):
            hidden = arith(w, hidden, w.arg(ValueType((n,), dtype)))
    else:
        x = w.arg(ValueType(draw_shape(w, min_rank=1), dtype))
        hidden = arith(w, x, partner_for(w, x))
        if stage == "join":
            other = maybe_unary(w, x, 0.5) if hidden.vtype.shape == x.vtype.shape else hidden
            hidden = w.apply(w.chooser.choice(applicable("join", hidden, other)), hidden, other)
    hidden = w.let(hidden)
    if w.chooser.chance(0.2):  # dropout, noise or a shuffle, as training code applies to activations
        hidden = w.let(random_step(w, hidden))
    if stage == "layout" or w.chooser.chance(0.3):
        hidden = w.let(reshaping(w, hidden))
    if stage == "scan" and hidden.vtype.rank >= 1:
        hidden = w.let(along_axis(w, hidden))
    if w.chooser.chance(0.6):
        hidden = w.let(w.apply("where", condition(w, hidden, w.chooser.choice(FLOAT_LITERALS)), hidden, unary(w, hidden)))
    if hidden.vtype.rank >= 1 and w.chooser.chance(0.7):
        return w.apply(w.chooser.choice(tag_names("reduction")), hidden)
    return arith(w, unary(w, hidden), w.chooser.choice(FLOAT_LITERALS))

