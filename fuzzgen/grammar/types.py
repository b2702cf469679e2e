"""Value types of the grammar: a (shape, dtype) pair, with JAX's promotion and broadcasting.

The rules here are written out rather than asked of JAX at draw time, so that drawing a
program never imports or traces JAX; the property tests check them against `jax.eval_shape`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

FLOAT_DTYPES = ("float32", "float16", "bfloat16")
INT_DTYPES = ("int32",)
DTYPES = FLOAT_DTYPES + INT_DTYPES
BOOL = "bool"
# PRNG keys: raw key data (`jax.random.PRNGKey(s)`, uint32[2]) and typed keys (`jax.random.key(s)`,
# a scalar of JAX's key dtype). Values inside a program only: never arguments or results.
RAW_KEY = "uint32"
TYPED_KEY = "key<fry>"
KEY_DTYPES = (RAW_KEY, TYPED_KEY)

# JAX's type promotion lattice restricted to the grammar's dtypes (x64 disabled).
_PROMOTE = {
    ("int32", "int32"): "int32",
    ("int32", "float16"): "float16",
    ("int32", "bfloat16"): "bfloat16",
    ("int32", "float32"): "float32",
    ("float16", "float16"): "float16",
    ("float16", "bfloat16"): "float32",
    ("float16", "float32"): "float32",
    ("bfloat16", "bfloat16"): "bfloat16",
    ("bfloat16", "float32"): "float32",
    ("float32", "float32"): "float32",
}

# Cap on elements per value: keeps lowering fast and the IR small enough to train on.

class ShapeError(ValueError):
    """Operands whose shapes an op cannot combine."""


@dataclass(frozen=True)
class ValueType:
    """The static type of a value: its shape and dtype.

    ``weak`` marks a Python literal, whose dtype yields to the array it meets (JAX's weak typing).
    """

    shape: tuple[int, ...]
    dtype: str
    weak: bool = False

    def __post_init__(self):
        if self.dtype not in DTYPES and self.dtype != BOOL and self.dtype not in KEY_DTYPES:
            raise ValueError(f"dtype={self.dtype!r} is not one of {DTYPES + (BOOL,) + KEY_DTYPES}")
        if any((not isinstance(d, int)) or d < 0 for d in self.shape):
            raise ValueError(f"shape={self.shape!r} must be a tuple of non-negative ints")

    @property
    def rank(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def is_float(self) -> bool:
        return self.dtype in FLOAT_DTYPES

    def __str__(self) -> str:
        return f"{self.dtype}[{','.join(map(str, self.shape))}]"


def promote_dtypes(*dtypes: str) -> str:
    """The dtype JAX gives a binary op on arrays of these dtypes."""
    result = dtypes[0]
    for other in dtypes[1:]:
        if result == other:
            continue
        promoted = _PROMOTE.get((result, other)) or _PROMOTE.get((other, result))
        if promoted is None:
            raise TypeError(f"no promotion rule for dtypes {result!r} and {other!r}")
        result = promoted
    return result


def promote_types(*types: ValueType) -> str:
    """Promotion with weak (literal) operands yielding to strong ones."""
    strong = [t.dtype for t in types if not t.weak]
    return promote_dtypes(*(strong or [t.dtype for t in types]))


def broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """NumPy broadcasting; raises ShapeError where the shapes do not broadcast."""
    rank = max(len(s) for s in shapes)
    out = []
    for axis in range(rank):
        dims = {s[axis - rank + len(s)] for s in shapes if axis - rank + len(s) >= 0}
        dims.discard(1)
        if len(dims) > 1:
            raise ShapeError(f"shapes {shapes} do not broadcast")
        out.append(dims.pop() if dims else 1)
    return tuple(out)
