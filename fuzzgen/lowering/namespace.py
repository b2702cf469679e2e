"""Exec a program's source in a namespace holding only ``jnp``, ``lax`` and the plugins' ``ext``,
with empty builtins.

Only source the grammar built, or that has been checked against it, may reach `load_function`.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from ..ast_builders.checker import check_source
from ..ast_builders.program import ArgSpec
from ..grammar.plugins import EXTENSIONS

# jaxlib's C++ jit dispatch imports a module lazily the first time any jitted function is called,
# and that import looks up `__import__` in the *calling* frame's builtins, which are empty in a
# generated function. One eager call here makes the import before any generated code runs.
jnp.cos(1.0).block_until_ready()


def load_function(source: str, function_name: str):
    namespace = {"jnp": jnp, "lax": lax, "ext": EXTENSIONS, "__builtins__": {}}
    exec(compile(source, f"<fuzzgen:{function_name}>", "exec"), namespace)  # noqa: S102 - checked source only
    function = namespace.get(function_name)
    if not callable(function):
        raise ValueError(f"source does not define a function named {function_name!r}")
    return function


def load_checked_function(source: str, args, function_name: str | None = None):
    """`load_function` for source read from a file: it must pass the grammar check first."""
    name = check_source(source, tuple(args), function_name)
    return load_function(source, name)


def abstract_inputs(args: tuple[ArgSpec, ...] | list[ArgSpec]) -> list[jax.ShapeDtypeStruct]:
    """Shape/dtype placeholders for tracing: IR depends on types only, not on values."""
    return [jax.ShapeDtypeStruct(tuple(a.shape), jnp.dtype(a.dtype)) for a in args]
