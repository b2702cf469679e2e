"""Edge inputs: the values where implementations special-case, and where bugs hide.

Smooth inputs (`inputs`) never hit ``nan``, ``inf``, ``-0.0``, a subnormal, the largest finite
value or an exact domain boundary, so an op that mishandles one (``jnp.heaviside(nan, h)``
returning ``h``, ``floor_divide(x, 0.0)`` returning nan) passes every oracle. Here each element of
a floating argument is, with probability `EDGE_SHARE`, one of its dtype's edge values instead of
a smooth draw: a pure function of (arg specs, seed) like the smooth inputs. Integer arguments
get their extremes, zero and plus and minus one. Only the reference
oracle uses them: NumPy says what must come out there, where two JAX executions could only agree.
"""
from __future__ import annotations

import numpy as np

from .inputs import _generator, draw_inputs
from .precision import finfo, is_floating

# Half the elements are edge values: a bug often needs two at once (``xlogy(0, nan)``), and an
# element pair hits a given pair of the ten values with probability (EDGE_SHARE / 10) ** 2.
EDGE_SHARE = 0.5
# Fewer for integers: an extreme makes most integer arithmetic leave int32, and the reference
# passes such a draw over (JAX wraps it), so a program of several integer ops needs draws without.
INTEGER_EDGE_SHARE = 0.25


def edge_values(dtype) -> np.ndarray:
    """The edge values of a floating dtype, in that dtype: signed zeros and infinities, nan, one,
    the largest finite value and the smallest normal one.

    No subnormals: XLA on CPU treats a subnormal as zero in some ops and not in others (a
    comparison flushes it, ``cbrt`` does not, so ``where(a == b, cbrt(a), b)`` mixes both), which
    no reference can settle; the smallest normal value exercises the same boundary."""
    info = finfo(dtype)
    values = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, float(info.max), -float(info.max),
              float(info.smallest_normal)]
    return np.array(values, dtype=np.float64).astype(np.dtype(dtype))


def integer_edge_values(dtype) -> np.ndarray:
    """The edge values of an integer dtype: zero, one, minus one and its extremes."""
    info = np.iinfo(dtype)
    return np.array([0, 1, -1, info.max, info.min] if info.min < 0 else [0, 1, info.max], dtype=dtype)


def edge_inputs(args, seed: int) -> list[np.ndarray]:
    """`draw_inputs`, with about half of each floating argument's elements replaced by edge
    values (a scalar argument is an edge value half of the time), and a quarter of each integer
    argument's (`INTEGER_EDGE_SHARE`)."""
    out = []
    for position, (spec, value) in enumerate(zip(args, draw_inputs(args, seed))):
        dtype = np.dtype(spec.dtype)
        if is_floating(dtype) or dtype.kind in "iu":
            rng = _generator(seed, 7000 + position)
            edges = edge_values(dtype) if is_floating(dtype) else integer_edge_values(dtype)
            share = EDGE_SHARE if is_floating(dtype) else INTEGER_EDGE_SHARE
            mask = rng.random(np.shape(value)) < share
            picks = edges[rng.integers(0, len(edges), size=np.shape(value))]
            value = np.where(mask, picks, value).astype(dtype)
        out.append(value)
    return out
