"""Checks that a record's IR texts are real: each parses with the compiler's own parser and
compiles on the CPU backend, each jaxpr is what JAX traces today, and the program survives a
`jax.export` round trip with the same results.

Every check takes already-validated arguments and source that passed the grammar checker; each
returns None when it passes and a one-line reason when it fails.
"""
from __future__ import annotations

import hashlib

import jax
import numpy as np
from jax._src.interpreters import mlir

from ..ast_builders.program import program_id
from . import deep_ir
from .execution import describe_values, make_inputs
from .lower import gradient_function
from .namespace import abstract_inputs

DIRECTIONS = ("forward", "backward")


def _first_difference(expected: str, actual: str) -> str:
    for number, (a, b) in enumerate(zip(expected.splitlines(), actual.splitlines()), 1):
        if a != b:
            return f"line {number} differs: stored {a.strip()[:60]!r}, fresh {b.strip()[:60]!r}"
    return f"stored has {len(expected.splitlines())} lines, fresh has {len(actual.splitlines())}"


def _directions(function, float_argnums, forward_only=False):
    if forward_only:
        return {"forward": function}
    return {"forward": function, "backward": gradient_function(function, float_argnums)}


def check_id(record, args) -> str | None:
    expected = program_id(record["python"], [a.to_json() for a in args])
    return None if record["id"] == expected else f"id {record['id']!r} is not sha256(python + args) = {expected!r}"


def check_jaxpr(texts: dict, function, args, float_argnums, forward_only=False) -> str | None:
    inputs = abstract_inputs(args)
    for direction, fn in _directions(function, float_argnums, forward_only).items():
        fresh = str(jax.jit(fn).trace(*inputs).jaxpr)
        if texts.get(direction) != fresh:
            return f"{direction} jaxpr differs from a fresh trace of python: " \
                   f"{_first_difference(str(texts.get(direction)), fresh)}"
    return None


def _check_each(texts: dict, directions, check, failure: str) -> str | None:
    for direction in directions:
        try:
            check(texts[direction])
        except Exception as error:  # MLIR and XLA raise several types; the message is what matters
            return f"{direction} {failure}: {_one_line(error)}"
    return None


def _compile_stablehlo(text: str) -> None:
    with mlir.make_ir_context() as context:
        deep_ir.compile_module(deep_ir.parse_stablehlo(text, context))


def _compile_hlo(text: str) -> None:
    with mlir.make_ir_context() as context:
        deep_ir.compile_module(deep_ir.hlo_text_to_stablehlo_module(text, context))


def check_stablehlo(texts: dict, directions=DIRECTIONS) -> str | None:
    """Parse with jaxlib's MLIR bindings, then compile on CPU."""
    return _check_each(texts, directions, _compile_stablehlo, "StableHLO does not parse and compile")


def check_hlo(texts: dict, directions=DIRECTIONS) -> str | None:
    """Parse with XLA's HLO parser, convert back to MLIR, and compile on CPU."""
    return _check_each(texts, directions, _compile_hlo, "HLO does not parse and compile")


def check_hlo_opt(texts: dict, directions=DIRECTIONS) -> str | None:
    """Optimized HLO is scheduled and fused for CPU; XLA's parser must accept it."""
    return _check_each(texts, directions, deep_ir.parse_hlo_text, "optimized HLO does not parse")


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def check_export_roundtrip(function, args, input_seed: int) -> str | None:
    """Serialize with `jax.export`, deserialize, call; the results must equal calling ``function``."""
    concrete = make_inputs(args, input_seed)
    exported = jax.export.export(jax.jit(function))(*abstract_inputs(args))
    restored = jax.export.deserialize(exported.serialize())
    expected, actual = jax.jit(function)(*concrete), restored.call(*concrete)
    expected = expected if isinstance(expected, (tuple, list)) else (expected,)
    actual = actual if isinstance(actual, (tuple, list)) else (actual,)
    if len(expected) != len(actual) or not all(_same(e, a) for e, a in zip(expected, actual)):
        return "jax.export round trip gives different results from the Python function"
    return None


def check_io(io: dict, function, args, float_argnums, forward_only=False) -> str | None:
    concrete = make_inputs(args, io["input_seed"])
    fresh = {direction: describe_values(jax.jit(fn)(*concrete))
             for direction, fn in _directions(function, float_argnums, forward_only).items()}
    for key, direction in (("outputs", "forward"), ("gradients", "backward")):
        if io.get(key) != fresh.get(direction):
            return f"stored {key} differ from running python on inputs from input_seed {io['input_seed']}"
    return None


def roundtrip_seed(record_id: str) -> int:
    return int(hashlib.sha256(f"fuzzgen:roundtrip:{record_id}".encode()).hexdigest()[:8], 16)


def _one_line(error: Exception) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 160 else text[:157] + "..."
