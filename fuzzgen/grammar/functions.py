"""Python structure around the ops (issue 14): helper functions defined in the same source and
called from the program (``def layer_norm(x, scale, shift, *, eps=1e-05)``, a residual block
reused for every layer), and keyword-only static numbers with defaults (``*, eps=1e-05``).

Real model code is built this way (a layer is a function, called once per layer; a norm takes
``eps`` as a keyword with a default). A helper is typed once, for the
types it is called with (`Walk.helper`); every call passes values of exactly those types, so the
body means the same at each call, as real layer helpers are reused across layers of one width.
"""
from __future__ import annotations

from .pieces import tag_names
from .types import ValueType
from .walk import Walk

NORM_EPS = (1e-5, 1e-6)
FLOAT16_EPS = 1e-2  # float16 keeps it, and 1/sqrt of it is finite there


def draw_eps(w: Walk, dtype: str) -> float:
    return FLOAT16_EPS if dtype == "float16" else w.chooser.choice(NORM_EPS)


def other_eps(w: Walk, dtype: str, default: float) -> dict:
    """Now and then a call's own ``eps=``, different from the default (never where float16 would
    lose it)."""
    if dtype == "float16" or not w.chooser.chance(0.3):
        return {}
    return {"eps": next(e for e in NORM_EPS if e != default)}


def _last(**extra) -> dict:
    return {"axis": -1, "keepdims": True, **extra}


def norm_statistics(w: Walk, x, eps, form: str):
    """``x`` normalized over its last axis, as a norm's body writes it, statistic by statistic:
    ``mean = jnp.mean(x, axis=-1, keepdims=True)``, ``var = jnp.var(...)`` (or the mean of the
    squared deviations), ``(x - mean) * lax.rsqrt(var + eps)``; RMS norm without the mean.
    ``eps`` is a number or a keyword-only parameter."""
    if form == "rms":
        mean_square = w.let(w.apply("mean", w.apply("square", x), **_last()))
        return w.apply("multiply", x, w.apply("rsqrt", w.apply("add", mean_square, eps)))
    mean = w.let(w.apply(w.chooser.choice(("mean", "mean_method")), x, **_last()))
    centered = w.let(w.apply("subtract", x, mean))
    var = w.let(w.apply("mean", w.apply("square", centered), **_last()) if w.chooser.chance(0.5)
                else w.apply("var", x, **_last()))
    return w.apply("multiply", centered, w.apply("rsqrt", w.apply("add", var, eps)))


def norm_helper(w: Walk, vtype: ValueType, shift: bool | None = None):
    """``def layer_norm(x, scale, shift, *, eps=1e-05)`` (or ``rms_norm(x, scale, *, eps=...)``):
    the statistics, then the learned scale and shift; returns the helper and its default eps."""
    features, dtype = vtype.shape[-1], vtype.dtype
    form = w.chooser.choice(("layer", "layer", "rms"))
    if shift is None:
        shift = form == "layer" or w.chooser.chance(0.3)
    eps = draw_eps(w, dtype)
    learned = ValueType((features,), dtype)
    params = (("x", vtype), ("scale", learned)) + ((("shift", learned),) if shift else ())

    def body(x, scale, *rest):
        *shifted, eps_name = rest
        y = w.let(norm_statistics(w, x, eps_name, form))
        y = w.apply("multiply", y, scale)
        return w.apply("add", y, shifted[0]) if shifted else y

    helper = w.helper("rms_norm" if form == "rms" else "layer_norm", params, body, (("eps", eps),))
    return helper, eps


def block_helper(w: Walk, vtype: ValueType, bias: bool):
    """``def block(x, w, b)``: a dense layer of a square weight, an activation, and now and then
    the residual connection, ``x + jax.nn.gelu(x @ w + b)``: one layer of a deep MLP, called once
    per layer with that layer's parameters."""
    features, dtype = vtype.shape[-1], vtype.dtype
    params = (("x", vtype), ("w", ValueType((features, features), dtype)))
    params += (("b", ValueType((features,), dtype)),) if bias else ()
    spelling = w.chooser.choice(("matmul_operator", "matmul_operator", "matmul") + (("dot",) if vtype.rank <= 2 else ()))
    activation = w.chooser.choice(tag_names("activation", dtype) + ("tanh",))
    residual = w.chooser.chance(0.6)

    def body(x, weight, *rest):
        h = w.apply(spelling, x, weight)
        if rest:
            h = w.apply("add", h, rest[0])
        h = w.apply(activation, w.let(h) if w.chooser.chance(0.5) else h)
        return w.apply("add", x, h) if residual else h

    return w.helper("block" if residual else "dense", params, body)
