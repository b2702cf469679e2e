"""Deciding whether two executions that should agree, but round differently, really disagree.

A cheap bitwise-or-nearly check settles almost every program. Only when it fails is the float64
`Envelope` computed, and each execution is judged against it: both inside means a legitimate
rounding difference. An execution is wrong where it is outside *and* disagrees with another
execution beyond the envelope's allowance (executions that agree with each other but not with
float64 show a primitive less accurate than its reference, not an inconsistency). Inputs that sit
within rounding of a jump (a tie in ``where``, ``floor``) are redrawn.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .precision import is_floating, unit_roundoff
from .envelope import Envelope, Unsupported, classes, reference_envelope

TIGHT_ULPS = 4  # closer than this, two executions agree without consulting the reference
ATTEMPTS = 3  # input draws tried before giving up on inputs that keep landing near a jump


def nearly_equal(a: np.ndarray, b: np.ndarray) -> bool:
    """Same shape and dtype, same non-finite positions, finite values within `TIGHT_ULPS`."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if not is_floating(a.dtype):
        return bool(np.array_equal(a, b))
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    if not np.array_equal(classes(a64), classes(b64)):
        return False
    finite = np.isfinite(a64)
    tolerance = TIGHT_ULPS * 2 * unit_roundoff(a.dtype) * np.maximum(np.abs(a64), np.abs(b64))
    with np.errstate(invalid="ignore"):  # inf - inf where both are inf: compared by class above
        return bool(np.all(np.abs(a64 - b64)[finite] <= tolerance[finite]))


@dataclass(frozen=True)
class Outcome:
    """``problem`` is a one-line finding, ``near_jump`` the primitive that made inputs unusable."""

    problem: str | None = None
    near_jump: str | None = None
    unsupported: str | None = None


def judge(executions: dict[str, list], jaxpr_thunk: Callable, inputs, seed: int, label: str) -> Outcome:
    """Compare named executions (each a list of output arrays) of one jaxpr on ``inputs``."""
    names = list(executions)
    first = executions[names[0]]
    if all(len(executions[n]) == len(first) and all(nearly_equal(x, y) for x, y in zip(first, executions[n]))
           for n in names[1:]):
        return Outcome()
    for name in names:
        shapes = [np.shape(v) for v in executions[name]]
        if shapes != [np.shape(v) for v in first]:
            return Outcome(problem=f"{label}: {name} returned shapes {shapes}, {names[0]} returned "
                                   f"{[np.shape(v) for v in first]}")
    try:
        envelope = reference_envelope(jaxpr_thunk(), inputs, seed)
    except Unsupported as error:
        return Outcome(unsupported=str(error))
    if envelope.near_jump:
        return Outcome(near_jump=envelope.near_jump)
    problems = [_describe(name, executions, envelope) for name in names]
    problems = [p for p in problems if p]
    if problems:
        others = ", ".join(n for n in names if not any(p.startswith(n + " ") for p in problems))
        agreeing = f"; {others} within it" if others else ""
        return Outcome(problem=f"{label}: " + "; ".join(problems) + agreeing)
    return Outcome()


def _describe(name: str, executions: dict, envelope: Envelope) -> str | None:
    """Where execution ``name`` is outside the envelope *and* disagrees with another execution.

    Executions that agree with each other but not with the float64 reference are not judged:
    the reference's primitive is more accurate than the native one (XLA's float32 lgamma is off
    by more ulps than the noise model allows), which is no inconsistency between executions.
    """
    for output, value in enumerate(executions[name]):
        bad = envelope.violations(output, value) & _disagrees(name, output, executions, envelope)
        if np.any(bad):
            where = tuple(int(i) for i in np.argwhere(bad)[0]) if np.ndim(bad) else ()
            got = np.asarray(value, np.float64)[where]
            low, high = np.asarray(envelope.low[output])[where], np.asarray(envelope.high[output])[where]
            return (f"{name} output {output} at {list(where)} is {float(got):.6g}, outside the float64 "
                    f"reference range [{float(low):.6g}, {float(high):.6g}] ({int(np.sum(bad))} elements)")
    return None


def _disagrees(name: str, output: int, executions: dict, envelope: Envelope) -> np.ndarray:
    """Elements where another execution differs from ``name``'s by more than the allowance."""
    mine = np.asarray(executions[name][output], np.float64)
    allowance = envelope.allowance(output)
    differs = np.zeros(np.shape(mine), bool)
    for other_name, other in executions.items():
        if other_name != name:
            theirs = np.asarray(other[output], np.float64)
            with np.errstate(invalid="ignore"):
                far = np.abs(mine - theirs) > allowance
            differs |= (classes(mine) != classes(theirs)) | (far & np.isfinite(mine) & np.isfinite(theirs))
    return differs


def differential(oracle: str, attempt: Callable[[int], Outcome], seed: int):
    """Run ``attempt(seed')`` for up to `ATTEMPTS` input seeds; the first usable outcome decides."""
    from .verdict import mismatch, passed, skipped

    near = None
    for k in range(ATTEMPTS):
        outcome = attempt(seed + k * 1_000_003)
        if outcome.problem:
            return mismatch(oracle, outcome.problem)
        if outcome.unsupported:
            return skipped(oracle, outcome.unsupported)
        if outcome.near_jump is None:
            return passed(oracle)
        near = outcome.near_jump
    return skipped(oracle, f"every input draw lay within rounding of a jump of {near!r}")
