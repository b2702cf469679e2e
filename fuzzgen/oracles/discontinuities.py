"""Primitives whose output jumps, and how to tell that an input lies within rounding of a jump.

Two correct executions of a program (eager and jit, batched and not) round differently. Near a
jump (a comparison feeding ``where``, ``floor``, ``round``, ``argmax``) that tiny difference becomes
a large one, legitimately. The envelope interpreter records each discontinuous equation's inputs in
every run; a check measures how far the exact run is from a jump and how much the runs spread,
and calls it near when the distance is within ``MARGIN`` spreads. Spreads are measured on the
quantity that decides the jump (``a - b`` for a comparison), so operands equal by construction
(``eq(x, max(x))`` in a gradient) are not near anything. One record per primitive.
"""
from __future__ import annotations

from typing import Callable

import ml_dtypes
import numpy as np

MARGIN = 4.0  # how many times the measured rounding spread counts as "near"

# (primitive, params, native input dtypes, inputs of each run; run 0 exact) -> anything near a jump?
Check = Callable[[object, dict, list, list], bool]


def _spread(quantities: list[np.ndarray]) -> np.ndarray:
    """Per element, the largest distance of any run's quantity from the exact run's."""
    exact = quantities[0]
    spread = np.zeros(np.shape(exact))
    with np.errstate(all="ignore"):
        for other in quantities[1:]:
            same = (other == exact) | (np.isnan(other) & np.isnan(exact))  # inf == inf: no spread
            distance = np.where(same, 0.0, np.nan_to_num(np.abs(other - exact), nan=np.inf))
            spread = np.maximum(spread, distance)
    return spread


def _bind(primitive, params, value):
    out = primitive.bind(value, **params)
    return np.asarray(out[0] if primitive.multiple_results else out)


def _monotone(primitive, params, native, runs) -> bool:
    """floor, round, sign, float->int casts: non-decreasing, so a jump lies inside the uncertainty
    interval exactly when the outputs at its two ends differ."""
    values = [run[0] for run in runs]
    spread = _spread(values)
    low = _bind(primitive, params, values[0] - MARGIN * spread)
    high = _bind(primitive, params, values[0] + MARGIN * spread)
    return bool(np.any((low != high) & (spread > 0)))


def _reduce_precision(primitive, params, native, runs) -> bool:
    """Rounding to no fewer mantissa bits than the operand's own dtype changes no value that dtype
    can hold: nothing to jump. Rounding to fewer bits is a staircase, checked like floor."""
    if params["mantissa_bits"] >= ml_dtypes.finfo(native[0]).nmant:
        return False
    return _monotone(primitive, params, native, runs)


def _comparison(primitive, params, native, runs) -> bool:
    differences = [np.asarray(a, np.float64) - np.asarray(b, np.float64) for a, b in runs]
    spread = _spread(differences)
    return bool(np.any((np.abs(differences[0]) <= MARGIN * spread) & (spread > 0)))


def _remainder(primitive, params, native, runs) -> bool:
    """rem(x, y) jumps where x / y crosses an integer."""
    with np.errstate(all="ignore"):
        quotients = [np.asarray(x, np.float64) / np.asarray(y, np.float64) for x, y in runs]
        spread = _spread(quotients)
        low, high = np.trunc(quotients[0] - MARGIN * spread), np.trunc(quotients[0] + MARGIN * spread)
    return bool(np.any((low != high) & (spread > 0)))


def _atan2(primitive, params, native, runs) -> bool:
    """atan2(y, x) jumps by 2*pi where y crosses 0 with x < 0."""
    spread_y = _spread([np.asarray(y, np.float64) for y, _ in runs])
    spread_x = _spread([np.asarray(x, np.float64) for _, x in runs])
    y, x = runs[0]
    return bool(np.any((np.abs(y) <= MARGIN * spread_y) & (x - MARGIN * spread_x < 0) & (spread_y > 0)))


def _arg_extreme(primitive, params, native, runs) -> bool:
    """argmax/argmin switch where the two best candidates along the axis are within rounding."""
    axis = params["axes"][0]
    values = [np.asarray(run[0], np.float64) for run in runs]
    ordered = np.sort(values[0] if primitive.name == "argmin" else -values[0], axis=axis)
    if ordered.shape[axis] < 2:
        return False
    gap = np.take(ordered, 1, axis=axis) - np.take(ordered, 0, axis=axis)
    spread = np.max(_spread(values), axis=axis)
    return bool(np.any((gap <= 2 * MARGIN * spread) & (spread > 0)))


def _to_integer(primitive, params, native, runs) -> bool:
    if np.issubdtype(np.dtype(params["new_dtype"]), np.integer):
        return _monotone(primitive, params, native, runs)
    return False


CHECKS: dict[str, Check] = {
    **{name: _comparison for name in ("lt", "le", "gt", "ge", "eq", "ne")},
    **{name: _monotone for name in ("floor", "ceil", "round", "sign")},
    "reduce_precision": _reduce_precision,
    "rem": _remainder,
    "atan2": _atan2,
    "argmax": _arg_extreme,
    "argmin": _arg_extreme,
    "convert_element_type": _to_integer,
}


def is_discontinuous(eqn) -> bool:
    return eqn.primitive.name in CHECKS


def near_jump(eqn, params: dict, runs: list[list]) -> bool:
    """Whether, on these runs' inputs to ``eqn`` (run 0 exact), rounding could cross a jump."""
    if not any(np.issubdtype(np.asarray(v).dtype, np.floating) for v in runs[0]):
        return False  # integers and booleans are exact: no rounding moves them
    native = [v.aval.dtype for v in eqn.invars]
    return CHECKS[eqn.primitive.name](eqn.primitive, params, native, runs)
