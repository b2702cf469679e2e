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
    dims = [w.chooser.integer(1, w.settings.max_dim) for _ in range(rank)]
    while math.prod(dims) > w.settings.max_arg_elements:
        dims[dims.index(max(dims))] //= 2
    return tuple(dims)


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
            shape = StaticShape(shape, name)  # jnp.zeros(x.shape, x.dtype)
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
    return w.apply(w.chooser.choice(tag_names("unary")), value)


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


def lookup(w: Walk, value):
    """A gather with an int array argument kept in bounds, as an embedding lookup reads rows:
    ``x[i % x.shape[0]]`` (``i`` a scalar or a vector of a few indices)."""
    name = w.name_of(value)
    if value.vtype.rank < 1 or name is None or not w.settings.allows_int:
        return value
    row = value.vtype.size // value.vtype.shape[0]
    count = w.chooser.integer(1, 4)
    shape = (count,) if w.chooser.chance(0.6) and arg_fits(w, (count,)) and count * row <= w.settings.max_arg_elements else ()
    index = w.arg(ValueType(shape, "int32"))
    rows = w.apply("int_remainder_operator", index, StaticDim(value.vtype.shape[0], name, 0))
    if w.chooser.chance(0.3):
        return w.apply("take", value, rows, axis=0)
    return w.apply("gather_index", value, rows)


def halves(w: Walk, value):
    """A gated pair from one value, as GLU layers write it: ``a, b = jnp.split(h, 2, axis=-1)``,
    then ``a * jax.nn.sigmoid(b)`` (or another op of the two)."""
    if not applicable("halves", value):
        return value
    first, second = w.let(w.apply("split", value))
    return arith(w, first, unary(w, second))


def normalized(w: Walk, value, argument: bool):
    """A normalization along the last axis, as layers write it: layer norm
    ``(x - x.mean(axis=-1, keepdims=True)) * lax.rsqrt(jnp.var(x, axis=-1, keepdims=True) + 1e-5)``,
    RMS norm ``x * lax.rsqrt(jnp.mean(jnp.square(x), axis=-1, keepdims=True) + 1e-6)``, or, for an
    ``argument`` (whose random values are never all zero: the norm's gradient there is nan),
    ``x / (jnp.linalg.norm(x, axis=-1, keepdims=True) + 1e-6)``."""
    if value.vtype.rank < 1 or not value.vtype.is_float:
        return value
    eps = w.chooser.choice((1e-6, 1e-5)) if value.vtype.dtype != "float16" else 1e-2
    form = w.chooser.choice(("layer", "rms") + (("l2",) if argument else ()))
    last = {"axis": -1, "keepdims": True}
    if form == "l2":
        return w.apply("divide", value, w.apply("add", w.apply("norm", value, **last), eps))
    if form == "rms":
        scale = w.apply("rsqrt", w.apply("add", w.apply("mean", w.apply("square", value), **last), eps))
        return w.apply("multiply", value, scale)
    centered = w.apply("subtract", value, w.apply("mean_method", value, **last))
    return w.apply("multiply", centered, w.apply("rsqrt", w.apply("add", w.apply("var", value, **last), eps)))


def random_key(w: Walk):
    """A PRNG key as real code makes one: ``jax.random.PRNGKey(seed)`` (or the typed
    ``jax.random.key(seed)``) of an int32 seed argument (the literal 0 where int32 is not
    allowed), now and then split (``key, sub = jax.random.split(key)``) or folded in."""
    seed = w.arg(ValueType((), "int32")) if w.settings.allows_int else 0
    key = w.apply(w.chooser.choice(tagged_names("random_key", ("prng_key", "typed_key"))), seed)
    derivation = w.chooser.choice(("none", "none", "split", "fold_in"))
    if derivation == "split":
        return w.let(w.apply("key_split", key))[1]
    if derivation == "fold_in":
        return w.apply("fold_in", key)
    return key


def random_step(w: Walk, value):
    """``value`` with randomness real code adds: Gaussian noise, a dropout mask, a uniform scale,
    Gumbel noise, a truncated-normal factor, a shuffle of its first axis, or rows picked by
    ``jax.random.randint`` (in bounds by construction)."""
    if not value.vtype.is_float:
        return value
    name, shape, dtype = w.name_of(value), value.vtype.shape, value.vtype.dtype
    static_shape = StaticShape(shape, name) if name is not None and w.chooser.chance(0.6) else shape
    typed = {} if dtype == "float32" and w.chooser.chance(0.6) else {
        "dtype": DTypeOf(dtype, of=name) if name is not None and w.chooser.chance(0.4) else DTypeName(dtype)}
    forms = ["noise", "noise", "dropout", "dropout", "uniform", "gumbel", "truncated"] + (
        ["shuffle", "rows"] if shape else [])
    form = w.chooser.choice(forms)
    key = random_key(w)
    if form == "dropout":
        rate = w.chooser.choice((0.9, 0.8, 0.5))
        keep = w.apply("bernoulli", key, p=rate, shape=static_shape)
        return w.apply("where", keep, w.apply("divide", value, rate), 0.0)
    if form == "shuffle":
        return w.apply("permutation", key, value)
    if form == "rows":
        count = w.chooser.integer(1, 4)
        rows = w.apply("randint", key, shape=(count,), minval=0,
                       maxval=StaticDim(shape[0], name, 0) if name is not None else shape[0])
        return w.apply("gather_index", value, rows)
    if form == "uniform":
        return w.apply("multiply", value, w.apply("uniform", key, shape=static_shape, minval=0.5, maxval=1.5, **typed))
    if form == "truncated":
        return w.apply("multiply", value, w.apply("truncated_normal", key, lower=-2.0, upper=2.0, shape=static_shape,
                                                  **typed))
    noise = w.apply("normal" if form == "noise" else "gumbel", key, shape=static_shape, **typed)
    return w.apply("add", value, w.apply("multiply", noise, w.chooser.choice((0.1, 0.01, 1.0))))


def tree_update(w: Walk, value):
    """``value`` and a partner updated together, leaf by leaf, as an optimizer step writes it:
    ``v0, v1 = jax.tree.map(lambda p, g: p - 0.01 * g, (x, y), (gx, gy))`` (or a decay of one
    tree, ``jax.tree.map(lambda t: t * 0.9, (x, y))``), then the two leaves combined."""
    if not value.vtype.is_float:
        return value
    other = w.arg(ValueType(draw_partner_shape(w, value.vtype.shape), value.vtype.dtype))
    if w.chooser.chance(0.6):
        grads = (w.arg(value.vtype), w.arg(other.vtype))
        rate = w.chooser.choice((0.01, 0.1, 1e-3, 0.9))
        step = w.function((("p", value.vtype), ("g", value.vtype)), lambda p, g: w.apply(
            "subtract", p, w.apply("multiply", rate, g)) if w.chooser.chance(0.7) else arith(w, p, g))
        mapped = w.apply(w.chooser.choice(tagged_names("tree_map", ("tree_map2", "tree_util_map2"))),
                         step, value, other, *grads)
    else:
        decay = w.function((("t", value.vtype),), lambda t: unary(w, t) if w.chooser.chance(0.4) else w.apply(
            "multiply", t, w.chooser.choice((0.9, 0.99, 0.5))))
        mapped = w.apply(w.chooser.choice(tagged_names("tree_map", ("tree_map", "tree_util_map"))), decay, value, other)
    first, second = w.let(mapped)
    return arith(w, first, second)


def transformed(w: Walk, value):
    """A transform applied in the source to a lambda over ``value``: ``jax.vmap`` of a per-row
    function (sharing a second operand with ``in_axes=(0, None)``), ``jax.jit`` or
    ``jax.checkpoint`` of a unary step, ``jax.grad`` of a scalar loss, or ``loss, g =
    jax.value_and_grad(...)(x)`` combined."""
    if not value.vtype.is_float:
        return value
    vtype = value.vtype
    forms = ["jit", "checkpoint", "grad", "grad", "value_and_grad"] + (["vmap", "vmap", "vmap_shared"] if vtype.rank else [])
    form = w.chooser.choice(forms)
    if form in ("vmap", "vmap_shared"):
        row = ValueType(vtype.shape[1:], vtype.dtype)
        if form == "vmap_shared":
            shared = w.arg(row)
            function = w.function((("r", row), ("s", row)), lambda r, s: arith(w, r, s))
            return w.apply("vmap_shared", function, value, shared, in_axes=(0, None))
        function = w.function((("r", row),), lambda r: w.apply(w.chooser.choice(tag_names("reduction", row.dtype)), unary(
            w, r)) if row.rank and w.chooser.chance(0.5) else unary(w, r))
        return w.apply("vmap_call", function, value, **({"in_axes": 0} if w.chooser.chance(0.3) else {}))
    if form in ("jit", "checkpoint"):
        function = w.function((("t", vtype),), lambda t: arith(w, unary(w, t), w.chooser.choice(FLOAT_LITERALS)))
        return w.apply("jit_call" if form == "jit" else "checkpoint_call", function, value)
    loss = w.function((("t", vtype),), lambda t: w.apply_plain(
        w.chooser.choice(("sum", "mean", "sum_method", "mean_method")), unary(w, t)))
    if form == "grad":
        return w.apply("grad_call", loss, value)
    total, gradient = w.let(w.apply("value_and_grad_call", loss, value))
    return arith(w, gradient, total)


def broadcasts(a, b) -> bool:
    try:
        broadcast_shapes(a.vtype.shape, b.vtype.shape)
        return True
    except ValueError:
        return False
