"""Programs shaped like model code (issue 14): dense layers and MLPs, norms with scale and shift,
attention, losses, optimizer updates and whole training steps, each several statements long and
drawn with varied sizes, activations, spellings and options.

Each production takes a `Walk` and returns the function's one floating result: a layer's
activations, a loss, an updated parameter. A layer's learned arrays are flat arguments (``w`` and
``b``) or leaves of a ``params`` tree (`params.Params`: ``params['w1']``, ``params[0]['w']``,
``params['Dense_0']['kernel']``). Sizes keep within the settings: a production that cannot fit
(rank or element budget too small) falls back to the smaller form that does, never to an invalid program.
"""
from __future__ import annotations

import math

from .blocks import conv_block, embedded, rotary, rotary_angles
from .functions import block_helper, norm_helper, other_eps
from .idioms import normalized
from .ops import StaticDim, Subscripts
from .pieces import arg_fits, draw_float_dtype, fitted_shape, tag_names
from .types import ValueType
from .params import PROJECTIONS, ROLE_KEYS, TREE_NAME, Params
from .walk import Walk


def _dim(w: Walk, low: int = 1) -> int:
    return w.chooser.integer(min(low, w.settings.max_dim), w.settings.max_dim)


def _batch_leading(w: Walk, features: int, dtype: str, extra: bool = True, role: str = "x"):
    """An input argument shaped as model code's: (batch, features), sometimes (batch, tokens,
    features), a bare feature vector where the rank allows no more."""
    rank = min(w.settings.max_rank, 3 if extra and w.chooser.chance(0.3) else 2)
    leading = [_dim(w) for _ in range(max(0, rank - 1))]
    return w.arg(ValueType(fitted_shape(w, leading + [features]), dtype), role)


def activation(w: Walk, value):
    """An activation as layers apply one: ``jax.nn.relu``, ``gelu``, ``silu``, ``tanh``, ..."""
    names = tag_names("activation", value.vtype.dtype) + ("tanh", "nn_sigmoid")
    return w.apply(w.chooser.choice(names), value)


def dense(w: Walk, x, features: int, bias: bool = True, params: Params | None = None, kind: str = "dense"):
    """``x @ w + b`` (or ``jnp.dot``, ``jnp.einsum('...i,io->...o', ...)``, ``jnp.matmul``) with
    new weight and bias arguments, or leaves of ``params`` (``params['Dense_0']['kernel']``);
    ``features`` shrinks where the weight would not fit."""
    module = (params or Params(w, "flat")).module(kind)
    inputs = x.vtype.shape[-1] if x.vtype.rank else 1
    while features > 1 and not arg_fits(w, (inputs, features)):
        features //= 2
    if x.vtype.rank == 0 or not arg_fits(w, (inputs, features)):
        return w.apply("multiply", x, module.get("weight", ValueType((), x.vtype.dtype)))  # no matrix fits
    weight = module.get("weight", ValueType((inputs, features), x.vtype.dtype))
    spellings = ["matmul_operator"] * 4 + ["einsum", "matmul"] + (["dot"] if x.vtype.rank <= 2 else [])
    spelling = w.chooser.choice(spellings)
    if spelling == "einsum":
        h = w.apply("einsum", x, weight, subscripts=Subscripts("...i,io->...o"))
    else:
        h = w.apply(spelling, x, weight)
    if bias:
        h = w.apply("add", h, module.get("bias", ValueType((features,), x.vtype.dtype)))
    return h


LAYER_INPUTS = ("argument",) * 6 + ("embedding", "embedding", "conv", "conv")


def layer(w: Walk):
    """One to three dense layers with activations between them (an MLP), now and then a residual
    connection where the widths agree and a layer norm on the way; their input is an argument,
    an embedding lookup of token ids, or, instead of the dense layers, a convolution block."""
    dtype = draw_float_dtype(w)
    params = Params(w)
    start = w.chooser.choice(LAYER_INPUTS)
    if start == "conv":
        image = conv_block(w, dtype, params, activation)
        if image is not None:
            if image.vtype.rank == 2 and w.chooser.chance(0.5):  # pooled features into a classifier head
                return dense(w, image, _dim(w, 2), params=params)
            return image
    h = embedded(w, _dim(w, 2), dtype, params) if start == "embedding" else None
    if h is None:
        h = _batch_leading(w, _dim(w, 2), dtype)
        if w.chooser.chance(0.2):
            h = _rank_guard(w, h)
    if h.vtype.rank and w.chooser.chance(0.25):  # inputs normalized first, as a pre-norm block does
        h = w.let(normalized(w, h, argument=False))
    if h.vtype.rank and w.settings.max_rank >= 3 and w.chooser.chance(0.12):
        scanned = _scanned_layers(w, h, params)
        if scanned is not None:
            return scanned
    if h.vtype.rank and w.chooser.chance(0.3) and arg_fits(w, (h.vtype.shape[-1],) * 2) and w.arguments_left() >= 4:
        h = _stacked_blocks(w, h, params)
        if w.chooser.chance(0.5):
            return dense(w, h, _dim(w, 2), params=params)  # the output layer
        return h
    depth = w.chooser.choice((1, 2, 2, 3, 3))
    for position in range(depth):
        last = position == depth - 1
        width = h.vtype.shape[-1] if h.vtype.rank and w.chooser.chance(0.4) else _dim(w, 2)
        pre = dense(w, h, width, bias=w.chooser.chance(0.85), params=params)
        if last and w.chooser.chance(0.5):
            out = pre  # the output layer: logits, no activation
        else:
            out = activation(w, w.let(pre) if w.chooser.chance(0.8) else pre)  # `h = x @ w + b; h = relu(h)`
        if out.vtype.shape == h.vtype.shape and w.chooser.chance(0.5):
            out = w.apply("add", h, out)  # residual
        h = w.let(out)
        if not last and h.vtype.rank and w.chooser.chance(0.2):
            h = w.let(normalized(w, h, argument=False))
    if h.vtype.rank and w.chooser.chance(0.25):  # a classifier head: probabilities over the last axis
        return softmax(w, h) if w.chooser.chance(0.6) else w.apply("log_softmax", h, axis=-1)
    return h


def _rank_guard(w: Walk, x):
    """``if x.ndim > 2: x = x.reshape(-1, x.shape[-1])`` (tokens folded into the batch) or ``if
    x.ndim == 1: x = jnp.expand_dims(x, 0)`` (a batch of one): model code that takes either
    input, the test decided by the argument's rank (traced only where it passes)."""
    name = w.name_of(x)
    if w.chooser.chance(0.6):
        return w.when_rank(x, ">", 2, lambda v: w.apply(
            "reshape_method", v, shape=(-1, StaticDim(v.vtype.shape[-1], name, -1) if v.vtype.rank else 1)))
    return w.when_rank(x, "==", 1, lambda v: w.apply("expand_dims", v, axis=0))


def _scanned_layers(w: Walk, h, params: Params):
    """``h, hs = lax.scan(lambda h0, w1: (jax.nn.relu(h0 @ w1), h0), x, w)``: a stack of square
    layers, one weight array of (layers, d, d), applied by ``lax.scan`` over its leading axis
    (residually now and then), as scanned transformer blocks are; None where no stack fits."""
    depth, dtype = h.vtype.shape[-1], h.vtype.dtype
    layers = w.chooser.choice((2, 3, 4))
    while layers > 2 and not arg_fits(w, (layers, depth, depth)):
        layers -= 1
    if not arg_fits(w, (layers, depth, depth)):
        return None
    stack = params.module("dense").get("weight", ValueType((layers, depth, depth), dtype))
    residual = w.chooser.chance(0.4)

    def step(carry, weight):
        out = activation(w, w.apply("matmul_operator", carry, weight))
        return (w.apply("add", carry, out) if residual else out), carry

    function = w.function((("h", h.vtype), ("w", ValueType((depth, depth), dtype))), step)
    final, _ = w.let(w.apply("scan_layers", function, h, stack))
    return final


def _stacked_blocks(w: Walk, h, params: Params):
    """Two or three layers of one width, each a call of one helper (``h = block(h, params[0]['w'],
    params[0]['b'])``), now and then each after a norm helper (``h = layer_norm(h, gamma, beta)``)."""
    features, dtype = h.vtype.shape[-1], h.vtype.dtype
    bias = w.chooser.chance(0.85)
    with_norm = w.chooser.chance(0.4) and w.arguments_left() - 2 >= 3 + bias
    block = block_helper(w, h.vtype, bias=bias)
    norm_function, eps = norm_helper(w, h.vtype) if with_norm else (None, None)
    per_layer = len(block.params) - 1 + (len(norm_function.params) - 1 if norm_function is not None else 0)
    room = (w.arguments_left() - 2) // per_layer  # two left for an output layer
    layers = max(1, min(room, w.chooser.choice((2, 2, 3))))
    if params.style == "layers" and layers > 1 and w.chooser.chance(0.5):  # `for i in range(...)`
        return _looped_blocks(w, h, params, block, norm_function, eps, layers)
    for _ in range(layers):
        if norm_function is not None:
            learned = params.module("norm")
            operands = [learned.get(role, ValueType((features,), dtype))
                        for role in ("scale", "shift")[:len(norm_function.params) - 1]]
            h = w.let(w.call(norm_function, h, *operands, **other_eps(w, dtype, eps)))
        module = params.module("dense")
        operands = [module.get("weight", ValueType((features, features), dtype))]
        if len(block.params) == 3:
            operands.append(module.get("bias", ValueType((features,), dtype)))
        h = w.let(w.call(block, h, *operands))
    return h


def _looped_blocks(w: Walk, h, params: Params, block, norm_function, eps, layers: int):
    """The stacked layers as a Python loop over their positions in a list of layer dicts:
    ``for i in range(2): h = block(h, params[i]['w'], params[i]['b'])``, each layer's norm
    parameters beside its weights (``params[i]['scale']``); or, a third of the time, over a list
    of their own, ``for layer in layers: h = block(h, layer['w'], layer['b'])``."""
    features, dtype = h.vtype.shape[-1], h.vtype.dtype
    keys = ROLE_KEYS["layers"]
    eps_call = other_eps(w, dtype, eps) if norm_function is not None else {}
    over = BLOCKS_NAME if w.chooser.chance(0.35) else None
    tree = over or TREE_NAME

    def layer(_, value):
        if norm_function is not None:
            learned = [w.looped_leaf(tree, keys[role], ValueType((features,), dtype))
                       for role in ("scale", "shift")[:len(norm_function.params) - 1]]
            value = w.let(w.call(norm_function, value, *learned, **eps_call))
        operands = [w.looped_leaf(tree, keys["weight"], ValueType((features, features), dtype))]
        if len(block.params) == 3:
            operands.append(w.looped_leaf(tree, keys["bias"], ValueType((features,), dtype)))
        return w.call(block, value, *operands)

    if over is not None:
        return w.repeat(0, layers, h, layer, over=over)
    start = params.layers
    h = w.repeat(start, start + layers, h, layer)
    params.layers += layers
    return h


BLOCKS_NAME = "layers"  # a list of layer dicts of its own, iterated whole: `for layer in layers:`


def norm(w: Walk):
    """A norm layer with its learned scale and shift: layer norm, RMS norm, batch norm over the
    batch axis, or group norm (features reshaped into groups and normalized per group)."""
    dtype = draw_float_dtype(w)
    x = _batch_leading(w, _dim(w, 2), dtype)
    if x.vtype.rank < 1:
        return normalized(w, w.apply("reshape", x, shape=(1,)), argument=False)
    features = x.vtype.shape[-1]
    if w.chooser.chance(0.3):  # `y = layer_norm(x, gamma, beta)` of a helper defined before
        helper, eps = norm_helper(w, x.vtype)
        learned = Params(w).module("norm")
        operands = [learned.get(role, ValueType((features,), dtype)) for role in ("scale", "shift")[:len(helper.params) - 1]]
        return w.call(helper, x, *operands, **other_eps(w, dtype, eps))
    eps = 1e-2 if dtype == "float16" else w.chooser.choice((1e-5, 1e-6))
    if w.chooser.chance(0.3):  # `def norm(x, gamma, beta, *, eps=1e-05)`: the program's own keyword
        eps = w.keyword("eps", eps, float16=dtype == "float16")
    form = w.chooser.choice(("layer", "layer", "rms", "batch", "group"))
    groups = [g for g in (2, 3, 4) if features % g == 0 and g < features]
    if form == "group" and not (groups and x.vtype.rank == 2 and w.settings.max_rank >= 3):
        form = "layer"
    if form == "batch" and x.vtype.rank < 2:
        form = "rms"
    keyword = not isinstance(eps, float)  # a keyword-only eps: every form below must read it
    if form == "layer" and (keyword or w.chooser.chance(0.6)):  # written out, statistic by statistic
        last = {"axis": -1, "keepdims": True}
        mean = w.let(w.apply(w.chooser.choice(("mean", "mean_method")), x, **last))
        centered = w.let(w.apply("subtract", x, mean))
        var = w.let(w.apply("mean", w.apply("square", centered), **last) if w.chooser.chance(0.5)
                    else w.apply("var", x, **last))
        y = w.let(w.apply("multiply", centered, w.apply("rsqrt", w.apply("add", var, eps))))
    elif form in ("layer", "rms"):
        y = w.let(_rms(w, x, eps) if form == "rms" and (keyword or w.chooser.chance(0.5))
                  else normalized(w, x, argument=False))
    elif form == "batch":
        mean = w.let(w.apply("mean", x, axis=0))
        var = w.let(w.apply("var", x, axis=0))
        y = w.let(w.apply("multiply", w.apply("subtract", x, mean), w.apply("rsqrt", w.apply("add", var, eps))))
    else:
        g = w.chooser.choice(groups)
        batch = x.vtype.shape[0]
        grouped = w.let(w.apply("reshape_method", x, shape=(batch, g, features // g)))
        mean = w.let(w.apply("mean_method", grouped, axis=-1, keepdims=True))
        var = w.let(w.apply("var", grouped, axis=-1, keepdims=True))
        centered = w.apply("subtract", grouped, mean)
        normed = w.let(w.apply("multiply", centered, w.apply("rsqrt", w.apply("add", var, eps))))
        y = w.let(w.apply("reshape_method", normed, shape=(batch, features)))
    params = Params(w)
    learned = params.module("norm")
    shift = form != "rms" or w.chooser.chance(0.3)
    if w.chooser.chance(0.25):  # Flax's `use_scale` / `use_bias` as the program's keyword-only flags
        y = w.when(w.flag("use_scale", w.chooser.chance(0.85)), y,
                   lambda v: w.apply("multiply", v, learned.get("scale", ValueType((features,), dtype))))
        if shift:
            y = w.when(w.flag("use_bias", w.chooser.chance(0.85)), y,
                       lambda v: w.apply("add", v, learned.get("shift", ValueType((features,), dtype))))
    else:
        y = w.apply("multiply", y, learned.get("scale", ValueType((features,), dtype)))
        if shift:
            y = w.apply("add", y, learned.get("shift", ValueType((features,), dtype)))
    if w.chooser.chance(0.5):  # a pre-norm residual block: x + mlp(norm(x))
        h = w.let(activation(w, dense(w, w.let(y), features, params=params)))
        out = dense(w, h, features, params=params) if w.chooser.chance(0.5) else h
        return w.apply("add", x, out) if out.vtype.shape == x.vtype.shape else out  # a weight that fit
    return y


def _rms(w: Walk, x, eps: float):
    mean_square = w.apply("mean", w.apply("square", x), axis=-1, keepdims=True)
    return w.apply("multiply", x, w.apply("rsqrt", w.apply("add", mean_square, eps)))


def softmax(w: Walk, scores, axis: int = -1):
    """``jax.nn.softmax(s, axis=-1)``, or written out stably through the log-normalizer:
    ``jnp.exp(s - jax.nn.logsumexp(s, axis=-1, keepdims=True))``. (Not ``e / e.sum(...)`` of
    ``e = jnp.exp(s - s.max(...))``: that sum is at least 1, but the walk knows only that it is
    nonnegative, and would guard the division.)"""
    if w.chooser.chance(0.5):
        return w.apply("softmax", scores, axis=axis)
    normalizer = w.apply(w.chooser.choice(("logsumexp", "scipy_logsumexp")), scores, axis=axis, keepdims=True)
    return w.apply("exp", w.apply("subtract", scores, w.let(normalizer)))


def attention(w: Walk):
    """Scaled dot-product attention: queries and keys rotated by rotary position embeddings now
    and then, scores ``q @ k.T / 2.0`` (by the square root of the depth, or times its inverse; or
    an einsum),
    an optional causal mask (``jnp.tril``) or padding mask, a softmax over the keys, then the
    weighted sum of values; queries, keys and values are arguments or projections of one input,
    and now and then split into heads (reshape and transpose) and merged back; now and then
    returned with the attention weights (``return out, weights``)."""
    dtype = draw_float_dtype(w)
    tokens, depth = _dim(w), _dim(w)
    heads = w.chooser.choice((2, 2, 3)) if w.settings.max_rank >= 3 and w.chooser.chance(0.35) else 1
    if heads > 1 and not arg_fits(w, (tokens, heads * depth)):
        heads = 1
    if w.settings.max_rank < 2:  # no matrices: one query's weights over the entries of a vector (a gate, for scalars)
        q, k, v = (w.arg(ValueType(fitted_shape(w, [depth]), dtype), role) for role in "qkv")
        scores = w.apply("multiply", q, k)
        return w.apply("multiply", softmax(w, scores) if scores.vtype.rank else w.apply("nn_sigmoid", scores), v)
    width = heads * depth
    if w.chooser.chance(0.4) and arg_fits(w, (tokens, width)) and arg_fits(w, (width, width)):
        x = w.arg(ValueType((tokens, width), dtype), "x")
        params = Params(w)
        q, k, v = (w.let(dense(w, x, width, bias=False, params=params, kind=kind)) for kind in PROJECTIONS)
    else:
        q, k, v = (w.arg(ValueType(fitted_shape(w, [tokens, width]), dtype), role) for role in "qkv")
    tokens = q.vtype.shape[0]
    if heads == 1 and q.vtype.shape[-1] % 2 == 0 and w.chooser.chance(0.3):  # rotary position embeddings
        cos, sin = rotary_angles(w, tokens, q.vtype.shape[-1])
        q, k = rotary(w, q, cos, sin), rotary(w, k, cos, sin)
    if heads > 1 and q.vtype.shape[-1] == width:
        q, k, v = (w.let(w.apply("swapaxes", w.apply("reshape_method", t, shape=(tokens, heads, depth)),
                                 axis1=0, axis2=1)) for t in (q, k, v))
    else:
        heads, depth = 1, q.vtype.shape[-1]
    if heads > 1:
        scores = w.apply("einsum", q, k, subscripts=Subscripts("bqd,bkd->bqk"))
    else:
        keys = w.apply("T", k) if w.chooser.chance(0.5) else w.apply("swapaxes", k, axis1=1, axis2=0)
        scores = w.apply("matmul_operator", q, keys) if w.chooser.chance(0.7) else w.apply(
            "einsum", q, k, subscripts=Subscripts("ij,kj->ik"))
    if w.chooser.chance(0.5):
        scores = w.let(w.apply("divide", scores, round(math.sqrt(depth), 6)))
    else:
        scores = w.let(w.apply("multiply", scores, round(depth ** -0.5, 6)))
    mask = w.chooser.choice(("none", "causal", "causal", "padding"))
    floor = -1e4 if dtype == "float16" else -1e9
    if mask == "causal" and w.chooser.chance(0.4):  # `*, causal=True`, then `if causal: scores = ...`
        def masked(s):
            keep = w.apply("greater", w.let(w.apply("tril", w.apply("ones", shape=(tokens, tokens)))), 0.0)
            return w.apply("where", keep, s, floor)

        scores = w.when(w.flag("causal", w.chooser.chance(0.85)), scores, masked)
    elif mask == "causal":
        causal = w.let(w.apply("tril", w.apply("ones", shape=(tokens, tokens))))
        keep = w.apply("greater", causal, 0.0)
        scores = w.let(w.apply("where", keep, scores, floor))
    elif mask == "padding":
        valid = w.apply("greater", w.arg(ValueType((tokens,), dtype), "mask"), 0.0)  # which keys are real tokens
        scores = w.let(w.apply("where", valid, scores, floor))
    weights = w.let(softmax(w, scores))
    out = w.apply("matmul_operator", weights, v)
    if heads > 1:
        merged = w.let(w.apply("swapaxes", out, axis1=0, axis2=1))
        out = w.apply("reshape_method", merged, shape=(tokens, heads * depth))
    if w.chooser.chance(0.25):  # the attention weights too, as a layer that exposes them for inspection
        return w.results(out, weights)
    return out
