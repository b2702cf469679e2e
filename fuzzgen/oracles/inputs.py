"""Concrete inputs for a program's arguments, a pure function of (arg specs, seed).

The grammar guards every operand that has a restricted domain (``log(abs(x) + 1)``,
``power(abs(x) + 1, tanh(y))``, ``arcsin(0.9 * tanh(x))``), so any finite input lies inside every
op's domain; inputs only need to keep chains of ``exp`` finite, hence ``[-FLOAT_BOUND, FLOAT_BOUND]``.
Kinks (abs, maximum, where, floor) are not avoided here: they have measure zero for the float64
draws the gradient oracles use, and the oracles detect the points that land near one.
"""
from __future__ import annotations

import numpy as np

from ..program.spec import ArgSpec

FLOAT_BOUND = 2.0
INT_BOUND = 4


def _generator(seed: int, *salt: int) -> np.random.Generator:
    return np.random.default_rng([seed & 0xFFFFFFFF, seed >> 32 & 0xFFFFFFFF, *salt])


def reference_inputs(args, seed: int) -> list[np.ndarray]:
    """float64 values for floating args (not rounded to their dtype), int32 values for the rest."""
    out = []
    for position, spec in enumerate(args):
        rng = _generator(seed, position)
        if ArgSpec(spec.name, tuple(spec.shape), spec.dtype).is_float:
            out.append(rng.uniform(-FLOAT_BOUND, FLOAT_BOUND, size=tuple(spec.shape)).astype(np.float64))
        else:
            out.append(rng.integers(-INT_BOUND, INT_BOUND, size=tuple(spec.shape), endpoint=True).astype(np.dtype(spec.dtype)))
    return out


def draw_inputs(args, seed: int) -> list[np.ndarray]:
    """The same draws as `reference_inputs`, rounded to each argument's own dtype."""
    return [value.astype(np.dtype(spec.dtype)) for spec, value in zip(args, reference_inputs(args, seed))]


def random_like(values, seed: int, salt: int) -> list[np.ndarray]:
    """A standard-normal float64 array shaped like each value: tangents and cotangents."""
    return [_generator(seed, 1000 + salt, i).standard_normal(np.shape(v)) for i, v in enumerate(values)]
