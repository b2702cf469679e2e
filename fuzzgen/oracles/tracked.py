"""The arrays of one reference run (`reference`): float64 (or int64, bool) NumPy arrays whose
operators, methods and ufuncs go through the run that is current, which models XLA's rounding
at every op, and what the run knows of each array: whether rounding reached it (``inexact``) and
whether it is a 0/1 mask (``mask``, for XLA's select rewrite). Integer results are checked as
they are made (`check_integers`): JAX wraps int32 where NumPy's int64 does not.
"""
from __future__ import annotations

import numpy as np

from .precision import is_floating
from .documented import Undefined

EXACT_UFUNCS = frozenset({"negative", "positive", "absolute", "maximum", "minimum", "fmax", "fmin", "copysign",
                           "logical_and", "logical_or", "logical_not", "logical_xor", "invert", "bitwise_and",
                           "bitwise_or", "bitwise_xor", "isfinite", "isnan", "isinf", "signbit", "clip"})
JUMP_UFUNCS = frozenset({"greater", "less", "greater_equal", "less_equal", "equal", "not_equal", "floor", "ceil",
                          "rint", "sign", "remainder", "floor_divide", "fmod", "heaviside", "arctan2"})
QUOTIENT_UFUNCS = frozenset({"remainder", "floor_divide", "fmod"})  # where they jump: where the quotient does
SIGNLESS_UFUNCS = frozenset({"maximum", "minimum", "fmax", "fmin", "clip"})  # `references.Reference.zero_sign_free`


class NoReference(Exception):
    """The program calls something without a NumPy reference."""


INT32 = np.iinfo(np.int32)
_INT_QUOTIENTS = frozenset({"floor_divide", "remainder", "fmod", "divmod"})
_SHIFTS = frozenset({"left_shift", "right_shift"})


def check_integers(name: str, raw, result) -> None:
    """Raise `Undefined` where integer arithmetic leaves what int32 defines alike in JAX and NumPy
    (each op's result is checked, so no wrapped intermediate goes unseen)."""
    operands = [np.asarray(r) for r in raw if isinstance(r, (np.ndarray, np.generic, int)) and not isinstance(r, bool)]
    integral = [o for o in operands if o.dtype.kind in "iu"]
    if integral and name in _INT_QUOTIENTS and len(operands) >= 2 and operands[1].dtype.kind in "iu" \
            and np.any(operands[1] == 0):
        raise Undefined(f"integer {name} by zero")
    if integral and name in _SHIFTS and len(operands) >= 2 and np.any((operands[1] < 0) | (operands[1] > 31)):
        raise Undefined(f"{name} by an amount outside 0..31")
    for value in result if isinstance(result, (tuple, list)) else (result,):
        value = np.asarray(value)
        if value.dtype.kind in "iu" and value.size and (value.min() < INT32.min or value.max() > INT32.max):
            raise Undefined(f"{name} leaves int32 (JAX wraps)")


class Tracked(np.ndarray):
    """A float64 (or bool/int) array of one reference run: operators and methods on it go through
    the run, which models their rounding. ``inexact``: computed with rounding somewhere on the way
    (an input or literal is exact), as views of it are."""

    inexact = False
    mask = False  # a 0/1 mask: a bool array, a cast or one-hot encoding of one, or a view of such

    def __array_finalize__(self, obj):
        self.inexact = getattr(obj, "inexact", False)
        self.mask = getattr(obj, "mask", False)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raw = tuple(raw_of(x) for x in inputs)
        kwargs.pop("out", None)  # NumPy's own methods (mean) divide in place; the result is returned too
        with np.errstate(all="ignore"):
            result = getattr(ufunc, method)(*raw, **kwargs)
        check_integers(ufunc.__name__, raw, result)
        rounds = ufunc.__name__ not in EXACT_UFUNCS | JUMP_UFUNCS or ufunc.__name__ in QUOTIENT_UFUNCS | {"arctan2"}
        inexact = inexact_of(inputs)
        run = current_run()
        if run.mode == "masked" and ufunc.__name__ == "multiply" and method == "__call__" and len(inputs) == 2 \
                and any(getattr(x, "mask", False) for x in inputs):
            result = selected(inputs, raw)
        value = marked(run.ufunc(ufunc, method, raw, kwargs, result, inexact), rounds or inexact)
        if isinstance(value, Tracked):
            value.mask = value.dtype == np.bool_
        return value

    def astype(self, dtype, *args, **kwargs):
        """A cast to a floating dtype, of an integer, bool or floating array: rounded as the
        program's least precise dtype rounds (`reference.working_dtypes` counts the dtype the
        source names). A cast to an integer or bool (truncation, saturation) is not modelled."""
        source, target = self.dtype, np.dtype(dtype)
        if not is_floating(target) or not (is_floating(source) or source.kind in "iub"):
            raise NoReference(f"astype to {target} (casts to integers and bools are not modelled)")
        cast = current_run().finish(raw_of(self).astype(np.float64), "exact" if source == np.bool_ else "rounded")
        cast.mask = bool(self.mask)
        return marked(cast, source != np.bool_ or self.inexact)

    @property
    def at(self):
        raise NoReference("x.at[...] (scatter)")


# XLA's algebraic simplifier rewrites a product with a converted predicate, ``x * convert(p)``
# (``a * (b > 0)``, ``jax.nn.one_hot(labels, n) * log_probs``, ``mask.astype(x.dtype) * x``), into
# ``select(p, x, 0)``: 0 where the mask is 0 even for x = nan or inf, which IEEE's 0 * nan is not
# (eager may give either). The "masked" run computes such products as the select, so where it and
# the exact run differ in class both classes are accepted; elsewhere they agree
# (`fuzzgen.oracles.envelope` models the same rewrite for the float64 oracles).
def selected(inputs, raw):
    """``select(mask != 0, other, 0)`` for a product of a mask and another operand."""
    mask = raw[0] if getattr(inputs[0], "mask", False) else raw[1]
    with np.errstate(all="ignore"):
        product = np.multiply(raw[0], raw[1])
        return np.where(np.asarray(mask) != 0, product, np.zeros_like(product))


def inexact_of(values) -> bool:
    """Whether any of ``values`` (arrays, or tuples and lists of them) carries rounding."""
    if isinstance(values, (tuple, list)):
        return any(inexact_of(v) for v in values)
    return bool(getattr(values, "inexact", False))


def marked(value, inexact: bool):
    if isinstance(value, (tuple, list)):
        return type(value)(marked(v, inexact) for v in value)
    if isinstance(value, Tracked):
        value.inexact = inexact
    return value


def raw_of(value):
    if isinstance(value, Tracked):
        return value.view(np.ndarray)
    if isinstance(value, (tuple, list)):
        return type(value)(raw_of(v) for v in value)
    return value


def tracked(value):
    if isinstance(value, np.ndarray) and not isinstance(value, Tracked):
        return value.view(Tracked)
    if isinstance(value, np.generic):
        return np.asarray(value).view(Tracked)
    if isinstance(value, (tuple, list)):
        return type(value)(tracked(v) for v in value)
    return value


RUNS: list = []


def current_run() -> "_Run":
    if not RUNS:
        raise NoReference("a reference array used outside its run")
    return RUNS[-1]
