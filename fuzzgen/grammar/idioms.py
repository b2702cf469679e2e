"""The idioms real JAX code is made of, as steps of a production: embedding lookups, windows at
run-time starts, gated halves, layer/RMS/L2 normalization, randomness (noise, dropout,
shuffles), optimizer-style tree updates, transforms in the source, linear algebra and
convolution blocks. Each takes a `Walk` (and the value it extends) and returns the value the
step computes; measured against real code by bench/realism.py.
"""
from __future__ import annotations

import math

from .ops import AXIS_NAMES, AxisName, DTypeName, DTypeOf, MachineEpsilon, StaticDim, StaticNdim, StaticShape
from .pieces import (
    FLOAT_LITERALS, arg_fits, arith, applicable, draw_partner_shape, maybe_unary, partner_for, tag_names, tagged_names,
    unary,
)
from .types import ValueType
from .walk import Walk


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


def traced_window(w: Walk, value):
    """A window of ``value`` at a start computed at run time, as decoders and sliding-window code
    take one: ``lax.dynamic_slice_in_dim(x, i, k, axis=a)``, ``lax.dynamic_index_in_dim(x, i,
    axis=a, keepdims=False)``, a cache write ``lax.dynamic_update_slice_in_dim(x, u, i, axis=a)``,
    or one window per start, ``jax.vmap(lambda i: lax.dynamic_slice_in_dim(x, i, k, axis=a))(starts)``.
    The starts are int32 arguments, so they may lie out of bounds: JAX clamps them
    (`fuzzgen.grammar.catalog.windows`), and every transform must agree."""
    if value.vtype.rank < 1 or not value.vtype.is_float or not w.settings.allows_int or w.name_of(value) is None:
        return value
    shape, dtype = value.vtype.shape, value.vtype.dtype
    axis = w.chooser.integer(0, len(shape) - 1)
    size = w.chooser.integer(1, shape[axis])
    window = {"slice_size": size, "axis": axis if w.chooser.chance(0.6) else axis - len(shape)}
    form = w.chooser.choice(("slice", "index", "update", "windows", "windows", "rows"))
    if form == "update":
        block = ValueType(shape[:axis] + (size,) + shape[axis + 1:], dtype)
        if arg_fits(w, block.shape):
            return w.apply("dynamic_update_slice_in_dim", value, w.arg(block), w.arg(ValueType((), "int32")),
                           axis=window["axis"])
        form = "slice"
    if form in ("windows", "rows"):
        starts = w.arg(ValueType((w.chooser.integer(1, 4),), "int32"))
        scalar = (("i", ValueType((), "int32")),)
        if form == "rows":
            function = w.function(scalar, lambda i: w.apply("dynamic_index_in_dim", value, i, axis=window["axis"],
                                                            keepdims=False))
        else:
            function = w.function(scalar, lambda i: w.apply("dynamic_slice_in_dim", value, i, **window))
        return w.apply("vmap_call", function, starts)
    start = w.arg(ValueType((), "int32"))
    if form == "index":
        return w.apply("dynamic_index_in_dim", value, start, axis=window["axis"], keepdims=w.chooser.chance(0.3))
    return w.apply("dynamic_slice_in_dim", value, start, **window)


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
    ``x / (jnp.linalg.norm(x, axis=-1, keepdims=True) + 1e-6)`` (its eps now and then the dtype's
    own, ``jnp.finfo(x.dtype).eps``); the axis now and then ``x.ndim - 1``."""
    if value.vtype.rank < 1 or not value.vtype.is_float:
        return value
    name = w.name_of(value)
    eps = w.chooser.choice((1e-6, 1e-5)) if value.vtype.dtype != "float16" else 1e-2
    form = w.chooser.choice(("layer", "rms") + (("l2",) if argument else ()))
    if form == "l2" and w.chooser.chance(0.4):
        # the dtype's own epsilon, `jnp.finfo(x.dtype).eps`, as real code guards a division; not
        # under rsqrt, where a zero variance (a constant row) makes 1/sqrt(eps) of float64's eps
        # in the float64 reference pass, too ill-conditioned for any gradient check
        eps = MachineEpsilon(value.vtype.dtype, of=name if name is not None and w.chooser.chance(0.7) else None)
    last = {"axis": StaticNdim(value.vtype.rank, name) if name is not None and w.chooser.chance(0.3) else -1,
            "keepdims": True}  # the last axis, as `axis=-1` or `axis=x.ndim - 1`
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
    static_shape = StaticShape(shape, name, call=w.chooser.chance(0.15)) if name is not None and w.chooser.chance(
        0.6) else shape
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
    forms = ["jit", "checkpoint", "grad", "grad", "value_and_grad", "vectorize"] + (
        ["vmap", "vmap", "vmap_shared"] + ["vmap_collective"] * 3 if vtype.rank else [])
    form = w.chooser.choice(forms)
    if form == "vmap_collective":
        name = AxisName(w.chooser.choice(AXIS_NAMES))
        function = w.function((("r", ValueType(vtype.shape[1:], vtype.dtype)),), lambda r: across_rows(w, r, name))
        return w.apply("vmap_call", function, value, axis_name=name)
    if form in ("vmap", "vmap_shared"):
        row = ValueType(vtype.shape[1:], vtype.dtype)
        if form == "vmap_shared":
            shared = w.arg(row)
            function = w.function((("r", row), ("s", row)), lambda r, s: arith(w, r, s))
            return w.apply("vmap_shared", function, value, shared, in_axes=(0, None))
        axis = w.chooser.choice((0, 0, 0, 1, -1)) if vtype.rank >= 2 else 0  # mapped over a later axis now and then
        row = ValueType(vtype.shape[:axis % vtype.rank] + vtype.shape[axis % vtype.rank + 1:], vtype.dtype)
        function = w.function((("r", row),), lambda r: w.apply(w.chooser.choice(tag_names("reduction", row.dtype)), unary(
            w, r)) if row.rank and w.chooser.chance(0.5) else unary(w, r))
        axes = {"in_axes": axis} if axis or w.chooser.chance(0.3) else {}
        if function.vtype.rank and w.chooser.chance(0.25):  # the mapped axis placed last, or second
            axes["out_axes"] = w.chooser.choice((1, -1))
        return w.apply("vmap_call", function, value, **axes)
    if form == "vectorize":  # a scalar function mapped over every element
        scalar = w.function((("e", ValueType((), vtype.dtype)),), lambda e: arith(w, unary(w, e), partner_for(
            w, e) if w.chooser.chance(0.5) else w.chooser.choice(FLOAT_LITERALS)))
        return w.apply("vectorize_call", scalar, value)
    if form in ("jit", "checkpoint"):
        function = w.function((("t", vtype),), lambda t: arith(w, unary(w, t), w.chooser.choice(FLOAT_LITERALS)))
        return w.apply("jit_call" if form == "jit" else "checkpoint_call", function, value)
    loss = w.function((("t", vtype),), lambda t: w.apply_plain(
        w.chooser.choice(("sum", "mean", "sum_method", "mean_method")), unary(w, t)))
    if form == "grad":
        return w.apply("grad_call", loss, value)
    total, gradient = w.let(w.apply("value_and_grad_call", loss, value))
    return arith(w, gradient, total)


def across_rows(w: Walk, row, name: str):
    """A row function that reads the other rows through the collectives of the vmap naming
    ``name``: centred on the batch mean (``r - lax.pmean(r, "batch")``), batch-normalized (mean
    and variance over the mapped axis, as cross-replica batch norm takes them), scaled by a
    batch sum, or weighted by the row's position (``lax.axis_index``)."""
    form = w.chooser.choice(("center", "normalize", "normalize", "sum", "position"))
    if form == "sum":
        return arith(w, unary(w, row), w.apply("psum", row, axis_name=name))
    if form == "position":
        position = w.apply("astype", w.apply("axis_index", axis_name=name), dtype=DTypeName(row.vtype.dtype))
        return w.apply("multiply", row, w.apply("add", position, 1.0))
    centered = w.apply("subtract", row, w.apply("pmean", row, axis_name=name))
    if form == "center":
        return centered
    eps = 1e-5 if row.vtype.dtype != "float16" else 1e-2
    variance = w.apply("pmean", w.apply("square", centered), axis_name=name)
    return w.apply("multiply", centered, w.apply("rsqrt", w.apply("add", variance, eps)))


def linear_algebra(w: Walk):
    """A float32 linear-algebra step on a symmetric positive-definite matrix built as real code
    builds one, ``m = a @ a.T + n * jnp.eye(n)``: ``jnp.linalg.solve(m, b)``,
    ``jnp.linalg.cholesky(m)``; or ``q, r = jnp.linalg.qr(a)``."""
    n = w.chooser.integer(2, w.settings.max_dim) if w.settings.max_dim >= 2 else 1
    a = w.arg(ValueType((n, n), "float32"))
    form = w.chooser.choice(("solve", "solve", "cholesky", "qr"))
    if form == "qr":
        q, r = w.let(w.apply("qr", a))
        return w.apply("matmul_operator", q, r) if w.chooser.chance(0.3) else arith(w, r, partner_for(w, r))
    spd = w.let(w.apply("add", w.apply("matmul_operator", a, w.apply("T", a)),
                        w.apply("multiply", float(n), w.apply("eye", N=n))))
    if form == "cholesky":
        return w.apply("cholesky", spd)
    rhs = w.arg(ValueType((n,) if w.chooser.chance(0.5) else (n, w.chooser.integer(1, 3)), "float32"))
    return w.apply("solve", spd, rhs)


def convolution_block(w: Walk, dtype: str):
    """A convolution block: ``lax.conv_general_dilated(x, k, (1, 1), padding)`` of a small batch
    of images (N, C, H[, W]) by a kernel (O, C, kh[, kw]), plus a bias per output feature, then
    an activation."""
    spatial = 1 if w.settings.max_rank < 4 or w.chooser.chance(0.4) else 2
    batch, channels = w.chooser.integer(1, 2), w.chooser.integer(1, 3)
    sizes = [w.chooser.integer(2, 4) for _ in range(spatial)]
    while batch * channels * math.prod(sizes) > w.settings.max_arg_elements:
        sizes[sizes.index(max(sizes))] -= 1
    image = w.arg(ValueType((batch, channels, *sizes), dtype))
    kernel = w.arg(ValueType((w.chooser.integer(1, 3), channels, *(w.chooser.integer(1, s) for s in sizes)), dtype))
    features = w.apply("conv", image, kernel)
    bias = w.arg(ValueType((features.vtype.shape[1],) + (1,) * spatial, dtype))
    return unary(w, w.apply("add", features, bias))


def stopped(w: Walk, value):
    """``value`` with part of its gradient cut, as real code cuts it: a regression target
    ``jnp.square(x - lax.stop_gradient(t))`` (TD and BYOL targets), the straight-through estimator
    ``x + lax.stop_gradient(jnp.round(x) - x)``, or a statistic held fixed,
    ``x - lax.stop_gradient(x.max(axis=-1, keepdims=True))``. A top-level step only: the gradient
    oracle holds stopped values fixed (`fuzzgen.oracles.frozen`), which it cannot do per iteration."""
    if not value.vtype.is_float:
        return value
    form = w.chooser.choice(("target", "target", "straight_through") + (("statistic",) if value.vtype.rank else ()))
    if form == "target":
        target = partner_for(w, value, allow_literal=False)
        return w.apply("square", w.apply("subtract", value, w.apply("stop_gradient", target)))
    if form == "straight_through":
        quantized = w.apply(w.chooser.choice(("round", "round", "sign", "floor")), value)
        return w.apply("add", value, w.apply("stop_gradient", w.apply("subtract", quantized, value)))
    statistic = w.apply(w.chooser.choice(("max_method", "mean_method")), value, axis=-1, keepdims=True)
    return w.apply("subtract", value, w.apply("stop_gradient", statistic))


def cross_product(w: Walk, dtype: str):
    """Rigid-body and molecular code's cross products of 3-vectors: torques ``jnp.cross(r, f)`` of
    a few positions and forces (shape (k, 3) or (3,))."""
    count = w.chooser.integer(1, min(w.settings.max_dim, w.settings.max_arg_elements // 3))
    shape = (count, 3) if arg_fits(w, (count, 3)) and w.chooser.chance(0.7) else (3,)
    r = w.arg(ValueType(shape, dtype))
    f = w.arg(ValueType(shape, dtype)) if w.chooser.chance(0.7) else unary(w, r)
    return w.apply("cross", r, f)


def segment_aggregate(w: Walk, dtype: str):
    """Graph networks' aggregation: per-edge messages summed into their nodes,
    ``jax.ops.segment_sum(messages, receivers % n, num_segments=n)``, with int32 receiver ids
    kept in bounds (out-of-range ids would be dropped)."""
    edges = w.chooser.integer(2, w.settings.max_dim)
    features = w.chooser.integer(1, w.settings.max_dim) if w.chooser.chance(0.7) else None
    if features is not None and not arg_fits(w, (edges, features)):
        features = None
    nodes = w.chooser.integer(1, edges)
    messages = w.arg(ValueType((edges,) if features is None else (edges, features), dtype))
    messages = maybe_unary(w, messages, 0.5)
    receivers = w.apply("int_remainder_operator", w.arg(ValueType((edges,), "int32")), nodes)
    return w.apply("segment_sum", messages, receivers, num_segments=nodes)
