"""Execution data for a record: inputs regenerated from a seed, outputs and gradients stored.

So that model-written IR can be judged by running it (as ExeBench does for C), `--io` stores the
seed that regenerates the inputs and the values the program produced: every element for arrays
of up to `MAX_STORED_ELEMENTS`, else a sha256 of the bytes and summary statistics.
"""
from __future__ import annotations

import hashlib
import math

import numpy as np

MAX_STORED_ELEMENTS = 64
INT_RANGE = (-5, 5)


def make_inputs(args, input_seed: int) -> list[np.ndarray]:
    """Inputs for ``args``, a pure function of ``input_seed``: floats from N(0, 1) rounded to the
    argument's dtype, ints uniform in [-5, 5]. ``args`` are `ArgSpec`s or a record's ``args``
    field as read from JSON (``[{"name", "shape", "dtype"}, ...]``, checked by the schema)."""
    import jax.numpy as jnp

    if any(isinstance(arg, dict) for arg in args):
        from ..records.schema import parse_args

        args = parse_args(list(args))
    rng = np.random.Generator(np.random.PCG64(input_seed))
    inputs = []
    for arg in args:
        shape = tuple(arg.shape)
        if arg.dtype == "int32":
            inputs.append(rng.integers(INT_RANGE[0], INT_RANGE[1] + 1, size=shape, dtype=np.int32))
        else:
            inputs.append(rng.standard_normal(size=shape, dtype=np.float32).astype(jnp.dtype(arg.dtype)))
    return inputs


def _number(x) -> float | int | str:
    if isinstance(x, (int, np.integer)):
        return int(x)
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def describe_value(value) -> dict:
    """A JSON-ready description of one array: dtype, shape, and values or hash + statistics."""
    array = np.asarray(value)
    description = {"dtype": str(array.dtype), "shape": list(array.shape)}
    if array.size <= MAX_STORED_ELEMENTS:
        description["values"] = [_number(x) for x in array.reshape(-1).tolist()]
        return description
    wide = array.astype(np.float64)
    finite = wide[np.isfinite(wide)]
    description["sha256"] = hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()
    description["stats"] = {
        "min": _number(finite.min()) if finite.size else "nan",
        "max": _number(finite.max()) if finite.size else "nan",
        "mean": _number(finite.mean()) if finite.size else "nan",
        "nan": int(np.isnan(wide).sum()),
        "inf": int(np.isinf(wide).sum()),
    }
    return description


def describe_values(values) -> list[dict]:
    """One description per leaf of ``values`` (an array, or a tuple, list or dict of them), in
    ``jax.tree_util.tree_leaves`` order."""
    import jax

    return [describe_value(v) for v in jax.tree_util.tree_leaves(values)]


def abstract_inputs(args) -> list:
    """Shape/dtype placeholders for tracing: IR depends on types only, not on values."""
    import jax
    import jax.numpy as jnp

    return [jax.ShapeDtypeStruct(tuple(a.shape), jnp.dtype(a.dtype)) for a in args]
