"""References written from JAX's documented definitions, where NumPy has no function of the
same semantics: gathers judged only where every index is in range, ``jax.nn.one_hot``, control
flow (``lax.cond``, ``lax.switch``, ``lax.fori_loop``, ``lax.scan``) and ``jnp.vectorize``. The
branches and bodies are the program's own lambdas, so their ops run through the reference run.
`Undefined` marks an input draw where JAX and NumPy define a result differently: it is passed over.
"""
from __future__ import annotations

import numpy as np


class Undefined(Exception):
    """An integer result int32 cannot hold (JAX wraps it, the reference does not), or one JAX
    and NumPy define differently (division by zero, a shift by 32 or more, a gather's index out
    of range): the input draw is passed over, as one within rounding of a jump is."""


def take_along_axis(x, indices, axis=-1, **_):
    indices = np.asarray(indices)
    size = np.shape(x)[axis]
    if np.any((indices < 0) | (indices >= size)):  # JAX fills (or, in old versions, clamps) them
        raise Undefined("take_along_axis with an index out of range")
    return np.take_along_axis(x, indices, axis=axis)


def one_hot(x, num_classes, dtype=None, axis=-1):
    encoded = np.asarray(x)[..., None] == np.arange(int(num_classes))
    return np.moveaxis(encoded, -1, axis).astype(np.float64)


def take(x, indices, axis=None, **_):
    indices = np.asarray(indices)
    size = np.size(x) if axis is None else np.shape(x)[axis]
    if np.any((indices < 0) | (indices >= size)):  # JAX fills (or clamps); not judged
        raise Undefined("take with an index out of range")
    return np.take(x, indices, axis=axis)


def cond(predicate, true_branch, false_branch, *operands):
    return true_branch(*operands) if bool(np.asarray(predicate)) else false_branch(*operands)


def switch(index, branches, *operands):
    chosen = int(np.clip(np.asarray(index), 0, len(branches) - 1))  # JAX clamps the index
    return branches[chosen](*operands)


def fori_loop(lower, upper, body, value):
    for i in range(int(lower), int(upper)):
        value = body(np.asarray(i, np.int64).view(type(value)) if isinstance(value, np.ndarray) else i, value)
    return value


def scan(body, carry, xs):
    ys = []
    for k in range(np.shape(xs)[0]):
        carry, y = body(carry, xs[k])
        ys.append(y)
    stacked = np.stack([np.asarray(y).view(np.ndarray) for y in ys])
    return carry, stacked.view(type(ys[0])) if isinstance(ys[0], np.ndarray) else stacked


def vectorized(function, **_):
    """``jnp.vectorize(f)`` of a scalar function: f on every element."""
    def elementwise(x):
        results = [function(x[index]) for index in np.ndindex(*np.shape(x))]
        flat = np.stack([np.asarray(r).view(np.ndarray) for r in results]) if results else np.zeros(0)
        out = flat.reshape(np.shape(x))
        return out.view(type(results[0])) if results and isinstance(results[0], np.ndarray) else out
    return elementwise
