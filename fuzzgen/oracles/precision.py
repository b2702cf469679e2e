"""What each floating dtype can represent: the facts every tolerance in the oracles is built from."""
from __future__ import annotations

import ml_dtypes
import numpy as np

LOW_PRECISION = frozenset({"float16", "bfloat16"})


def is_floating(dtype) -> bool:
    """NumPy does not count bfloat16 as np.floating; ml_dtypes does."""
    dtype = np.dtype(dtype)
    return dtype.kind == "f" or dtype == np.dtype(ml_dtypes.bfloat16)


def finfo(dtype):
    return ml_dtypes.finfo(np.dtype(dtype))


def unit_roundoff(dtype) -> float:
    """Half an ulp at 1: the largest relative error of one correctly rounded operation."""
    return float(finfo(dtype).eps) / 2


def largest(dtype) -> float:
    return float(finfo(dtype).max)


def overflow_threshold(dtype) -> float:
    """The smallest magnitude that rounds to inf in ``dtype`` (the largest finite value plus half
    its ulp), from just below: ``largest * (1 + eps / 4)``, which is never above it."""
    return largest(dtype) * (1 + float(finfo(dtype).eps) / 4)


def smallest_normal(dtype) -> float:
    return float(finfo(dtype).smallest_normal)
