"""Trace and lower a program once per direction, and derive every IR text from that one trace.

Forward is the function itself; backward is
``jax.grad(lambda *xs: jnp.sum(f(*xs)), argnums=<every floating arg>)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from ..ast_builders.program import ArgSpec
from .mlir_context import shared_context
from .namespace import abstract_inputs, load_function

IR_KINDS = ("jaxpr", "stablehlo", "hlo")
DIRECTIONS = ("forward", "backward")


@dataclass(frozen=True)
class LoweredProgram:
    """IR texts keyed by kind then direction, and the primitives of both jaxprs."""

    ir: dict[str, dict[str, str]]
    primitives: tuple[str, ...]


def gradient_function(function, float_argnums: tuple[int, ...]):
    if not float_argnums:
        raise ValueError("the program has no floating argument, so it has no gradient")

    def summed(*xs):
        return jnp.sum(function(*xs))

    gradient = jax.grad(summed, argnums=float_argnums)
    gradient.__name__ = f"grad_{getattr(function, '__name__', 'f')}"
    return gradient


def jaxpr_primitives(jaxpr) -> set[str]:
    """Primitive names in a (closed) jaxpr, including those inside nested jaxprs."""
    jaxpr = getattr(jaxpr, "jaxpr", jaxpr)
    names = set()
    for eqn in jaxpr.eqns:
        names.add(eqn.primitive.name)
        for param in eqn.params.values():
            for sub in param if isinstance(param, (tuple, list)) else (param,):
                if hasattr(sub, "eqns") or hasattr(getattr(sub, "jaxpr", None), "eqns"):
                    names |= jaxpr_primitives(sub)
    return names


def lower_direction(function, inputs, ir_kinds) -> tuple[dict[str, str], set[str]]:
    traced = jax.jit(function).trace(*inputs)
    texts = {}
    if "jaxpr" in ir_kinds:
        texts["jaxpr"] = str(traced.jaxpr)
    if "stablehlo" in ir_kinds or "hlo" in ir_kinds:
        with shared_context():
            lowered = traced.lower()
        if "stablehlo" in ir_kinds:
            texts["stablehlo"] = lowered.as_text()
        if "hlo" in ir_kinds:
            texts["hlo"] = lowered.as_text(dialect="hlo")
    return texts, jaxpr_primitives(traced.jaxpr)


def lower_source(source: str, function_name: str, args, ir_kinds=IR_KINDS) -> LoweredProgram:
    """Exec ``source`` (grammar-built or grammar-checked only) and lower both directions."""
    args = tuple(args)
    unknown = [k for k in ir_kinds if k not in IR_KINDS]
    if unknown:
        raise ValueError(f"unknown IR kinds {unknown}; choose from {IR_KINDS}")
    function = load_function(source, function_name)
    inputs = abstract_inputs(args)
    float_argnums = tuple(i for i, a in enumerate(args) if ArgSpec(a.name, a.shape, a.dtype).is_float)
    forward, forward_primitives = lower_direction(function, inputs, ir_kinds)
    backward, backward_primitives = lower_direction(gradient_function(function, float_argnums), inputs, ir_kinds)
    ir = {kind: {"forward": forward[kind], "backward": backward[kind]} for kind in IR_KINDS if kind in ir_kinds}
    return LoweredProgram(ir=ir, primitives=tuple(sorted(forward_primitives | backward_primitives)))


def lower_program(program, ir_kinds=IR_KINDS) -> LoweredProgram:
    return lower_source(program.source, program.function_name, program.args, ir_kinds)
