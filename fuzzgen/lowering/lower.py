"""Trace and lower a program once per direction, and derive every IR text from that one trace.

Forward is the function itself; backward is
``jax.grad(lambda *xs: jnp.sum(f(*xs)), argnums=<every floating arg>)``.
"""
from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from ..ast_builders.program import ArgSpec
from . import deep_ir
from .mlir_context import shared_context
from .namespace import abstract_inputs, load_function

IR_KINDS = ("jaxpr", "stablehlo", "hlo")  # the default set
OPT_IN_IR_KINDS = ("hlo_opt", "stablehlo_export")
ALL_IR_KINDS = IR_KINDS + OPT_IN_IR_KINDS
DIRECTIONS = ("forward", "backward")


@dataclass(frozen=True)
class LoweredProgram:
    """IR texts keyed by kind then direction, the primitives of both jaxprs, and, when inputs
    were given, the values each direction computed on them."""

    ir: dict[str, dict[str, str]]
    primitives: tuple[str, ...]
    values: dict[str, object] | None = None


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


def lower_direction(function, inputs, ir_kinds, concrete_inputs=None):
    """One trace and at most one lowering of ``function``: its IR texts, its primitives, and its
    value on ``concrete_inputs`` when given."""
    traced = jax.jit(function).trace(*inputs)
    texts = {}
    if "jaxpr" in ir_kinds:
        texts["jaxpr"] = str(traced.jaxpr)
    lowered = None
    if {"stablehlo", "hlo", "hlo_opt"} & set(ir_kinds) or concrete_inputs is not None:
        with shared_context():
            lowered = traced.lower()
        if "stablehlo" in ir_kinds or "hlo_opt" in ir_kinds:
            texts["stablehlo"] = lowered.as_text()
        if "hlo" in ir_kinds:
            texts["hlo"] = lowered.as_text(dialect="hlo")
        if "hlo_opt" in ir_kinds:
            texts["hlo_opt"] = deep_ir.optimized_hlo(texts["stablehlo"])
    if "stablehlo_export" in ir_kinds:
        texts["stablehlo_export"] = deep_ir.exported_stablehlo(function, inputs)
    value = lowered.compile()(*concrete_inputs) if concrete_inputs is not None else None
    return texts, jaxpr_primitives(traced.jaxpr), value


def lower_source(source: str, function_name: str, args, ir_kinds=IR_KINDS, concrete_inputs=None, *,
                 vmap_axes=None, forward_only: bool = False) -> LoweredProgram:
    """Exec ``source`` (grammar-built or grammar-checked only) and lower both directions.

    With ``vmap_axes`` the lowered function is ``jax.vmap(f, in_axes=vmap_axes)`` and ``args`` are
    its (batched) arguments. With ``forward_only`` (reverse mode does not exist, e.g. through
    lax.while_loop) every backward entry is None.
    """
    args = tuple(args)
    unknown = [k for k in ir_kinds if k not in ALL_IR_KINDS]
    if unknown:
        raise ValueError(f"unknown IR kinds {unknown}; choose from {ALL_IR_KINDS}")
    function = transformed(load_function(source, function_name), vmap_axes)
    inputs = abstract_inputs(args)
    float_argnums = tuple(i for i, a in enumerate(args) if ArgSpec(a.name, a.shape, a.dtype).is_float)
    forward, primitives, forward_value = lower_direction(function, inputs, ir_kinds, concrete_inputs)
    backward, backward_value = {}, None
    if not forward_only:
        backward, backward_primitives, backward_value = lower_direction(
            gradient_function(function, float_argnums), inputs, ir_kinds, concrete_inputs)
        primitives |= backward_primitives
    ir = {kind: {"forward": forward[kind], "backward": backward.get(kind)} for kind in ALL_IR_KINDS if kind in ir_kinds}
    values = None if concrete_inputs is None else {"forward": forward_value, "backward": backward_value}
    return LoweredProgram(ir=ir, primitives=tuple(sorted(primitives)), values=values)


def transformed(function, vmap_axes=None):
    """The function that is lowered: ``function`` itself, or ``jax.vmap`` of it."""
    if vmap_axes is None:
        return function
    batched = jax.vmap(function, in_axes=tuple(vmap_axes))
    batched.__name__ = f"vmap_{function.__name__}"
    return batched


def lower_program(program, ir_kinds=IR_KINDS, concrete_inputs=None) -> LoweredProgram:
    return lower_source(program.source, program.function_name, program.lowered_args, ir_kinds, concrete_inputs,
                        vmap_axes=program.vmap_axes, forward_only=program.forward_only)
