"""Trace and lower a program once per direction, and derive every IR text from that one trace.

Forward is the function itself; backward is
``jax.grad(lambda *xs: jnp.sum(f(*xs)), argnums=<every floating arg>)``, where a tree result's
floating leaves are each summed and added (`summed_output`).
"""
from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

from .. import jaxcompat
from ..ir import IR_KINDS, in_table_order, ir_kind
from ..program.spec import ProgramSpec
from ..program.trees import with_leaves
from ..trust.sandbox import load_function
from .execution import abstract_inputs
from .mlir_context import shared_context



@dataclass(frozen=True)
class LoweredProgram:
    """IR texts keyed by kind then direction, the primitives of both jaxprs, and, when inputs
    were given, the values each direction computed on them."""

    ir: dict[str, dict[str, str]]
    primitives: tuple[str, ...]
    values: dict[str, object] | None = None


def summed_output(result):
    """The scalar the backward direction differentiates: ``jnp.sum`` of the result, or, for a
    tree result (``return loss, {'w': w}``), the sum of ``jnp.sum`` of every floating leaf in
    ``jax.tree_util.tree_leaves`` order (an integer leaf has no gradient)."""
    leaves = jax.tree_util.tree_leaves(result)
    if len(leaves) == 1:
        return jnp.sum(leaves[0])  # a plain result: its jaxpr is exactly `jnp.sum(f(*xs))`'s
    floats = [leaf for leaf in leaves if jnp.issubdtype(jnp.result_type(leaf), jnp.inexact)]
    if not floats:
        raise ValueError("the program returns no floating value, so it has no gradient")
    total = jnp.sum(floats[0])
    for leaf in floats[1:]:
        total = total + jnp.sum(leaf)
    return total


def flat_output(result):
    """A tree result as one vector (each leaf raveled, joined in tree_leaves order), for checks
    that need one array; a plain result as it is."""
    leaves = jax.tree_util.tree_leaves(result)
    if len(leaves) == 1:
        return leaves[0]
    return jnp.concatenate([jnp.ravel(leaf) for leaf in leaves])


def gradient_function(function, float_argnums: tuple[int, ...]):
    if not float_argnums:
        raise ValueError("the program has no floating argument, so it has no gradient")

    def summed(*xs):
        return summed_output(function(*xs))

    gradient = jax.grad(summed, argnums=float_argnums)
    gradient.__name__ = f"grad_{getattr(function, '__name__', 'f')}"
    return gradient


def nested_jaxprs(eqn):
    """The (closed) jaxprs an equation's parameters hold: a cond's branches, a scan's body, a
    pjit's or custom_jvp's callee."""
    for param in eqn.params.values():
        for sub in param if isinstance(param, (tuple, list)) else (param,):
            if hasattr(sub, "eqns") or hasattr(getattr(sub, "jaxpr", None), "eqns"):
                yield sub


def jaxpr_primitives(jaxpr) -> set[str]:
    """Primitive names in a (closed) jaxpr, including those inside nested jaxprs."""
    jaxpr = getattr(jaxpr, "jaxpr", jaxpr)
    names = set()
    for eqn in jaxpr.eqns:
        names.add(eqn.primitive.name)
        for sub in nested_jaxprs(eqn):
            names |= jaxpr_primitives(sub)
    return names


class Direction:
    """One direction of a program, traced once and lowered at most once; every IR text of it
    comes from that trace and lowering, made on demand by its kind's ``produce`` function."""

    def __init__(self, function, inputs):
        self.function, self.inputs = function, inputs
        self.traced = jax.jit(function).trace(*inputs)
        self._lowered = None
        self._texts: dict[str, str] = {}

    @property
    def lowered(self):
        if self._lowered is None:
            with shared_context():
                self._lowered = self.traced.lower()
        return self._lowered

    def text(self, kind: str) -> str:
        if kind not in self._texts:
            self._texts[kind] = ir_kind(kind).producer()(self)
        return self._texts[kind]

    @property
    def primitives(self) -> set[str]:
        return jaxpr_primitives(self.traced.jaxpr)


def lower_direction(function, inputs, ir_kinds, concrete_inputs=None):
    """One trace and at most one lowering of ``function``: its IR texts, its primitives, and its
    value on ``concrete_inputs`` when given."""
    direction = Direction(function, inputs)
    texts = {kind: direction.text(kind) for kind in in_table_order(ir_kinds)}
    value = direction.lowered.compile()(*concrete_inputs) if concrete_inputs is not None else None
    return texts, direction.primitives, value


def lower_spec(spec: ProgramSpec, ir_kinds=IR_KINDS, concrete_inputs=None) -> LoweredProgram:
    """Lower both directions of ``spec`` (built by the grammar or checked against it).

    Under ``spec.vmap_axes`` the lowered function is ``jax.vmap(f, in_axes=vmap_axes)`` and
    ``spec.args`` are its (batched) arguments. Where ``spec.forward_only`` (reverse mode does not
    exist, e.g. through lax.while_loop) every backward entry is None.
    """
    for kind in ir_kinds:
        ir_kind(kind)  # unknown kinds fail before any tracing
    if "jax.random." in spec.source.text:
        settle_random_lowerings()
    function = transformed(load_function(spec.source), spec.vmap_axes, spec.args)
    inputs = abstract_inputs(spec.args)
    forward, primitives, forward_value = lower_direction(function, inputs, ir_kinds, concrete_inputs)
    backward, backward_value = {}, None
    if not spec.forward_only:
        backward, backward_primitives, backward_value = lower_direction(
            gradient_function(function, spec.float_argnums), inputs, ir_kinds, concrete_inputs)
        primitives |= backward_primitives
    ir = {kind: {"forward": forward[kind], "backward": backward.get(kind)} for kind in in_table_order(ir_kinds)}
    values = None if concrete_inputs is None else {"forward": forward_value, "backward": backward_value}
    return LoweredProgram(ir=ir, primitives=tuple(sorted(primitives)), values=values)


def settle_random_lowerings() -> None:
    """Start a program that calls ``jax.random`` from empty trace caches.

    JAX caches the traces of its jitted random helpers (``_normal``, ``_threefry_split``, ...)
    with the source locations of whichever program traced them first, and XLA names the HLO's
    parameters after those locations: without this, a record's HLO would depend on which
    programs its worker lowered before it (and so on --workers). Only random programs pay the
    re-tracing; compiled executables are kept (clearing every cache made the oracles' eager runs
    recompile each primitive after every random program)."""
    jaxcompat.clear_trace_caches()


def transformed(function, vmap_axes=None, args=()):
    """The function that is lowered: ``function`` itself, or ``jax.vmap`` of it, taking the
    leaves of its tree arguments (``args``) one by one (`trees.with_leaves`)."""
    function = with_leaves(function, args)
    if vmap_axes is None:
        return function
    batched = jax.vmap(function, in_axes=tuple(vmap_axes))
    batched.__name__ = f"vmap_{function.__name__}"
    return batched


def lower_program(program, ir_kinds=IR_KINDS, concrete_inputs=None) -> LoweredProgram:
    return lower_spec(program.spec, ir_kinds, concrete_inputs)


def prepare_worker(plugins=()) -> None:
    """An isolated worker's set-up: load ``plugins``, then warm JAX up by tracing, lowering,
    compiling and running one tiny program. JAX's one-time start-up (the CPU client, MLIR's
    dialects, lazily imported modules) takes seconds on a loaded machine, and it belongs to the
    worker's start, not to the first case's time budget."""
    from ..grammar.plugins import load_plugins

    load_plugins(tuple(plugins))
    ones = jnp.ones((2,), jnp.float32)
    jax.block_until_ready(jax.jit(lambda x: jnp.sin(x) * 2.0).lower(ones).compile()(ones))
    jax.block_until_ready(jax.grad(lambda x: jnp.sum(jnp.sin(x)))(ones))
