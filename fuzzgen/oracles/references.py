"""An independent reference for each op record: what NumPy/SciPy say it computes, in float64.

As JAX's own ``lax_reference.py`` does, each op name maps to a NumPy or SciPy function with the
same call signature as the JAX function it renders as (``jnp.heaviside`` -> ``np.heaviside``), or
to `NATIVE` where the rendered Python syntax itself is the reference: an operator, a method or a
subscript applied to NumPy arrays (``x + y``, ``x.sum(axis=0)``, ``x[:, 0]``). A program is
judged by the reference oracle (`reference`) only where every op it calls is in this table, so an
op without one is never judged against a guess.

Each entry also says how a correct low-precision execution may differ (``kind``): ``exact``
results (layout, selection, comparisons' operands) are never rounded; ``rounded`` ones are off by
a few ulps of themselves, or of ``scale`` where the op is built of several roundings with
cancellation (``gelu`` of large negative x, ``var``); ``jump`` ones are discontinuous, and inputs
within rounding of a jump are redrawn; ``sum`` ones are off relative to the sum of the absolute
terms (reordering a sum is legal), and their intermediate terms can overflow where the result
does not (``jnp.mean([3e38, 3e38])`` is inf in float32): ``scale`` gives that magnitude.

Semantics that differ between NumPy and JAX, and how they are settled here:
- dtypes: NumPy computes in float64 whatever ``dtype=`` a constructor names; the envelope models
  the program's own precision (`reference`).
- integers: computed in int64; an op whose integer result leaves int32 (JAX wraps it), an
  integer division by zero and a shift by a negative amount or 32 or more raise `Undefined`, and
  that input draw is passed over (`reference`).
- out-of-bound indices (JAX clamps or fills, NumPy raises): ``jnp.take_along_axis`` is judged
  where every index is in range (else `Undefined`), other gathers have no reference; the windows
  at run-time starts (``lax.dynamic_slice_in_dim``) clamp their start as JAX documents;
  ``jax.nn.one_hot`` encodes an index outside [0, num_classes) as zeros, as JAX documents.
- denormals: XLA on CPU treats subnormal inputs as zero (``jnp.log(1e-40)`` is -inf); one run of
  the envelope flushes them (`reference`).
"""
from __future__ import annotations

import dataclasses

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import scipy.special as special

from ..grammar.catalog.windows import clamped_start
from . import documented

NATIVE = None  # the rendered syntax on NumPy arrays is the reference


@dataclass(frozen=True)
class Reference:
    function: Callable | None
    # exact | rounded | jump | sum | composite: computed by NumPy operations on the run's own
    # arrays, so that each is rounded or perturbed as XLA's op by op computation of it is
    kind: str = "rounded"
    scale: Callable | None = None  # magnitude a correct result's error is relative to (default: the result's)
    # Computed in the program's own precision in the rounded runs: a product's partial products
    # underflow to 0 (then 0 * inf is nan) or overflow there, in whatever order XLA multiplies.
    in_working_dtype: bool = False
    # The largest magnitude an intermediate may reach in some order (a product's partial products);
    # past the program's largest finite value the result may be inf, -inf or nan.
    overflow: Callable | None = None
    # max(-0.0, 0.0) may be either zero (IEEE leaves the sign open, and XLA's differs from NumPy's),
    # which matters after it: arctan2(+-0, -1) is +-pi.
    zero_sign_free: bool = False
    # What XLA's CPU emitter computes where it departs from IEEE (the flushed run, which models XLA
    # on CPU, uses it): elements where the two differ in class are not judged.
    on_xla_cpu: Callable | None = None
    # Its result is a 0/1 mask (a one-hot encoding), or is one where its first operand is (layout):
    # XLA turns a product with a mask into a select (`reference._selected`).
    makes_mask: bool = False
    keeps_mask: bool = False

    def __post_init__(self):
        if self.kind not in ("exact", "rounded", "jump", "sum", "composite"):
            raise ValueError(f"kind={self.kind!r} must be exact, rounded, jump, sum or composite")


def _float64(dtype):
    """Constructors compute in float64 whatever floating dtype the program names."""
    if dtype is None:
        return None
    dtype = np.dtype(dtype)
    return np.float64 if dtype.kind == "f" or dtype.name == "bfloat16" else dtype


def _constructor(function):
    def construct(*args, dtype=None, **kwargs):
        return function(*args, dtype=_float64(dtype), **kwargs)
    return construct


def _abs_terms(function):
    """Scale of a sum: the same sum over absolute values."""
    return lambda x, *args, **kwargs: function(np.abs(x), *args, **kwargs)


def _contraction_scale(function):
    def scale(*operands):
        *leading, a, b = operands
        terms = max(2, np.size(a))
        return function(*leading, np.abs(a), np.abs(b)) * (math.ceil(math.log2(terms)) + 1)
    return scale


def _mean_square(x, axis=None, keepdims=False, **_):
    return np.mean(np.square(x), axis=axis, keepdims=keepdims)


def _standardize(x, axis=-1, epsilon=1e-5):
    mean = np.mean(x, axis=axis, keepdims=True)
    variance = np.mean(np.square(x), axis=axis, keepdims=True) - np.square(mean)
    return (x - mean) / np.sqrt(np.maximum(variance, 0.0) + epsilon)


def _standardize_scale(x, axis=-1, epsilon=1e-5):
    mean_abs = np.mean(np.abs(x), axis=axis, keepdims=True)
    variance = np.var(x, axis=axis, keepdims=True)
    mean_square = np.mean(np.square(x), axis=axis, keepdims=True)
    return (np.abs(x) + mean_abs) / np.sqrt(variance + epsilon) + np.abs(_standardize(x, axis, epsilon)) * (
        mean_square / (variance + epsilon))


def _log_softmax(x, axis=-1):
    """As jax.nn documents it, ``x - max`` then minus the log of the sum of exponentials: an inf
    in the row makes it nan (SciPy's version special-cases a non-finite maximum)."""
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def _softmax(x, axis=-1):
    shifted = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return shifted / np.sum(shifted, axis=axis, keepdims=True)


def _tree_map(function, tree, *rest):
    """``jax.tree_util.tree_map``: ``function`` of the leaves at each position of trees of one
    structure (dicts in sorted key order, lists, tuples), each leaf's ops run as the run's."""
    if isinstance(tree, dict):
        return {key: _tree_map(function, tree[key], *(other[key] for other in rest)) for key in sorted(tree)}
    if isinstance(tree, (list, tuple)):
        return type(tree)(_tree_map(function, *items) for items in zip(tree, *rest))
    return function(tree, *rest)


def _logsumexp(x, axis=None, keepdims=False):
    """As jax.nn.logsumexp computes it: the maximum (0 where it is not finite) taken out first."""
    top = np.max(x, axis=axis, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    out = np.log(np.sum(np.exp(x - top), axis=axis, keepdims=True)) + top
    return out if keepdims else np.squeeze(out, axis=axis)


def _cross_terms(a, b):
    """Per component of ``jnp.cross(a, b)`` (last axis), the sum of its two products' magnitudes."""
    a, b = np.broadcast_arrays(np.abs(a), np.abs(b))
    if a.shape[-1] == 2:
        return a[..., 0] * b[..., 1] + a[..., 1] * b[..., 0]
    x, y, z = (a[..., i] for i in range(3))
    u, v, w = (b[..., i] for i in range(3))
    return np.stack([y * w + z * v, z * u + x * w, x * v + y * u], axis=-1)


def _gelu_scale(x, *args, **kwargs):
    """``0.5 * x * (1 + erf(x / sqrt(2)))``: ``1 + erf`` cancels where x is negative, an error of
    a few ulps of |x| until erf saturates at -1 (|x| of about 6), after which the result is 0."""
    return np.abs(_gelu(x, *args, **kwargs)) + np.minimum(np.abs(x), 8.0)


def _gelu(x, approximate=True):
    if approximate:
        return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1.0 + special.erf(x / np.sqrt(2.0)))


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.where(x > 0, 0.0, x)))


def _leaky_relu(x, negative_slope=0.01):
    return np.where(x >= 0, x, negative_slope * x)


def _norm(x, ord=None, axis=None, keepdims=False):
    return np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)


def _norm_scale(x, ord=None, axis=None, keepdims=False):
    terms = max(2, np.size(x))
    return np.sqrt(np.sum(np.square(x), axis=axis, keepdims=keepdims)) * (math.ceil(math.log2(terms)) + 1)


def _lax_slice(x, start_indices, limit_indices):
    return x[tuple(slice(start, limit) for start, limit in zip(start_indices, limit_indices))]


def _window(x, start, size, axis):
    """The positions ``lax.dynamic_slice_in_dim`` takes: JAX's clamped start, not NumPy's IndexError."""
    axis %= np.ndim(x)
    begin = clamped_start(int(np.asarray(start)), size, np.shape(x)[axis])
    return axis, (slice(None),) * axis + (slice(begin, begin + size),)


def _dynamic_slice_in_dim(x, start, slice_size, axis=0):
    return x[_window(x, start, slice_size, axis)[1]]


def _dynamic_index_in_dim(x, index, axis=0, keepdims=True):
    axis, window = _window(x, index, 1, axis)
    return x[window] if keepdims else np.squeeze(x[window], axis=axis)


def _dynamic_update_slice_in_dim(x, update, start, axis):
    out = np.array(x, dtype=np.result_type(x, update), copy=True)
    out[_window(x, start, np.shape(update)[axis % np.ndim(x)], axis)[1]] = update
    return out


def _cumprod_scale(x, axis=None):
    return np.abs(np.cumprod(x, axis=axis)) * max(1, np.shape(x)[axis] if axis is not None else np.size(x))


def _prod_scale(x, axis=None, keepdims=False):
    count = np.size(x) if axis is None else math.prod(np.shape(x)[a] for a in np.atleast_1d(axis))
    return np.abs(np.prod(x, axis=axis, keepdims=keepdims)) * max(1, count)


_EXACT, _JUMP = "exact", "jump"


def _r(function, kind="rounded", scale=None, in_working_dtype=False, overflow=None, zero_sign_free=False) -> Reference:
    return Reference(function, kind, scale, in_working_dtype, overflow, zero_sign_free)


def _signless(function) -> Reference:
    return Reference(function, "exact", zero_sign_free=True)


def _partial_products(big, small, has_inf):
    """The extreme partial products: ``big`` (every factor above 1 first) overflows, or, with an
    inf among the factors, ``small`` (every one below 1 first) underflows to 0 and 0 * inf is nan;
    both come back as one magnitude, ``1 / small`` standing for the underflow."""
    with np.errstate(all="ignore"):
        return np.maximum(big, np.where(has_inf, 1.0 / small, 0.0))


def _prod_overflow(x, axis=None, keepdims=False):
    magnitude = np.abs(x)
    big = np.prod(np.where(np.isfinite(magnitude), np.maximum(magnitude, 1.0), 1.0), axis=axis, keepdims=keepdims)
    small = np.prod(np.where(magnitude > 0, np.minimum(magnitude, 1.0), 1.0), axis=axis, keepdims=keepdims)
    return _partial_products(big, small, np.any(np.isinf(x), axis=axis, keepdims=keepdims))


def _cumprod_overflow(x, axis=None):
    magnitude = np.abs(x)
    big = np.cumprod(np.where(np.isfinite(magnitude), np.maximum(magnitude, 1.0), 1.0), axis=axis)
    small = np.cumprod(np.where(magnitude > 0, np.minimum(magnitude, 1.0), 1.0), axis=axis)
    return _partial_products(big, small, np.maximum.accumulate(np.isinf(x), axis=axis if axis is not None else 0))


# BLAS skips a zero factor (0 * inf is nan, but gemv with x[j] == 0 adds nothing), so contractions
# are einsum's own loops, which follow IEEE arithmetic.
def ieee_matmul(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim == 1 and b.ndim == 1:
        return np.einsum("i,i->", a, b)
    if a.ndim == 1:
        return np.einsum("j,...jk->...k", a, b)
    if b.ndim == 1:
        return np.einsum("...ij,j->...i", a, b)
    return np.einsum("...ij,...jk->...ik", a, b)


def ieee_dot(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if b.ndim <= 2:
        return ieee_matmul(a, b)
    # np.dot of N-d arrays: over a's last axis and b's second to last, the other axes side by side.
    letters = "abcdefghijklmnopqrstuvwxy"
    left, right = letters[:a.ndim - 1], letters[a.ndim - 1:a.ndim + b.ndim - 2]
    return np.einsum(f"{left}z,{right[:-1]}z{right[-1]}->{left}{right}", a, b)


def _ieee_vdot(a, b):
    return np.einsum("i,i->", np.ravel(a), np.ravel(b))


def _ieee_einsum(subscripts, *operands):
    return np.einsum(subscripts, *operands, optimize=False)


def _ieee_conv(x, kernel, window_strides, padding, preferred_element_type=None):
    """``lax.conv_general_dilated`` in JAX's default layout (NCHW images, OIHW kernels): a
    cross-correlation (the kernel is not flipped) over the zero-padded image, each output a sum
    of products in einsum's IEEE loops (a padded 0 times an inf or nan kernel entry is nan)."""
    x = np.pad(x, ((0, 0), (0, 0), *padding))
    spatial = "hwdxyz"[:x.ndim - 2]
    sizes = [(x.shape[2 + d] - kernel.shape[2 + d]) // window_strides[d] + 1 for d in range(len(spatial))]
    out = np.empty((x.shape[0], kernel.shape[0], *sizes), np.result_type(x, kernel))
    for position in np.ndindex(*sizes):
        window = tuple(slice(p * s, p * s + k) for p, s, k in zip(position, window_strides, kernel.shape[2:]))
        out[(slice(None), slice(None), *position)] = np.einsum(
            f"nc{spatial},oc{spatial}->no", x[(slice(None), slice(None), *window)], kernel, optimize=False)
    return out


def _conv_skipping_padding(x, kernel, window_strides, padding, preferred_element_type=None):
    """The convolution as XLA on CPU computes it: a padded position contributes no term at all,
    so a padded 0 against an inf or nan kernel entry leaves the sum finite (jit and eager alike;
    the realistic false-alarm run met it with edge inputs, seed 3, program 173)."""
    valid = np.pad(np.ones((1, 1, *x.shape[2:]), bool), ((0, 0), (0, 0), *padding))
    x = np.pad(x, ((0, 0), (0, 0), *padding))
    sizes = [(x.shape[2 + d] - kernel.shape[2 + d]) // window_strides[d] + 1 for d in range(x.ndim - 2)]
    out = np.empty((x.shape[0], kernel.shape[0], *sizes), np.result_type(x, kernel))
    terms = tuple(range(2, x.ndim + 1))  # channels and window positions of (n, o, c, *window)
    for position in np.ndindex(*sizes):
        window = (slice(None), slice(None), *(slice(p * s, p * s + k) for p, s, k in
                                               zip(position, window_strides, kernel.shape[2:])))
        products = x[window][:, None] * kernel[None]
        with np.errstate(invalid="ignore"):
            kept = np.where(valid[window][:, None], products, 0.0)
        out[(slice(None), slice(None), *position)] = kept.sum(axis=terms)
    return out


def _conv_scale(x, kernel, window_strides, padding, preferred_element_type=None):
    terms = max(2, np.size(kernel) // max(1, kernel.shape[0]))
    return _ieee_conv(np.abs(x), np.abs(kernel), window_strides, padding) * (math.ceil(math.log2(terms)) + 1)


MASK_KEEPING = frozenset({"reshape", "transpose", "broadcast_to", "expand_dims", "squeeze"})  # as `envelope`'s

REFERENCES: dict[str, Reference] = {
    # Operators, methods and subscripts: NumPy's own semantics are JAX's on these.
    **{name: _r(NATIVE) for name in ("add", "subtract", "multiply", "divide", "negative", "power_operator",
                                     "matmul_operator", "remainder_operator", "T", "reshape_method",
                                     "transpose_method", "flatten", "index", "sum_method", "mean_method",
                                     "max_method", "min_method", "any_method", "all_method", "clip_method",
                                     "greater", "less", "greater_equal", "less_equal", "not_equal", "equal",
                                     "mask_and", "mask_or", "mask_not")},
    # Elementwise functions.
    **{name: _r(getattr(np, name)) for name in ("sin", "cos", "tanh", "exp", "log", "sqrt", "log1p", "expm1",
                                                "sinh", "cosh", "tan", "arctan", "arcsinh", "arcsin", "arccos",
                                                "arctanh", "arccosh", "exp2", "cbrt", "log2", "log10", "square",
                                                "reciprocal", "power", "hypot")},
    "arctan2": _r(np.arctan2, "jump"),  # jumps by 2 pi across y = 0 where x < 0
    # log(exp(x) + exp(y)) = max + log1p(exp(-|x - y|)): near 0 the two terms cancel.
    "logaddexp": _r(np.logaddexp, scale=lambda x, y: 1.0 + np.maximum(np.abs(x), np.abs(y))),
    "abs": _r(np.abs, _EXACT), "maximum": _signless(np.maximum), "minimum": _signless(np.minimum),
    "sign": _r(np.sign, _JUMP), "floor": _r(np.floor, _JUMP), "ceil": _r(np.ceil, _JUMP),
    "round": _r(np.round, _JUMP), "remainder": _r(np.remainder, _JUMP), "heaviside": _r(np.heaviside, _JUMP),
    "floor_divide": _r(np.floor_divide, _JUMP),
    "clip": _signless(np.clip), "clamp": _signless(lambda low, x, high: np.clip(x, low, high)),
    "lax_square": _r(np.square), "rsqrt": _r(lambda x: 1.0 / np.sqrt(x)), "sigmoid": _r(special.expit),
    "erf": _r(special.erf), "erfc": _r(special.erfc), "erf_inv": _r(special.erfinv),
    # XLA's float32 lgamma and digamma lose relative accuracy near their zeros (1 and 2; 1.46): an
    # absolute error of about 1e-6 there, some 16 float32 ulps of 1.
    "lgamma": _r(special.gammaln, scale=lambda x: np.maximum(np.abs(special.gammaln(x)), 2.0)),
    "digamma": _r(special.digamma, scale=lambda x: np.maximum(np.abs(special.digamma(x)), 2.0)),
    "integer_pow": _r(lambda x, y: x ** y), "i0e": _r(special.i0e), "i1e": _r(special.i1e),
    "xlogy": _r(special.xlogy, scale=lambda x, y: np.abs(x) * np.maximum(np.abs(np.log(np.abs(y))), 1.0)),
    "xlog1py": _r(special.xlog1py, scale=lambda x, y: np.abs(x) * np.maximum(np.abs(np.log1p(y)), 1.0)),
    "stop_gradient": _r(lambda x: x, _EXACT),
    # Differences of products: where the products overflow, inf - inf is nan.
    "cross": _r(np.cross, "sum", _cross_terms),
    "isfinite": _r(np.isfinite, _EXACT), "isnan": _r(np.isnan, _EXACT), "isinf": _r(np.isinf, _EXACT),
    "logical_and": _r(np.logical_and, _EXACT), "logical_or": _r(np.logical_or, _EXACT),
    "logical_not": _r(np.logical_not, _EXACT), "equal_call": _r(np.equal, _EXACT),
    "where": _r(np.where, _EXACT), "lax_select": _r(np.where, _EXACT),
    # jax.nn, written as the formulas JAX documents.
    "relu": _signless(lambda x: np.maximum(x, 0.0)), "relu6": _signless(lambda x: np.clip(x, 0.0, 6.0)),
    "nn_sigmoid": _r(special.expit), "nn_softplus": _r(lambda x: np.logaddexp(x, 0.0)),
    "log_sigmoid": _r(lambda x: -np.logaddexp(-x, 0.0)),
    "silu": _r(lambda x: x * special.expit(x)), "swish": _r(lambda x: x * special.expit(x)),
    "gelu": _r(_gelu, scale=_gelu_scale), "elu": _r(_elu),
    "leaky_relu": _r(_leaky_relu, _EXACT),
    # Composite: XLA computes ``exp(x - max(x))`` op by op, and may round x in max and in the
    # difference differently (recomputing it in two fusions, contracting a product into the
    # difference as a fused multiply-add), so the difference errs by a few ulps of |x|: past
    # about 1e9 in float32 that error, through exp, is inf, and the result nan.
    "softmax": _r(_softmax, "composite"),
    "log_softmax": _r(_log_softmax, "composite"),
    "standardize": _r(_standardize, scale=_standardize_scale, in_working_dtype=True),
    **{name: _r(_tree_map, "composite") for name in ("tree_map", "tree_map2", "tree_util_map", "tree_util_map2")},
    "logsumexp": _r(_logsumexp, "composite"),
    "scipy_logsumexp": _r(_logsumexp, "composite"),
    # Reductions and scans.
    "sum": _r(np.sum, "sum", _abs_terms(np.sum)), "mean": _r(np.mean, "sum", _abs_terms(np.mean), overflow=_abs_terms(np.sum)),
    "max": _signless(np.max), "min": _signless(np.min), "prod": _r(np.prod, scale=_prod_scale, overflow=_prod_overflow),
    # Their squares overflow (float16's var of [-65504, 1] is inf) where the result would not.
    "var": _r(np.var, "sum", _mean_square, in_working_dtype=True),
    "std": _r(np.std, "sum", lambda x, axis=None, keepdims=False: np.sqrt(_mean_square(x, axis, keepdims)),
              in_working_dtype=True),
    "norm": _r(_norm, "sum", _norm_scale, in_working_dtype=True),
    "any": _r(np.any, _EXACT), "all": _r(np.all, _EXACT),
    "cumsum": _r(np.cumsum, "sum", _abs_terms(np.cumsum)), "cumprod": _r(np.cumprod, scale=_cumprod_scale, overflow=_cumprod_overflow),
    "cummax": _signless(lambda x, axis=0: np.maximum.accumulate(x, axis=axis)),
    "cumlogsumexp": _r(lambda x, axis=0: np.logaddexp.accumulate(x, axis=axis),
                       scale=lambda x, axis=0: 1.0 + np.maximum.accumulate(np.abs(x), axis=axis)),
    "argmax": _r(np.argmax, _JUMP), "argmin": _r(np.argmin, _JUMP), "sort": _r(np.sort, _EXACT),
    # Layout and joining: exact.
    **{name: dataclasses.replace(_r(getattr(np, name), _EXACT), keeps_mask=name in MASK_KEEPING) for name in (
        "reshape", "transpose", "broadcast_to", "expand_dims", "tile", "flip", "roll", "squeeze", "swapaxes",
        "moveaxis", "concatenate", "stack", "hstack", "vstack", "append", "tril", "triu", "diag", "repeat", "pad",
        "zeros_like", "ones_like", "full_like")},
    "slice": _r(_lax_slice, _EXACT),
    "take_along_axis": _r(documented.take_along_axis, _EXACT), "take": _r(documented.take, _EXACT),
    "split": _r(np.split, _EXACT), "one_hot": dataclasses.replace(_r(documented.one_hot, _EXACT), makes_mask=True),
    "cond": _r(documented.cond, "composite"), "switch": _r(documented.switch, "composite"),
    "fori_loop": _r(documented.fori_loop, "composite"), "scan": _r(documented.scan, "composite"),
    "scan_layers": _r(documented.scan, "composite"),
    "dynamic_slice_in_dim": _r(_dynamic_slice_in_dim, _EXACT), "dynamic_index_in_dim": _r(_dynamic_index_in_dim, _EXACT),
    "dynamic_update_slice_in_dim": _r(_dynamic_update_slice_in_dim, _EXACT),
    # Constructors: float64 whatever dtype= says.
    **{name: _r(_constructor(getattr(np, name)), _EXACT) for name in ("zeros", "ones", "full", "eye", "asarray",
                                                                      "array")},
    "arange": _r(_constructor(np.arange), _EXACT), "linspace": _r(np.linspace),
    # Contractions: sums of products.
    **{name: _r(function, "sum", _contraction_scale(function))
       for name, function in (("dot", ieee_dot), ("matmul", ieee_matmul), ("vdot", _ieee_vdot),
                              ("einsum", _ieee_einsum))},
    "conv": dataclasses.replace(_r(_ieee_conv, "sum", _conv_scale), on_xla_cpu=_conv_skipping_padding),
}
