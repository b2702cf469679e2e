"""Reuse one MLIR context across many lowerings: a third of fuzzgen's per-sample cost, saved.

JAX builds a fresh MLIR context (loading and registering every dialect) for each lowering; on
the small programs fuzzgen draws that is about 1.9 ms of a ~23 ms sample (profile in the README).
While `shared_context()` is active, JAX's ``make_ir_context`` hands out one cached context,
replaced after ``MAX_USES`` lowerings because a context keeps every type and attribute it has
ever interned. The IR text is unchanged (the tests compare it with plain JAX's, byte for byte).

This patches a private JAX function, only for the duration of the ``with`` block, and only when
it exists with the expected name; set FUZZGEN_SHARED_MLIR_CONTEXT=0 to turn it off.
"""
from __future__ import annotations

import contextlib
import os

MAX_USES = 200

try:
    from jax._src.interpreters import mlir as _jax_mlir
except ImportError:  # a JAX without this module: lower the plain way
    _jax_mlir = None

_original = getattr(_jax_mlir, "make_ir_context", None)
_state = {"context": None, "uses": 0}


def enabled() -> bool:
    return _original is not None and os.environ.get("FUZZGEN_SHARED_MLIR_CONTEXT", "1") != "0"


def _shared_make_ir_context():
    if _state["context"] is None or _state["uses"] >= MAX_USES:
        _state["context"], _state["uses"] = _original(), 0
    _state["uses"] += 1
    return _state["context"]


@contextlib.contextmanager
def shared_context():
    if not enabled():
        yield
        return
    _jax_mlir.make_ir_context = _shared_make_ir_context
    try:
        yield
    finally:
        _jax_mlir.make_ir_context = _original


def release() -> None:
    """Drop the cached context (with JAX's caches, when clearing memory)."""
    _state["context"], _state["uses"] = None, 0
