"""The pieces productions are made of: shapes, dtypes, partners, conditions and single steps.

Shared by the seed's ten productions (`productions`), the opt-in structured ones (`structured`)
and the idioms real code is made of (`idioms`); every choice goes through ``w.chooser``.
"""
from __future__ import annotations

import math

from . import indexing
from .ops import OPS, DTypeName, DTypeOf, Slice, StaticDim, StaticShape
from .types import ValueType, broadcast_shapes
from .walk import Walk

FLOAT_LITERALS = (1.0, 2.0, 0.5, 3.0, -1.0, 0.25, 1.5, -2.0, 0.1, 4.0, -0.5, 10.0, 0.75, -3.0, 0.01, 5.0,
                  0.0, 1e-5, 1e-6)  # the last: relu as jnp.maximum(x, 0.0), eps constants
INT_LITERALS = (1, 2, 3, -1, 5)


def tag_names(tag, dtype="float32"):
    return tuple(op.name for op in OPS.tagged(tag, dtype=dtype))


def draw_float_dtype(w: Walk) -> str:
    return w.chooser.choice(w.settings.float_dtypes)


def draw_shape(w: Walk, min_rank: int = 0, max_rank: int | None = None) -> tuple[int, ...]:
    top = w.settings.max_rank if max_rank is None else min(max_rank, w.settings.max_rank)
    rank = w.chooser.integer(min(min_rank, top), top)
    return fitted_shape(w, [w.chooser.integer(1, w.settings.max_dim) for _ in range(rank)])


def fitted_shape(w: Walk, dims: list[int]) -> tuple[int, ...]:
    """``dims`` with the largest halved until an argument of them keeps within the element
    budget, and its leading dims dropped past the settings' rank."""
    while math.prod(dims) > w.settings.max_arg_elements:
        dims[dims.index(max(dims))] //= 2
    return tuple(dims[len(dims) - min(len(dims), w.settings.max_rank):])


def draw_partner_shape(w: Walk, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts against ``shape``: equal, a suffix, ones in places, or scalar; never
    of higher rank than the settings allow (a value may be, after a reshape)."""
    form = w.chooser.choice(("same", "suffix", "ones", "scalar"))
    if form == "suffix" and shape:
        shape = shape[w.chooser.integer(1, len(shape)):]
    elif form == "ones":
        shape = tuple(1 if w.chooser.chance(0.5) else d for d in shape)
    elif form == "scalar":
        shape = ()
    return shape[len(shape) - min(len(shape), w.settings.max_rank):]


def draw_partner_dtype(w: Walk, dtype: str) -> str:
    """Usually the same dtype; now and then another float, so promotion is exercised."""
    if w.chooser.chance(0.15):
        return draw_float_dtype(w)
    return dtype


def int_path(w: Walk, shape: tuple[int, ...], dtype: str):
    """An int32 argument, maybe through integer arithmetic, cast to ``dtype``."""
    value = w.arg(ValueType(shape, "int32"))
    if w.chooser.chance(0.6):
        op = w.chooser.choice(tag_names("int_arith", "int32") + tag_names("int_unary", "int32"))
        arity = OPS[op].arity
        value = w.apply(op, value, *([w.chooser.choice(INT_LITERALS)] if arity == 2 else []))
    return cast(w, value, dtype)


def cast(w: Walk, value, dtype: str):
    """``value`` as ``dtype``: as real code mostly writes it, ``x.astype(...)``; or ``jnp.float32(x)``,
    or ``lax.convert_element_type(x, ...)``."""
    form = w.chooser.choice(("astype",) * 6 + ("call",) * 3 + ("lax",))
    if form == "astype":
        return w.apply("astype", value, dtype=DTypeName(dtype))
    if form == "lax":
        return w.apply("convert_element_type", value, new_dtype=DTypeName(dtype))
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
    if w.chooser.chance(0.1) and value.vtype.is_float:
        return constant_partner(w, value)
    name = w.name_of(value)
    if allow_literal and name is not None and value.vtype.rank >= 1 and w.chooser.chance(0.06):
        axis = -1 if w.chooser.chance(0.6) else w.chooser.integer(0, value.vtype.rank - 1)
        return StaticDim(value.vtype.shape[axis], name, axis)  # `x / x.shape[-1]`
    return float_operand(w, draw_partner_shape(w, value.vtype.shape), draw_partner_dtype(w, value.vtype.dtype))


def constant_partner(w: Walk, value):
    """A constant operand that broadcasts against ``value``, built as real code builds one:
    ``jnp.ones_like(x)``, ``jnp.zeros(x_shape)``, ``jnp.full(s, 0.5, dtype=...)``,
    ``jnp.asarray(2.0, dtype=...)``, ``jnp.arange(n)``, ``jnp.linspace(0.0, 1.0, n)``, ``jnp.eye(n)``."""
    shape, dtype = value.vtype.shape, value.vtype.dtype
    forms = ["like", "filled", "scalar"] + (["range"] if shape else []) + (
        ["eye"] if len(shape) >= 2 and shape[-1] == shape[-2] else [])
    form = w.chooser.choice(forms)
    name = w.name_of(value)
    typed = {"dtype": DTypeOf(dtype, of=name) if name is not None and w.chooser.chance(0.5) else DTypeName(dtype)}
    if form == "like":
        return w.apply(w.chooser.choice(tag_names("like", dtype)), value)
    if form == "filled":
        constant = w.chooser.choice(tagged_names("constant", ("zeros", "ones", "full")))
        extra = {"fill_value": w.chooser.choice(FLOAT_LITERALS)} if constant == "full" else {}
        wants_dtype = constant == "full" or dtype != "float32" or w.chooser.chance(0.3)
        if name is not None and w.chooser.chance(0.5):
            shape = StaticShape(shape, name, call=w.chooser.chance(0.15))  # jnp.zeros(x.shape), jnp.shape(x)
        return w.apply(constant, shape=shape, **extra, **(typed if wants_dtype else {}))
    if form == "scalar":
        return w.apply(w.chooser.choice(("asarray", "array")), object=w.chooser.choice(FLOAT_LITERALS), **typed)
    if form == "eye":
        return w.apply("eye", N=shape[-1], **(typed if dtype != "float32" or w.chooser.chance(0.3) else {}))
    if w.chooser.chance(0.5):
        return w.apply("linspace", start=0.0, stop=1.0, num=shape[-1])
    return w.apply("arange", stop=shape[-1], **typed)  # int32 without dtype=, which float-only ops refuse


def arg_fits(w: Walk, shape: tuple[int, ...]) -> bool:
    """Whether a new argument of ``shape`` keeps within the settings (values may outgrow them,
    after a reshape; arguments may not)."""
    return len(shape) <= w.settings.max_rank and math.prod(shape) <= w.settings.max_arg_elements


def tagged_names(tag: str, names: tuple[str, ...]) -> tuple[str, ...]:
    """``names`` repeated by weight, as `_names` does, for ops drawn by name (constants have no
    operand to filter by)."""
    return tuple(op.name for op in OPS.tagged(tag) if op.name in names)


def arith(w: Walk, left, right):
    return w.apply(w.chooser.choice(tag_names("arith")), left, right)


def unary(w: Walk, value):
    """A unary function of ``value`` among those its dtype allows (``lax.clamp`` is float32 only)."""
    return w.apply(w.chooser.choice(tag_names("unary", value.vtype.dtype if value.vtype.is_float else "float32")), value)


def condition(w: Walk, left, right):
    """A bool mask comparing ``left`` with ``right``; now and then combined as real masks are:
    ``(x > y) & (m < 2.0)``, ``~(x > y)``, ``jnp.isfinite(m) & (x > y)``, where ``m`` is a new
    argument of ``left``'s shape (a mask's second test is on another value more often than not),
    or reduced along an axis that is kept: ``jnp.any(x > y, axis=-1, keepdims=True)``."""
    mask = w.apply(w.chooser.choice(tag_names("compare")), left, right)
    if not w.chooser.chance(0.3):
        return mask
    form = w.chooser.choice(("and", "or", "not", "predicate", "reduce"))
    if form in ("and", "or", "predicate") and not arg_fits(w, left.vtype.shape):
        form = "not"  # the second test's argument would have a rank the settings do not allow
    if form == "not":
        return w.apply(w.chooser.choice(("mask_not", "mask_not", "logical_not")), mask)
    if form == "reduce":
        return w.apply(w.chooser.choice(tag_names("mask_reduction", "bool")), mask)
    dtype = left.vtype.dtype if left.vtype.is_float else draw_float_dtype(w)
    other_value = w.arg(ValueType(left.vtype.shape, dtype))
    if form == "predicate":
        other = w.apply(w.chooser.choice(tag_names("predicate", dtype)), other_value)
    else:
        other = w.apply(w.chooser.choice(tag_names("compare")), other_value, w.chooser.choice(FLOAT_LITERALS))
    return w.apply(w.chooser.choice(("mask_or", "mask_or", "logical_or") if form == "or"
                                    else ("mask_and", "mask_and", "logical_and")), mask, other)


def applicable(tag: str, *operands) -> tuple[str, ...]:
    """Names of the ops tagged ``tag`` that can take these operands."""
    types = tuple(o.vtype for o in operands)
    return tuple(op.name for op in OPS.tagged(tag) if op.applies_to(*types))


def maybe_unary(w: Walk, value, probability: float = 0.3):
    return unary(w, value) if w.chooser.chance(probability) else value


def finish_with(w: Walk, value, probability: float = 0.5):
    """Now and then one more step on a result: a unary op, or arithmetic with a literal."""
    if not w.chooser.chance(probability):
        return value
    if w.chooser.chance(0.5):
        return unary(w, value)
    return arith(w, value, w.chooser.choice(FLOAT_LITERALS))


def reshaping(w: Walk, value):
    """A layout op (reshape, transpose, slice, pad, tile, ...) that applies to ``value``."""
    names = applicable("layout", value)
    return w.apply(w.chooser.choice(names), value) if names else value


def along_axis(w: Walk, value):
    """A scan, sort, flip or roll along one axis of ``value`` (rank >= 1)."""
    names = applicable("axis", value)
    return w.apply(w.chooser.choice(names), value) if names else value


def scatter_update(w: Walk, value):
    """``x.at[i].set(y)`` (or ``add``, ``multiply``, ``min``, ``max``) at a static index; ``y`` is
    a literal or a new argument shaped like ``x[i]`` (or like its last axis)."""
    if value.vtype.rank < 1 or not value.vtype.is_float:
        return value
    if w.chooser.chance(0.25):  # lax.dynamic_update_slice(x, block, starts): a block at static starts
        block = tuple(w.chooser.integer(1, d) for d in value.vtype.shape)
        if arg_fits(w, block):
            starts = tuple(w.chooser.integer(0, d - b) for d, b in zip(value.vtype.shape, block))
            return w.apply("dynamic_update_slice", value, w.arg(ValueType(block, value.vtype.dtype)),
                           start_indices=starts)
    params = indexing.draw_at_index(w.chooser, (value.vtype,))
    target = indexing.indexed((value.vtype,), params)
    if w.chooser.chance(0.4) or not arg_fits(w, target):
        update = w.chooser.choice(FLOAT_LITERALS)
    else:
        update = w.arg(ValueType(target[-1:] if target and w.chooser.chance(0.3) else target, value.vtype.dtype))
    return w.apply(w.chooser.choice(tag_names("scatter", value.vtype.dtype)), value, update, **params)


def index_feature(w: Walk, value):
    """An integer path inside a floating program, shaped to broadcast back against ``value``:
    argmax/argmin along an axis (dims kept) cast to its dtype; the values there
    (``jnp.take_along_axis(x, jnp.argmax(x, axis=a, keepdims=True), axis=a)``); or the one-hot
    code of the last axis' argmax (``jax.nn.one_hot(jnp.argmax(x, axis=-1), x.shape[-1])``)."""
    names = applicable("index", value)
    if not names:
        return value
    form = w.chooser.choice(("cast", "cast", "take", "one_hot", "sort_by", "top_k"))
    if form == "sort_by":  # the values in sorted order, by their indices
        axis = w.chooser.integer(0, value.vtype.rank - 1)
        return w.apply("take_along_axis", value, w.apply("argsort", value, axis=axis), axis=axis)
    if form == "top_k":  # keep the k largest of the last axis: x >= the k-th largest
        largest, _ = w.let(w.apply("top_k", value))
        kth = w.apply("index", largest, index=(Ellipsis, Slice(-1, None)))
        return w.apply("where", w.apply("greater_equal", value, kth), value, 0.0)
    if form == "one_hot":
        name = w.name_of(value)
        classes = StaticDim(value.vtype.shape[-1], name, -1) if name is not None else value.vtype.shape[-1]
        code = w.apply("one_hot", w.apply(w.chooser.choice(names), value, axis=-1), num_classes=classes)
        return code if code.vtype.dtype == value.vtype.dtype else cast(w, code, value.vtype.dtype)
    axis = w.chooser.integer(0, value.vtype.rank - 1)
    index = w.apply(w.chooser.choice(names), value, axis=axis, keepdims=True)
    if form == "take":
        return w.apply("take_along_axis", value, index, axis=axis)
    return cast(w, index, value.vtype.dtype)


def broadcasts(a, b) -> bool:
    try:
        broadcast_shapes(a.vtype.shape, b.vtype.shape)
        return True
    except ValueError:
        return False
