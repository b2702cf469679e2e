"""One program under test, with what several oracles share computed once (loaded function, inputs,
compiled executables), so running six oracles costs little more than running the slowest."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import jax
import jax.numpy as jnp
import numpy as np

from ..program.spec import ArgSpec, ProgramSpec
from .inputs import draw_inputs, reference_inputs
from ..lowering.lower import gradient_function, jaxpr_primitives, transformed
from ..lowering.execution import abstract_inputs
from ..trust.sandbox import load_function
from ..jaxcompat import reduced_optimizations, reduced_set_of


@dataclass
class Subject:
    """The program a `ProgramSpec` describes, as the oracles judge it: the same function the
    dataset lowers (``jax.vmap`` of the source's under ``vmap_axes``), on ``spec.args``."""

    spec: ProgramSpec
    cache: dict = field(default_factory=dict, repr=False)  # what oracles share

    @classmethod
    def from_program(cls, program) -> Subject:
        return cls(program.spec)

    @property
    def args(self) -> tuple[ArgSpec, ...]:
        return self.spec.args

    @property
    def float_argnums(self) -> tuple[int, ...]:
        return self.spec.float_argnums

    @cached_property
    def function(self):
        return transformed(load_function(self.spec.source), self.spec.vmap_axes, self.spec.args)

    @cached_property
    def marked_function(self):
        """`function` with the source's own ``lax.stop_gradient`` results marked
        (`frozen.marked_stop_gradient`): the same computation, for the gradient oracle to hold."""
        from .frozen import marked_stop_gradient

        return transformed(load_function(self.spec.source, stop_gradient=marked_stop_gradient), self.spec.vmap_axes,
                           self.spec.args)

    @cached_property
    def gradient(self):
        """``grad(sum(f))`` over every floating argument: the backward direction of the dataset."""
        return gradient_function(self.function, self.float_argnums)

    @cached_property
    def abstract_inputs(self):
        return abstract_inputs(self.args)

    def inputs(self, seed: int) -> list[np.ndarray]:
        return draw_inputs(self.args, seed)

    def reference_inputs(self, seed: int) -> list[np.ndarray]:
        return reference_inputs(self.args, seed)

    def compiled(self, direction: str, optimizations: str = "default"):
        """The AOT-compiled executable of ``forward`` (f) or ``backward`` (its gradient), with
        XLA's optimizations at their defaults or reduced (`jaxcompat.reduced_optimizations`)."""
        key = direction if optimizations == "default" else (direction, optimizations)
        if key not in self.cache:
            function = self.function if direction == "forward" else self.gradient
            lowered = jax.jit(function).trace(*self.abstract_inputs).lower()
            if optimizations == "default":
                self.cache[key] = lowered.compile()
            else:
                self.cache[key] = lowered.compile(compiler_options=self.reduced_options)
        return self.cache[key]

    @property
    def reduced_options(self) -> dict:
        """XLA's options for this program's reduced compile (`jaxcompat.reduced_set_of` its text)."""
        return reduced_optimizations(reduced_set_of(self.spec.text))

    def compiled_together(self, optimizations: str = "reduced"):
        """One executable computing every direction (f, and its gradient where there is one) with
        XLA's optimizations reduced: a tuple, in `directions` order. With CSE off each direction's
        ops are compiled as they would be alone, and one compile instead of two halves the fixed
        cost that dominates small programs."""
        if optimizations != "reduced":
            raise ValueError(f"optimizations={optimizations!r}: only 'reduced' directions are compiled together")
        key = ("together", optimizations)
        if key not in self.cache:
            functions = tuple(function for _, function in self.directions())
            lowered = jax.jit(lambda *xs: tuple(function(*xs) for function in functions)).trace(
                *self.abstract_inputs).lower()
            self.cache[key] = lowered.compile(compiler_options=self.reduced_options)
        return self.cache[key]

    def directions(self):
        """(name, callable) for the function and its gradient: every oracle checks both, except
        where the program has no reverse mode (then only the function)."""
        if self.spec.forward_only:
            return (("forward", self.function),)
        return (("forward", self.function), ("backward", self.gradient))

    @cached_property
    def primitives(self) -> frozenset[str]:
        """Primitives of both directions' jaxprs (nested ones included)."""
        return frozenset().union(*(jaxpr_primitives(self.jaxpr(direction)) for direction, _ in self.directions()))

    def jaxpr(self, direction: str):
        function = self.function if direction == "forward" else self.gradient
        return jax.make_jaxpr(function)(*self.abstract_inputs)


def as_arrays(values) -> list:
    return [jnp.asarray(v) for v in values]


def flat_outputs(result) -> list[np.ndarray]:
    """A result (array or tuple of arrays) as a list of NumPy arrays."""
    return [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(result)]
