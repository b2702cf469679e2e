"""Exec a program's source in a namespace holding only ``jnp``, ``lax``, the plugins' ``ext`` and a
``jax`` that holds the registry's ``jax.*`` call targets and nothing else, with empty builtins.

`load_function` takes a `CheckedSource` only: source the grammar built, or that has passed the
grammar check. This is the one place program text is exec'd.
"""
from __future__ import annotations

import importlib
from types import SimpleNamespace

import jax.numpy as jnp
from jax import lax

from .checked import CheckedSource, require_checked
from .checker import check_source
from ..grammar.ops import OPS, Call, Transform
from ..grammar.plugins import EXTENSIONS

# jaxlib's C++ jit dispatch imports a module lazily the first time any jitted function is called,
# and that import looks up `__import__` in the *calling* frame's builtins, which are empty in a
# generated function. One eager call here makes the import before any generated code runs.
jnp.cos(1.0).block_until_ready()


_NAMESPACES: dict[tuple[str, ...], SimpleNamespace] = {}


def jax_namespace() -> SimpleNamespace:
    """``jax`` as programs see it: only the ``jax.a.b`` targets ops render as (``jax.nn.relu``),
    looked up in the real module, so a checked program cannot reach the rest of JAX. Built once
    per set of targets (a plugin registering an op makes a new one); programs cannot assign
    attributes, so sharing it is safe."""
    targets = tuple(sorted({op.render.target for op in OPS
                            if isinstance(op.render, (Call, Transform)) and op.render.target.startswith("jax.")}))
    if targets not in _NAMESPACES:
        _NAMESPACES[targets] = _build_namespace(targets)
    return _NAMESPACES[targets]


def _build_namespace(targets: tuple[str, ...]) -> SimpleNamespace:
    root = SimpleNamespace()
    for target in targets:
        *path, name = target.split(".")
        node = root
        for part in path[1:]:
            if not hasattr(node, part):
                setattr(node, part, SimpleNamespace())
            node = getattr(node, part)
        setattr(node, name, getattr(importlib.import_module(".".join(path)), name))
    return root


class _LaxWith:
    """``lax`` with some functions replaced, for the source's own calls only (JAX's library code
    keeps its own references): the gradient oracle marks the program's ``lax.stop_gradient``."""

    def __init__(self, **replacements):
        self.__dict__.update(replacements)

    def __getattr__(self, name):
        return getattr(lax, name)


def load_function(source: CheckedSource, *, stop_gradient=None, modules: dict | None = None):
    """Exec checked source in the restricted namespace and return the function it defines; with
    ``stop_gradient``, the source's ``lax.stop_gradient`` calls call that instead; with
    ``modules``, its ``jnp``, ``lax``, ``jax`` and ``ext`` are those (the NumPy reference's)."""
    source = require_checked(source)
    lax_namespace = lax if stop_gradient is None else _LaxWith(stop_gradient=stop_gradient)
    namespace = {"jnp": jnp, "lax": lax_namespace, "jax": jax_namespace(), "ext": EXTENSIONS}
    if modules is not None:
        unknown = set(modules) - set(namespace)
        if unknown:
            raise ValueError(f"modules={sorted(unknown)}: only {sorted(namespace)} can be replaced")
        namespace.update(modules)
    namespace["__builtins__"] = {}
    namespace["range"] = range  # a for loop's literal bounds (the check admits `range` there alone)
    exec(compile(source.text, f"<fuzzgen:{source.function_name}>", "exec"), namespace)  # noqa: S102 - checked only
    function = namespace.get(source.function_name)
    if not callable(function):
        raise ValueError(f"source does not define a function named {source.function_name!r}")
    return function


def load_checked_function(source: str, args, function_name: str | None = None):
    """`load_function` for source read from a file: it must pass the grammar check first."""
    return load_function(check_source(source, tuple(args), function_name))
