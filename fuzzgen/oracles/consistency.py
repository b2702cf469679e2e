"""Differential oracles: two ways of running one program that must agree up to rounding.

eager vs jit, ``jit(vmap(f))`` vs f per example, and a `jax.export` serialize -> deserialize ->
call round trip vs ``jit(f)``. Each checks the function and its gradient, on inputs of the
program's own dtypes; disagreements are arbitrated by the float64 reference (`arbitration`).
"""
from __future__ import annotations

import jax
import numpy as np

from ..lowering.lower import summed_output
from ..program.drivers import derived_seed
from .arbitration import Outcome, differential, judge
from .subject import Subject, as_arrays, flat_outputs
from .verdict import skipped

BATCH = 3


def eager_vs_jit(subject: Subject, seed: int):
    """``f(*xs)`` op by op and ``jax.jit(f)(*xs)`` agree, for f and its gradient."""
    def attempt(input_seed: int) -> Outcome:
        inputs = subject.inputs(input_seed)
        for direction, function in subject.directions():
            executions = {
                "eager": flat_outputs(function(*as_arrays(inputs))),
                "jit": flat_outputs(subject.compiled(direction)(*inputs)),
            }
            outcome = judge(executions, lambda: subject.jaxpr(direction), inputs, input_seed, direction)
            if outcome != Outcome():
                return outcome
        return Outcome()
    return differential("eager_vs_jit", attempt, seed)


def optimized_vs_not(subject: Subject, seed: int):
    """``jax.jit(f)`` compiled with XLA's default optimizations and with them reduced
    (`jaxcompat.reduced_optimizations`: LLVM -O0; CSE and, by program, algsimp or fusion off;
    both directions in one executable) agree, for f and its gradient: a rewrite that changes a value beyond rounding
    is a miscompile."""
    def attempt(input_seed: int) -> Outcome:
        inputs = subject.inputs(input_seed)
        unoptimized = subject.compiled_together("reduced")(*inputs)
        for (direction, _), reduced in zip(subject.directions(), unoptimized):
            executions = {
                "optimized": flat_outputs(subject.compiled(direction)(*inputs)),
                "unoptimized": flat_outputs(reduced),
            }
            outcome = judge(executions, lambda: subject.jaxpr(direction), inputs, input_seed, direction)
            if outcome != Outcome():
                return outcome
        return Outcome()
    return differential("xla_opt", attempt, seed)


def vmap_vs_loop(subject: Subject, seed: int):
    """``jit(vmap(f))`` on a batch equals ``jit(f)`` on each example; some arguments stay unbatched."""
    def attempt(input_seed: int) -> Outcome:
        examples = [subject.inputs(derived_seed(input_seed, "vmap", b) % 2**63) for b in range(BATCH)]
        axes = _batched_axes(subject, input_seed)
        stacked = [np.stack([e[i] for e in examples]) if axis == 0 else examples[0][i] for i, axis in enumerate(axes)]
        per_example = [[e[i] if axis == 0 else examples[0][i] for i, axis in enumerate(axes)] for e in examples]
        # Both directions in one compiled function: compiling dominates the cost.
        both = jax.jit(lambda *xs: [jax.vmap(fn, in_axes=axes)(*xs) for _, fn in subject.directions()])(*stacked)
        for (direction, _), result in zip(subject.directions(), both):
            batched = flat_outputs(result)
            for b, inputs in enumerate(per_example):
                executions = {
                    "vmap": [np.asarray(out)[b] for out in batched],
                    "loop": flat_outputs(subject.compiled(direction)(*inputs)),
                }
                outcome = judge(executions, lambda: subject.jaxpr(direction), inputs, input_seed,
                                f"{direction}, batch element {b}, in_axes={list(axes)}")
                if outcome != Outcome():
                    return outcome
        return Outcome()
    return differential("vmap", attempt, seed)


def export_round_trip(subject: Subject, seed: int):
    """A `jax.export` artifact, serialized and deserialized, computes what ``jit(f)`` computes; so
    does the gradient through its serialized VJP."""
    from ..jaxcompat import export_module

    export = export_module()
    if subject.spec.forward_only:
        return skipped("export", f"{subject.spec.forward_only}: the round trip checks the gradient too")

    exported = {}
    for direction, function in subject.directions():
        artifact = export.export(jax.jit(function))(*subject.abstract_inputs)
        exported[direction] = export.deserialize(artifact.serialize(vjp_order=1 if direction == "forward" else 0))
    restored_forward = exported["forward"]

    def through_serialized_vjp(*xs):
        return summed_output(restored_forward.call(*xs))

    @jax.jit
    def restored(*xs):
        """Every call of the deserialized artifacts in one compiled function."""
        return (exported["forward"].call(*xs), exported["backward"].call(*xs),
                jax.grad(through_serialized_vjp, argnums=subject.float_argnums)(*xs))

    def attempt(input_seed: int) -> Outcome:
        inputs = subject.inputs(input_seed)
        forward, backward, serialized_vjp = restored(*inputs)
        calls = {"forward": {"exported": forward}, "backward": {"exported": backward, "grad of exported": serialized_vjp}}
        for direction, _ in subject.directions():
            executions = {"jit": flat_outputs(subject.compiled(direction)(*inputs))}
            executions.update({name: flat_outputs(value) for name, value in calls[direction].items()})
            outcome = judge(executions, lambda: subject.jaxpr(direction), inputs, input_seed, direction)
            if outcome != Outcome():
                return outcome
        return Outcome()
    return differential("export", attempt, seed)


def _batched_axes(subject: Subject, seed: int) -> tuple:
    """0 (batched) or None per argument; at least one floating argument is batched."""
    rng = np.random.default_rng([seed & 0xFFFFFFFF, 0xBA7C])
    axes = [0 if rng.random() < 0.7 else None for _ in subject.args]
    if all(axes[i] is None for i in subject.float_argnums):
        axes[subject.float_argnums[0]] = 0
    return tuple(axes)
