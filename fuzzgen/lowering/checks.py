"""Checks that a record's IR texts are real: each parses with the compiler's own parser and
compiles on the CPU backend, each jaxpr is what JAX traces today, and the program survives a
`jax.export` round trip with the same results.

Every check takes the stored texts and a `StoredProgram` (a `ProgramSpec`, so its source passed the
grammar check); each returns None when it passes and a one-line reason when it fails. The IR
kinds' checks are the ``check`` entries of `fuzzgen.ir.IR_KIND_TABLE`.
"""
from __future__ import annotations

import hashlib

import jax
import numpy as np
from jax._src.interpreters import mlir

from ..jaxcompat import export_module
from ..program.spec import program_id
from . import deep_ir
from .execution import describe_values, make_inputs
from ..program.spec import ProgramSpec
from ..trust.sandbox import load_function
from .lower import gradient_function, transformed
from .produce import jaxpr_text
from .execution import abstract_inputs



class StoredProgram:
    """The program a record's texts claim to be the IR of: its spec and its directions' functions."""

    def __init__(self, spec: ProgramSpec):
        self.spec = spec
        function = transformed(load_function(spec.source), spec.vmap_axes, spec.args)
        self.functions = {"forward": function}
        if not spec.forward_only:
            self.functions["backward"] = gradient_function(function, spec.float_argnums)

    @property
    def directions(self) -> tuple[str, ...]:
        return tuple(self.functions)


def _first_difference(expected: str, actual: str) -> str:
    for number, (a, b) in enumerate(zip(expected.splitlines(), actual.splitlines()), 1):
        if a != b:
            return f"line {number} differs: stored {a.strip()[:60]!r}, fresh {b.strip()[:60]!r}"
    return f"stored has {len(expected.splitlines())} lines, fresh has {len(actual.splitlines())}"


def check_id(record, args) -> str | None:
    expected = program_id(record["python"], [a.to_json() for a in args])
    return None if record["id"] == expected else f"id {record['id']!r} is not sha256(python + args) = {expected!r}"


def check_jaxpr(texts: dict, program: StoredProgram) -> str | None:
    inputs = abstract_inputs(program.spec.args)
    for direction, fn in program.functions.items():
        fresh = jaxpr_text(jax.jit(fn).trace(*inputs).jaxpr)
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


def check_stablehlo(texts: dict, program: StoredProgram) -> str | None:
    """Parse with jaxlib's MLIR bindings, then compile on CPU."""
    return _check_each(texts, program.directions, _compile_stablehlo, "StableHLO does not parse and compile")


def _verify_stablehlo(text: str) -> None:
    with mlir.make_ir_context() as context:
        module = deep_ir.parse_stablehlo(text, context)
        if not module.operation.verify():
            raise ValueError("the module does not verify")


def check_stablehlo_export(texts: dict, program: StoredProgram) -> str | None:
    """Parse and verify with jaxlib's MLIR bindings. Not compiled: the module holds the cuda and
    tpu code too, whose custom calls (``cusolver_geqrf_ffi`` for ``jnp.linalg.qr``) have no
    handler on the CPU backend."""
    return _check_each(texts, program.directions, _verify_stablehlo, "exported StableHLO does not parse and verify")


def check_hlo(texts: dict, program: StoredProgram) -> str | None:
    """Parse with XLA's HLO parser, convert back to MLIR, and compile on CPU."""
    return _check_each(texts, program.directions, _compile_hlo, "HLO does not parse and compile")


def check_hlo_opt(texts: dict, program: StoredProgram) -> str | None:
    """Optimized HLO is scheduled and fused for CPU; XLA's parser must accept it."""
    return _check_each(texts, program.directions, deep_ir.parse_hlo_text, "optimized HLO does not parse")


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def check_export_roundtrip(program: StoredProgram, input_seed: int) -> str | None:
    """Serialize with `jax.export`, deserialize, call; the results must equal calling the function."""
    function, args = program.functions["forward"], program.spec.args
    concrete = make_inputs(args, input_seed)
    export = export_module()
    exported = export.export(jax.jit(function))(*abstract_inputs(args))
    restored = export.deserialize(exported.serialize())
    expected, actual = jax.jit(function)(*concrete), restored.call(*concrete)
    expected, actual = jax.tree_util.tree_leaves(expected), jax.tree_util.tree_leaves(actual)
    if len(expected) != len(actual) or not all(_same(e, a) for e, a in zip(expected, actual)):
        return "jax.export round trip gives different results from the Python function"
    return None


def check_io(io: dict, program: StoredProgram) -> str | None:
    concrete = make_inputs(program.spec.args, io["input_seed"])
    fresh = {direction: describe_values(jax.jit(fn)(*concrete)) for direction, fn in program.functions.items()}
    for key, direction in (("outputs", "forward"), ("gradients", "backward")):
        if io.get(key) != fresh.get(direction):
            return f"stored {key} differ from running python on inputs from input_seed {io['input_seed']}"
    return None


def roundtrip_seed(record_id: str) -> int:
    return int(hashlib.sha256(f"fuzzgen:roundtrip:{record_id}".encode()).hexdigest()[:8], 16)


def _one_line(error: Exception) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= 160 else text[:157] + "..."
