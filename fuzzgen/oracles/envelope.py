"""The float64 reference: what a correct low-precision execution of a jaxpr may return.

Eager and jit (or batched and unbatched, or exported and direct) executions of one program are
all correct yet round differently: XLA fuses and keeps bfloat16 intermediates in float32 (jax
issue 23007), reorders sums, contracts multiply-adds. A fixed tolerance either drowns the fuzzer
in false alarms (cancellation, ``where`` near a tie, overflow in float16) or hides real bugs.

So the reference re-executes the program's own jaxpr in float64, equation by equation, several
times (Monte Carlo arithmetic): once exactly, once rounding every result to its native dtype (what
eager does), and ``NOISY_RUNS`` times perturbing every result by up to `noise_amplitude` of its
native dtype (sums and dot products by that much of the sum of absolute terms, since reordering
them is legal). The spread of those runs, per element, is the `Envelope` a correct
execution lands in. Discontinuous equations whose inputs lie within that spread of a jump are
reported instead (`Envelope.near_jump`): there, no tolerance is meaningful and the caller draws
other inputs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from jax.extend import core as jex_core

from ..jaxcompat import enable_x64
from .precision import LOW_PRECISION, is_floating, largest, smallest_normal, unit_roundoff
from . import discontinuities

NOISY_RUNS = 6
NOISE_ULPS = 8.0  # float32: XLA's float32 transcendentals are a few ulps off, differently fused
# float16 and bfloat16: XLA computes them in float32 and rounds the result once, so one result is
# off by at most about one native ulp (2 units of roundoff) plus float32's own error. Noise of
# NOISE_ULPS native units here hid a 10% error in most bfloat16 programs (bench/oracle_sensitivity.py).
LOW_PRECISION_NOISE_ULPS = 2.0
SLACK_WIDTHS = 2.0  # the envelope is widened by this many times its own width

# Primitives that call a sub-jaxpr with the same semantics: interpreted recursively.
CALL_PARAMS = {
    "jit": "jaxpr", "pjit": "jaxpr", "closed_call": "call_jaxpr", "core_call": "call_jaxpr",
    "custom_jvp_call": "call_jaxpr", "custom_vjp_call": "call_jaxpr", "custom_vjp_call_jaxpr": "fun_jaxpr",
    "checkpoint": "jaxpr", "remat": "jaxpr",
}
# Results these produce are exact given their inputs: no rounding to model.
EXACT = frozenset({
    "neg", "abs", "max", "min", "select_n", "broadcast_in_dim", "reshape", "transpose", "squeeze",
    "expand_dims", "reduce_max", "reduce_min", "copy", "copy_p", "concatenate", "slice", "dynamic_slice",
    "dynamic_update_slice", "gather", "pad", "rev", "sign", "floor", "ceil", "round", "stop_gradient", "sort",
    "cummax", "cummin", "argmax", "argmin", "clamp", "iota", "reduce_precision", "tile", "split",
    "and", "or", "not", "xor", "is_finite", "scatter", "scatter-min", "scatter-max", "reduce_and", "reduce_or",
    "shift_right_logical", "bitcast_convert_type", "nextafter", "top_k",
})
SUMS = frozenset({"reduce_sum", "dot_general", "cumsum", "conv_general_dilated",
                  "psum"})  # psum: over a vmap's named axis, a sum along that (positional) axis  # perturbed relative to the sum of |terms|
# XLA contracts a product feeding an add into one fused multiply-add, which skips the product's
# rounding, and may contract one use of a product and not another: after ``p = d * d``,
# ``p[i] - p`` is then off by an ulp of ``p``, not 0. So an add's or subtract's error is relative to
# its terms' magnitudes, as a sum's is, wherever they cancel.
CONTRACTIBLE = frozenset({"add", "sub", "add_any"})
# Rounded once to the native dtype, perturbed relative to the result (the default for a primitive
# in no other class). Every primitive an op record emits must be in one class: a test checks it.
ROUNDED = frozenset({
    "acos", "add", "asin", "asinh", "atan", "atan2", "atanh", "cbrt", "convert_element_type", "cos", "cosh",
    "cumlogsumexp", "cumprod", "digamma", "div", "erf", "erf_inv", "erfc", "exp", "exp2", "expm1", "integer_pow",
    "lgamma", "log", "log1p", "logistic", "mul", "pow", "reduce_prod", "rem", "rsqrt", "sin", "sinh", "sqrt",
    "square", "sub", "tan", "tanh", "scatter-add", "scatter-mul", "bessel_i0e", "bessel_i1e", "acosh",
})
COMPARISONS = frozenset({"eq", "ne", "lt", "le", "gt", "ge"})  # bool results: exact, never rounded
# Hold sub-jaxprs, or act on PRNG keys (values NumPy cannot hold): the reference raises Unsupported.
# A random program is still judged; only a disagreement beyond rounding cannot be arbitrated.
NO_REFERENCE = frozenset({"cond", "scan", "while", "random_seed", "random_wrap", "random_unwrap", "random_bits",
                          "random_split", "random_fold_in", "threefry2x32",
                          # Factorizations: many dependent roundings, not one; a disagreement there is
                          # not arbitrated (well-conditioned inputs keep the executions within TIGHT_ULPS).
                          "lu", "lu_pivots_to_permutation", "triangular_solve", "custom_linear_solve", "cholesky",
                          "geqrf", "householder_product"})


def primitive_class(name: str) -> str | None:
    """How the float64 reference models ``name``'s rounding: exact, sum, rounded, comparison,
    call, or none (no reference); None where the primitive is in no class."""
    for label, members in (("exact", EXACT), ("sum", SUMS), ("rounded", ROUNDED), ("comparison", COMPARISONS),
                           ("call", CALL_PARAMS), ("none", NO_REFERENCE)):
        if name in members:
            return label
    return None
# Implementations whose error is relative to this magnitude, not to the result, near the
# function's zeros: XLA's float32 lgamma (zeros at 1 and 2) and digamma (a root at 1.46) lie in
# the guarded domain [1, inf) and lose relative accuracy there, differently fused and unfused.
ABSOLUTE_ERROR_SCALE = {"lgamma": 1.0, "digamma": 1.0}
DTYPE_PARAMS = ("new_dtype", "dtype", "preferred_element_type")

FINITE, POS_INF, NEG_INF, NAN = 1, 2, 4, 8


class Unsupported(Exception):
    """A jaxpr the reference interpreter cannot execute (control flow, unknown call primitives)."""


def classes(values: np.ndarray) -> np.ndarray:
    """Per element, a bit for finite, +inf, -inf or nan."""
    values = np.asarray(values, dtype=np.float64)
    return np.select([np.isnan(values), values == np.inf, values == -np.inf], [NAN, POS_INF, NEG_INF], FINITE)


@dataclass(frozen=True)
class Envelope:
    """Per output: the exact float64 result, the range the runs spanned, the classes they hit."""

    exact: list
    low: list
    high: list
    seen_classes: list
    near_overflow: list
    roundoff: tuple  # per output, the unit roundoff of its native dtype
    tiny: tuple  # per output, an absolute floor: flushed subnormals
    near_jump: str | None  # the discontinuous primitive whose jump lies within rounding, if any

    def allowance(self, output: int) -> np.ndarray:
        """Per element, how far outside the runs' range a correct execution may still land."""
        low, high = self.low[output], self.high[output]
        with np.errstate(all="ignore"):
            width = np.where(np.isfinite(high - low), high - low, 0.0)
            magnitude = np.maximum(np.abs(np.nan_to_num(low)), np.abs(np.nan_to_num(high)))
        return SLACK_WIDTHS * width + 4 * self.roundoff[output] * magnitude + self.tiny[output]

    def volatile(self, output: int) -> np.ndarray:
        """Elements whose runs hit several classes (finite, inf, nan) or came near overflow."""
        seen = self.seen_classes[output]
        return (np.bitwise_and(seen, seen - 1) != 0) | self.near_overflow[output]

    def violations(self, output: int, values) -> np.ndarray:
        """Mask of elements of ``values`` (one output, any dtype) that no correct execution gives."""
        values = np.asarray(values, dtype=np.float64)
        slack = self.allowance(output)
        with np.errstate(all="ignore"):
            outside = (values < self.low[output] - slack) | (values > self.high[output] + slack)
        value_classes = classes(values)
        wrong_class = np.bitwise_and(value_classes, self.seen_classes[output]) == 0
        return ~self.volatile(output) & (wrong_class | ((value_classes == FINITE) & outside))


def reference_envelope(closed_jaxpr, inputs, seed: int) -> Envelope:
    """Run ``closed_jaxpr`` on ``inputs`` (NumPy arrays of its native dtypes) in float64."""
    native_out = [v.aval.dtype for v in closed_jaxpr.jaxpr.outvars]
    rng = np.random.default_rng([seed & 0xFFFFFFFF, 0xE1])
    runs = [_Run("exact", rng), _Run("rounded", rng)] + [_Run("noisy", rng) for _ in range(NOISY_RUNS)]
    runs.append(_Run("masked", rng))
    with enable_x64(True), np.errstate(all="ignore"):
        widened = [_widen(np.asarray(x)) for x in inputs]
        outputs = [run.evaluate(closed_jaxpr.jaxpr, closed_jaxpr.consts, widened) for run in runs]
        near = _near_jump(runs)
    return spread(outputs, native_out, near)


def spread(outputs, native_out, near_jump: str | None) -> Envelope:
    """The `Envelope` of several runs' outputs (``outputs[run][output]``, float64; the first run
    exact), each output of native dtype ``native_out[output]``."""
    near = near_jump
    stacked = [np.stack([np.asarray(o[i], dtype=np.float64) for o in outputs]) for i in range(len(native_out))]
    low, high, seen, overflow = [], [], [], []
    for values, dtype in zip(stacked, native_out):
        finite = np.isfinite(values)
        low.append(np.where(finite, values, np.inf).min(axis=0))
        high.append(np.where(finite, values, -np.inf).max(axis=0))
        seen.append(np.bitwise_or.reduce(classes(values), axis=0))
        limit = 0.5 * largest(dtype) if is_floating(dtype) else np.inf
        overflow.append(np.any(np.abs(np.where(finite, values, 0.0)) > limit, axis=0))
    return Envelope(
        exact=[s[0] for s in stacked], low=low, high=high, seen_classes=seen, near_overflow=overflow, near_jump=near,
        roundoff=tuple(unit_roundoff(d) if is_floating(d) else 0.0 for d in native_out),
        tiny=tuple(2 * smallest_normal(d) if is_floating(d) else 0.0 for d in native_out),
    )


def _widen(value: np.ndarray) -> np.ndarray:
    return value.astype(np.float64) if is_floating(value.dtype) else value


def _near_jump(runs) -> str | None:
    """The first discontinuous equation whose inputs lie within the runs' spread of a jump."""
    for key, (eqn, params, _) in runs[0].discontinuous.items():
        inputs = [run.discontinuous[key][2] for run in runs if key in run.discontinuous]
        if discontinuities.near_jump(eqn, params, inputs):
            return eqn.primitive.name
    return None


# XLA's algebraic simplifier rewrites a product with a converted predicate, `x * convert(p)` (a 0/1
# mask: `jax.nn.one_hot(labels, n) * logp`, `mask.astype(x.dtype) * x`), into `select(p, x, 0)`:
# where the mask is 0 the result is 0 even for x = nan or inf, which IEEE's 0 * nan is not. Eager
# execution gives nan, jit gives 0, and both are what XLA means the program to do (the masking
# idiom). The "masked" run computes such products as the select: an element where it and the
# exact run differ in class is volatile (not judged); everywhere else it agrees with the exact run.
# Shape-only ops keep a mask a mask, as XLA looks through them once it has moved the broadcast.
MASK_KEEPING = frozenset({"broadcast_in_dim", "reshape", "transpose", "squeeze", "expand_dims", "copy", "copy_p"})


class _Run:
    """One float64 execution of a jaxpr: exact, rounded to native dtypes, noisy, or masked
    (exact, with products of converted predicates computed as XLA rewrites them)."""

    def __init__(self, mode: str, rng: np.random.Generator):
        self.mode, self.rng = mode, rng
        self.discontinuous: dict = {}  # equation path -> (eqn, params, input values)
        self._masks: dict[int, np.ndarray] = {}  # id -> a 0/1 array converted from a predicate (kept alive)

    def evaluate(self, jaxpr, consts, args, path=()):
        env = {}

        def read(var):
            if isinstance(var, jex_core.Literal):
                value = np.asarray(var.val, dtype=var.aval.dtype)
                return _widen(value)
            return env[var]

        for var, value in zip(jaxpr.constvars, consts):
            env[var] = _widen(np.asarray(value))
        for var, value in zip(jaxpr.invars, args):
            env[var] = value
        for index, eqn in enumerate(jaxpr.eqns):
            values = [read(v) for v in eqn.invars]
            outs = self._equation(eqn, values, path + (index,))
            for var, out in zip(eqn.outvars, outs):
                env[var] = out
        return [read(v) for v in jaxpr.outvars]

    def _equation(self, eqn, values, path):
        name = eqn.primitive.name
        if name in CALL_PARAMS and CALL_PARAMS[name] in eqn.params:
            sub = eqn.params[CALL_PARAMS[name]]
            jaxpr, consts = (sub.jaxpr, sub.consts) if hasattr(sub, "consts") else (sub, ())
            return self.evaluate(jaxpr, consts, values, path)
        if name in NO_REFERENCE or any(_holds_jaxpr(p) for p in eqn.params.values()):
            raise Unsupported(f"no float64 reference for primitive {name!r} (it holds a sub-jaxpr)")
        params = {k: (np.float64 if k in DTYPE_PARAMS and v is not None and is_floating(v) else v)
                  for k, v in eqn.params.items()}
        try:
            outs = eqn.primitive.bind(*values, **params)
        except Exception as error:  # noqa: BLE001 - any failure means no reference, not a finding
            raise Unsupported(f"no float64 reference for primitive {name!r}: {type(error).__name__}") from None
        outs = [np.asarray(o) for o in (outs if eqn.primitive.multiple_results else [outs])]
        if self.mode == "masked":
            outs = self._masked(eqn, values, outs)
        if discontinuities.is_discontinuous(eqn):
            self.discontinuous[path] = (eqn, params, values)
        return [self._round(eqn, params, values, out, var.aval.dtype) for out, var in zip(outs, eqn.outvars)]

    def _masked(self, eqn, values, outs):
        name = eqn.primitive.name
        if name == "convert_element_type" and eqn.invars[0].aval.dtype == np.bool_ or (
                name in MASK_KEEPING and id(values[0]) in self._masks):
            self._masks[id(outs[0])] = outs[0]
        elif name == "mul" and any(id(v) in self._masks for v in values):
            mask, other = (values[0], values[1]) if id(values[0]) in self._masks else (values[1], values[0])
            with np.errstate(all="ignore"):
                outs = [np.asarray(np.where(mask != 0, outs[0], 0.0), dtype=outs[0].dtype)]
        return outs

    def _round(self, eqn, params, values, out, native):
        """Model the rounding of a native-dtype result: none, exact rounding, or noise."""
        if self.mode == "exact" or not is_floating(native) or not is_floating(out.dtype):
            return out
        if self.mode == "rounded":
            return out.astype(native).astype(np.float64)
        name = eqn.primitive.name
        if name in EXACT or (name == "convert_element_type" and np.array_equal(out.astype(native).astype(np.float64), out)):
            return out
        amplitude = noise_amplitude(native)
        if name in SUMS:
            absolute = np.asarray(eqn.primitive.bind(*[np.abs(v) for v in values], **params))
            scale = absolute * (math.ceil(math.log2(max(2, _terms(eqn, values, out)))) + 1)
        elif name in CONTRACTIBLE:
            scale = np.maximum(np.abs(out), np.abs(values[0]) + np.abs(values[1]))
        else:
            scale = np.maximum(np.abs(out), ABSOLUTE_ERROR_SCALE.get(name, 0.0))
        return out + amplitude * scale * self.rng.uniform(-1.0, 1.0, size=out.shape)


def noise_amplitude(dtype) -> float:
    """How far, relative to its magnitude, one correct result of ``dtype`` may be from exact."""
    if np.dtype(dtype).name in LOW_PRECISION:
        return LOW_PRECISION_NOISE_ULPS * unit_roundoff(dtype) + NOISE_ULPS * unit_roundoff(np.float32)
    return NOISE_ULPS * unit_roundoff(dtype)


def _terms(eqn, values, out) -> int:
    """How many terms each element of a sum adds up."""
    if eqn.primitive.name == "dot_general":
        (contracting, _), _ = eqn.params["dimension_numbers"]
        return math.prod(np.shape(values[0])[axis] for axis in contracting)
    if eqn.primitive.name == "cumsum":
        return np.shape(values[0])[eqn.params["axis"]]
    if eqn.primitive.name == "conv_general_dilated":  # input features times the kernel's window
        return math.prod(np.shape(values[1])[1:])
    return max(1, np.size(values[0]) // max(1, out.size))


def _holds_jaxpr(param) -> bool:
    items = param if isinstance(param, (tuple, list)) else (param,)
    return any(hasattr(p, "eqns") or hasattr(getattr(p, "jaxpr", None), "eqns") for p in items)
