"""The ten program categories, each a production over the op catalog.

Each production takes a `Walk` and returns the value the function returns. They read like the
seed report's list; every choice goes through ``w.chooser`` so both drivers share them.
"""
from __future__ import annotations

import enum
import math

from .ops import OPS
from .types import ValueType, broadcast_shapes
from .walk import Walk


class Category(str, enum.Enum):
    ELEMENTWISE = "elementwise"
    SCALAR_ARRAY = "scalar_array"
    UNARY = "unary"
    BRANCH = "branch"
    REDUCTION = "reduction"
    DOT = "dot"
    MATMUL = "matmul"
    MULTI_STATEMENT = "multi_statement"
    NESTED_BRANCH = "nested_branch"
    COMPOUND = "compound"

    def __str__(self) -> str:
        return self.value


CATEGORY_NAMES = tuple(c.value for c in Category)

FLOAT_LITERALS = (1.0, 2.0, 0.5, 3.0, -1.0, 0.25, 1.5, -2.0)
INT_LITERALS = (1, 2, 3, -1, 5)


# --- shared pieces ------------------------------------------------------------------------


def _names(tag, dtype="float32"):
    return tuple(op.name for op in OPS.tagged(tag, dtype=dtype))


def draw_float_dtype(w: Walk) -> str:
    return w.chooser.choice(w.settings.float_dtypes)


def draw_shape(w: Walk, min_rank: int = 0, max_rank: int | None = None) -> tuple[int, ...]:
    top = w.settings.max_rank if max_rank is None else min(max_rank, w.settings.max_rank)
    rank = w.chooser.integer(min(min_rank, top), top)
    dims = [w.chooser.integer(1, w.settings.max_dim) for _ in range(rank)]
    while math.prod(dims) > w.settings.max_arg_elements:
        dims[dims.index(max(dims))] //= 2
    return tuple(dims)


def draw_partner_shape(w: Walk, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts against ``shape``: equal, a suffix, ones in places, or scalar."""
    form = w.chooser.choice(("same", "suffix", "ones", "scalar"))
    if form == "suffix" and shape:
        return shape[w.chooser.integer(1, len(shape)):]
    if form == "ones":
        return tuple(1 if w.chooser.chance(0.5) else d for d in shape)
    if form == "scalar":
        return ()
    return shape


def draw_partner_dtype(w: Walk, dtype: str) -> str:
    """Usually the same dtype; now and then another float, so promotion is exercised."""
    if w.chooser.chance(0.15):
        return draw_float_dtype(w)
    return dtype


def int_path(w: Walk, shape: tuple[int, ...], dtype: str):
    """An int32 argument, maybe through integer arithmetic, cast to ``dtype``."""
    value = w.arg(ValueType(shape, "int32"))
    if w.chooser.chance(0.6):
        op = w.chooser.choice(_names("int_arith", "int32") + _names("int_unary", "int32"))
        arity = OPS[op].arity
        value = w.apply(op, value, *([w.chooser.choice(INT_LITERALS)] if arity == 2 else []))
    return w.apply(f"to_{dtype}", value)


def float_operand(w: Walk, shape: tuple[int, ...], dtype: str):
    """A floating operand: a new argument, or (when int32 is allowed) an integer path cast to float."""
    if w.settings.allows_int and w.chooser.chance(0.2):
        return int_path(w, shape, dtype)
    return w.arg(ValueType(shape, dtype))


def partner_for(w: Walk, value, allow_literal: bool = True):
    """A second operand for an elementwise op with ``value``: a literal or a broadcastable operand."""
    if allow_literal and w.chooser.chance(0.3):
        return w.chooser.choice(FLOAT_LITERALS)
    return float_operand(w, draw_partner_shape(w, value.vtype.shape), draw_partner_dtype(w, value.vtype.dtype))


def arith(w: Walk, left, right):
    return w.apply(w.chooser.choice(_names("arith")), left, right)


def unary(w: Walk, value):
    return w.apply(w.chooser.choice(_names("unary")), value)


def condition(w: Walk, left, right):
    return w.apply(w.chooser.choice(_names("compare")), left, right)


# --- the ten productions -------------------------------------------------------------------


def elementwise(w: Walk):
    dtype = draw_float_dtype(w)
    x = w.arg(ValueType(draw_shape(w), dtype))
    result = arith(w, x, partner_for(w, x, allow_literal=False))
    if w.chooser.chance(0.4):
        result = arith(w, w.let(result), partner_for(w, result))
    return result


def scalar_array(w: Walk):
    dtype = draw_float_dtype(w)
    x = w.arg(ValueType(draw_shape(w, min_rank=1), dtype))
    scale = w.arg(ValueType((), draw_partner_dtype(w, dtype)))
    result = arith(w, scale, x) if w.chooser.chance(0.5) else arith(w, x, scale)
    if w.chooser.chance(0.5):
        result = arith(w, result, w.chooser.choice(FLOAT_LITERALS))
    return result


def unary_chain(w: Walk):
    x = w.arg(ValueType(draw_shape(w), draw_float_dtype(w)))
    result = unary(w, x)
    for _ in range(w.chooser.integer(0, 2)):
        result = unary(w, result)
    return result


def branch(w: Walk):
    dtype = draw_float_dtype(w)
    x = w.arg(ValueType(draw_shape(w), dtype))
    y = partner_for(w, x, allow_literal=False)
    threshold = w.chooser.choice(FLOAT_LITERALS) if w.chooser.chance(0.4) else y
    on_true = unary(w, x) if w.chooser.chance(0.5) else x
    on_false = arith(w, x, y) if w.chooser.chance(0.5) else y
    return w.apply("where", condition(w, x, threshold), on_true, on_false)


def reduction(w: Walk):
    x = w.arg(ValueType(draw_shape(w, min_rank=1), draw_float_dtype(w)))
    if w.chooser.chance(0.4):
        x = unary(w, x)
    result = w.apply(w.chooser.choice(_names("reduction")), x)
    if w.chooser.chance(0.3):
        result = arith(w, result, w.chooser.choice(FLOAT_LITERALS))
    return result


def dot(w: Walk):
    dtype = draw_float_dtype(w)
    n = w.chooser.integer(1, 2 * w.settings.max_dim)
    form = w.chooser.choice(("vector", "matrix_vector", "vector_matrix", "matrix_matrix"))
    if w.settings.max_rank < 2:
        form = "vector"
    m = w.chooser.integer(1, w.settings.max_dim)
    left = (n,) if form in ("vector", "vector_matrix") else (m, n)
    right = (n,) if form in ("vector", "matrix_vector") else (n, m)
    result = w.apply("dot", w.arg(ValueType(left, dtype)), w.arg(ValueType(right, draw_partner_dtype(w, dtype))))
    if w.chooser.chance(0.3):
        result = arith(w, result, w.chooser.choice(FLOAT_LITERALS))
    return result


def matmul(w: Walk):
    dtype = draw_float_dtype(w)
    dims = [w.chooser.integer(1, w.settings.max_dim) for _ in range(3)]
    m, k, n = dims
    batch = ()
    if w.settings.max_rank >= 3 and w.chooser.chance(0.3):
        batch = (w.chooser.integer(1, 3),)
    if w.settings.max_rank < 2:
        left, right = (k,), (k,)
    else:
        left = batch + (m, k)
        right = (batch if w.chooser.chance(0.5) else ()) + (k, n)
    a = w.arg(ValueType(left, dtype))
    b = w.arg(ValueType(right, draw_partner_dtype(w, dtype)))
    result = w.apply(w.chooser.choice(("matmul", "matmul_operator")), a, b)
    if w.chooser.chance(0.4):
        result = unary(w, result) if w.chooser.chance(0.5) else arith(w, result, partner_for(w, result))
    return result


def multi_statement(w: Walk):
    count = w.chooser.integer(min(3, w.settings.max_statements), max(3, w.settings.max_statements))
    current = w.arg(ValueType(draw_shape(w), draw_float_dtype(w)))
    bound = [current]
    for _ in range(count - 1):
        if w.chooser.chance(0.4):
            step = unary(w, current)
        else:
            others = [v for v in bound if v is not current and _broadcasts(v, current)]
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
    stage = w.chooser.choice(("matmul", "elementwise", "layout"))
    if stage == "matmul" and w.settings.max_rank >= 2:
        m, k, n = (w.chooser.integer(1, w.settings.max_dim) for _ in range(3))
        hidden = w.apply("matmul", w.arg(ValueType((m, k), dtype)), w.arg(ValueType((k, n), dtype)))
        if w.chooser.chance(0.5):
            hidden = arith(w, hidden, w.arg(ValueType((n,), dtype)))
    else:
        x = w.arg(ValueType(draw_shape(w, min_rank=1), dtype))
        hidden = arith(w, x, partner_for(w, x))
    hidden = w.let(hidden)
    if stage == "layout" or w.chooser.chance(0.3):
        hidden = w.let(w.apply(w.chooser.choice(_names("layout")), hidden))
    if w.chooser.chance(0.6):
        hidden = w.let(w.apply("where", condition(w, hidden, w.chooser.choice(FLOAT_LITERALS)), hidden, unary(w, hidden)))
    if hidden.vtype.rank >= 1 and w.chooser.chance(0.7):
        return w.apply(w.chooser.choice(_names("reduction")), hidden)
    return arith(w, unary(w, hidden), w.chooser.choice(FLOAT_LITERALS))


def _broadcasts(a, b) -> bool:
    try:
        broadcast_shapes(a.vtype.shape, b.vtype.shape)
        return True
    except ValueError:
        return False


PRODUCTIONS = {
    Category.ELEMENTWISE: elementwise,
    Category.SCALAR_ARRAY: scalar_array,
    Category.UNARY: unary_chain,
    Category.BRANCH: branch,
    Category.REDUCTION: reduction,
    Category.DOT: dot,
    Category.MATMUL: matmul,
    Category.MULTI_STATEMENT: multi_statement,
    Category.NESTED_BRANCH: nested_branch,
    Category.COMPOUND: compound,
}
