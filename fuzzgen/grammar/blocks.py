"""Embedding lookups and convolution blocks, as model code writes them (issue 14, "convolution
blocks, embeddings"): the first layer of a language model and of an image model.

- `embedded`: token ids (an int32 argument, kept in range by ``ids % vocab`` as a tokenizer
  guarantees) looked up in a learned table, by ``table[ids]``, ``jnp.take(table, ids, axis=0)``
  or ``jax.nn.one_hot(ids, vocab) @ table``, sometimes plus a learned position table.
- `rotary`: rotary position embeddings of attention's queries and keys, as LLaMA-style code
  writes them: angles ``positions[:, None] * inv_freq[None, :]`` from ``jnp.arange``, the two
  halves of the features rotated, ``jnp.concatenate([x1 * cos - x2 * sin, x1 * sin + x2 * cos],
  axis=-1)``, cast back to the input's dtype.
- `conv_block`: ``lax.conv_general_dilated`` in JAX's default layout (NCHW images, OIHW kernels)
  with unit strides and explicit SAME or VALID padding, a per-channel bias (``b.reshape((1, 3,
  1, 1))``), an activation, and now and then a global average pool over the spatial axes.

The embedding and the convolution take their learned arrays from a `Params` (flat arguments,
``table``, ``w``, ``b``, or a ``params`` tree: ``params['Embed_0']['embedding']``,
``params['Conv_0']['kernel']``).
"""
from __future__ import annotations

import math

from .ops import DTypeName, Slice
from .params import Params
from .pieces import arg_fits
from .types import ValueType
from .walk import Walk

LOOKUPS = ("index", "index", "index", "take", "one_hot")  # real code indexes the table most


def embedded(w: Walk, features: int, dtype: str, params: Params):
    """Token ids looked up in a learned (vocab, features) table: (tokens, features), or (batch,
    tokens, features) where the rank allows; None where no table fits the budget."""
    vocab = w.chooser.integer(2, max(2, w.settings.max_dim))
    while features > 1 and not arg_fits(w, (vocab, features)):
        features //= 2
    if w.settings.max_rank < 2 or not arg_fits(w, (vocab, features)) or not w.settings.allows_int:
        return None
    module = params.module("embed")
    table = module.get("embedding", ValueType((vocab, features), dtype))
    tokens = w.chooser.integer(1, w.settings.max_dim)
    batched = w.settings.max_rank >= 3 and w.chooser.chance(0.4) and arg_fits(w, (2, tokens, features))
    id_shape = (w.chooser.integer(1, 2), tokens) if batched else (tokens,)
    ids = w.apply("int_remainder_operator", w.arg(ValueType(id_shape, "int32"), "ids"), vocab)
    lookup = w.chooser.choice(LOOKUPS)
    if lookup == "index":
        h = w.apply("gather_index", table, ids)
    elif lookup == "take":
        h = w.apply("take", table, ids, axis=0)
    else:  # one-hot codes times the table: the lookup as a matmul, in the table's dtype
        codes = w.let(w.apply("one_hot", ids, num_classes=vocab))
        if dtype != "float32":
            codes = w.apply("astype", codes, dtype=DTypeName(dtype))
        h = w.apply("matmul_operator", codes, table)
    if w.chooser.chance(0.35) and arg_fits(w, (tokens, features)):  # learned positions, added per token
        positions = module.get("position", ValueType((tokens, features), dtype))
        h = w.apply("add", w.let(h), positions)
    return w.let(h)


def rotary_angles(w: Walk, tokens: int, depth: int):
    """``(cos, sin)`` of the (tokens, depth // 2) rotation angles: position ``t`` turns feature
    pair ``i`` by ``t * base ** (-i / half)``."""
    half = depth // 2
    float32 = DTypeName("float32")
    base = w.chooser.choice((10000.0, 10000.0, 500000.0))  # (LLaMA 3 turns slower)
    # base ** (-i / half) as exp(i * -log(base) / half): an exponent the walk would not know lies in [-1, 0]
    step = round(-math.log(base) / half, 6)
    inverse_frequencies = w.let(w.apply("exp", w.apply("multiply", w.apply("arange", stop=half, dtype=float32), step)))
    positions = w.apply("arange", stop=tokens, dtype=float32)
    angles = w.let(w.apply("multiply", w.apply("index", positions, index=(Slice(), None)),
                           w.apply("index", inverse_frequencies, index=(None, Slice()))))
    return w.let(w.apply("cos", angles)), w.let(w.apply("sin", angles))


def rotary(w: Walk, x, cos, sin):
    """``x`` (tokens, depth) with each feature pair ``(x1[i], x2[i])`` of its two halves rotated
    by the angles, back in ``x``'s dtype."""
    half = x.vtype.shape[-1] // 2
    first = w.let(w.apply("index", x, index=(Ellipsis, Slice(stop=half))))
    second = w.let(w.apply("index", x, index=(Ellipsis, Slice(start=half))))
    rotated = w.apply("concatenate", w.apply("subtract", w.apply("multiply", first, cos), w.apply("multiply", second, sin)),
                      w.apply("add", w.apply("multiply", first, sin), w.apply("multiply", second, cos)), axis=-1)
    if x.vtype.dtype != "float32":
        rotated = w.apply("astype", w.let(rotated), dtype=DTypeName(x.vtype.dtype))
    return w.let(rotated)


def conv_block(w: Walk, dtype: str, params: Params, activation):
    """``activation(conv(x, k) + b)`` on an NCHW image argument (NCW where the rank stops at 3),
    then a global average pool now and then; None where no image fits. ``activation(w, value)``
    is the layers' own (`models.activation`, passed in: models imports this module)."""
    spatial = 2 if w.settings.max_rank >= 4 else 1
    if w.settings.max_rank < 3:
        return None
    size = max(2, w.settings.max_dim)
    image = [w.chooser.integer(1, 2), w.chooser.integer(1, 3)] + [w.chooser.integer(2, size) for _ in range(spatial)]
    while not arg_fits(w, image) and max(image[2:]) > 2:
        image[2:] = [max(2, d - 1) for d in image[2:]]
    while not arg_fits(w, image) and image[1] > 1:
        image[1] -= 1
    if not arg_fits(w, image):
        return None
    channels = image[1]
    out_channels = w.chooser.integer(1, 4)
    window = [w.chooser.integer(1, min(3, d)) for d in image[2:]]
    while out_channels > 1 and not arg_fits(w, [out_channels, channels] + window):
        out_channels -= 1
    if not arg_fits(w, [out_channels, channels] + window):
        return None
    x = w.arg(ValueType(tuple(image), dtype), "images")
    module = params.module("conv")
    kernel = module.get("weight", ValueType((out_channels, channels, *window), dtype))
    same = w.chooser.chance(0.6)
    padding = tuple(((k - 1) // 2, k // 2) if same else (0, 0) for k in window)
    h = w.apply("conv", x, kernel, window_strides=(1,) * spatial, padding=padding)
    if w.chooser.chance(0.8):  # a bias per output channel, broadcast over the image
        bias = module.get("bias", ValueType((out_channels,), dtype))
        h = w.apply("add", w.let(h), w.apply("reshape_method", bias, shape=(1, out_channels) + (1,) * spatial))
    h = w.let(activation(w, w.let(h)))
    if w.chooser.chance(0.4):  # global average pooling: the image's features per channel
        h = w.let(w.apply("mean", h, axis=tuple(range(2, 2 + spatial))))
    return h
