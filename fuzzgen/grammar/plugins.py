"""Extend the grammar from outside: a plugin is a module that registers `Op` records at import.

A record naming ``jnp.x`` or ``lax.x`` fuzzes an existing JAX function (or a patched JAX); a record
naming ``ext.x`` fuzzes the user's own function, passed as ``implementation=``. Generated programs
reach those through the ``ext`` namespace that `fuzzgen.trust.sandbox` hands every program.

    # my_ops.py
    from fuzzgen.grammar import Call, Op, plugins
    from fuzzgen.grammar.catalog import FLOAT
    from fuzzgen.grammar import rules

    plugins.register(Op(name="softplus", render=Call("ext.softplus"), arity=1, operand_dtypes=(FLOAT,),
                        dtype_rule=rules.same_as_first, shape_rule=rules.same_shape,
                        tags=frozenset({"unary", "elementwise"})),
                     implementation=lambda x: jnp.logaddexp(x, 0.0))

Productions draw ops by tag, so a registered op is drawn wherever its tags fit: no other change.
Worker processes import the same modules by name (`load_plugin`), so plugins must be importable.
"""
from __future__ import annotations

import contextlib
import dataclasses
import importlib
import sys
from types import SimpleNamespace
from typing import Callable

from ..errors import FuzzgenError
from .ops import OPS, Call, Op

EXTENSION_PREFIX = "ext."

# The ``ext`` namespace of generated programs: one attribute per registered implementation.
EXTENSIONS = SimpleNamespace()

_registered_by: dict[str, list[str]] = {}  # module name -> op names it registered
PLUGIN_REFERENCES: dict[str, Callable] = {}  # op name -> its NumPy reference, where the plugin gave one
_loaded: dict[str, tuple[str, ...]] = {}  # plugin module name -> op names, once loaded


class PluginError(FuzzgenError, ValueError):
    """A plugin that cannot be used; ``str()`` is one line saying why and what to fix."""


def register(op: Op, *, implementation: Callable | None = None, replace: bool = False,
             weight: int | None = None, reference: Callable | None = None) -> Op:
    """Add ``op`` to the grammar; an ``ext.NAME`` target needs the ``implementation`` it calls.

    ``weight`` (default: the op's own, 1) is how often productions pick it relative to the other
    ops of its slot: a plugin's one op among twenty unary ones is drawn in ~5% of unary slots at
    weight 1, ~50% at weight 20. ``reference`` is what the op computes, as a NumPy function of
    float64 arrays with the same signature: with it, the reference oracle judges programs that
    call the op (`fuzzgen.oracles.references`)."""
    if not isinstance(op, Op):
        raise TypeError(f"register() takes an Op record, got {type(op).__name__}: {op!r:.60}")
    if reference is not None and not callable(reference):
        raise TypeError(f"op {op.name!r}: reference= must be a callable, got {type(reference).__name__}")
    if weight is not None:
        op = dataclasses.replace(op, weight=weight)
    target = op.render.target if isinstance(op.render, Call) else None
    if target is not None and target.startswith(EXTENSION_PREFIX):
        attribute = target[len(EXTENSION_PREFIX):]
        if not attribute.isidentifier():
            raise ValueError(f"op {op.name!r}: render target {target!r} must be ext.<identifier>")
        if not callable(implementation):
            raise ValueError(f"op {op.name!r} renders as {target}, so register() needs implementation=<callable>")
        OPS.register(op, replace=replace)
        setattr(EXTENSIONS, attribute, implementation)
    else:
        if implementation is not None:
            raise ValueError(f"op {op.name!r}: implementation= is only for ext.<name> targets, not {target!r}")
        OPS.register(op, replace=replace)
    if reference is not None:
        PLUGIN_REFERENCES[op.name] = reference
    _registered_by.setdefault(_caller_module(), []).append(op.name)
    return op


def load_plugin(name: str) -> tuple[str, ...]:
    """Import plugin module ``name`` and return the names of the ops it registered.

    Loading a plugin twice is harmless. Raises `PluginError` when the module cannot be imported,
    fails while registering, or registers no op.
    """
    if name in _loaded:
        return _loaded[name]
    if not is_module_name(name):
        raise PluginError(f"--plugin {name!r} is not a module name such as my_ops or package.my_ops")
    before = {op.name for op in OPS}
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name and (name == error.name or name.startswith(error.name + ".")):
            raise PluginError(f"--plugin {name}: no module named {error.name!r} on the Python path "
                              "(install it, or add its directory to PYTHONPATH)") from None
        raise PluginError(f"--plugin {name}: importing it failed: {_one_line(error)}") from None
    except Exception as error:  # a plugin's own bug, reported as a bad plugin
        raise PluginError(f"--plugin {name}: importing it failed: {_one_line(error)}") from None
    added = [op.name for op in OPS if op.name not in before]
    names = tuple(dict.fromkeys(_registered_by.get(name, []) + added))
    if not names:
        raise PluginError(f"--plugin {name}: the module registered no ops; call "
                          "fuzzgen.grammar.plugins.register(Op(...)) at import")
    for op_name in names:
        _check_target(name, OPS[op_name])
    _loaded[name] = names
    return names


def is_module_name(name) -> bool:
    """``my_ops`` or ``package.my_ops``: what --plugin and a case's ``finding.plugins`` accept."""
    return isinstance(name, str) and bool(name) and all(part.isidentifier() for part in name.split("."))


def load_plugins(names) -> tuple[str, ...]:
    return tuple(op for name in names for op in load_plugin(name))


def loaded_plugins() -> tuple[str, ...]:
    """The plugin modules loaded so far, in loading order."""
    return tuple(_loaded)


@contextlib.contextmanager
def scoped_registrations():
    """Undo every op and implementation registered inside the block (for tests and notebooks).

    A long-lived grammar only grows; tests that plant buggy ops need them gone afterwards, so
    this puts back the ops (a replaced one too), implementations and loaded-plugin bookkeeping.
    """
    ops_before = {op.name: op for op in OPS}
    extensions_before = dict(vars(EXTENSIONS))
    references_before = dict(PLUGIN_REFERENCES)
    registered_before = {k: list(v) for k, v in _registered_by.items()}
    loaded_before = dict(_loaded)
    try:
        yield
    finally:
        if [(op.name, op) for op in OPS] != list(ops_before.items()):
            for op in list(OPS):  # re-registered in the old order: ops are drawn in that order
                OPS.unregister(op.name)
            for op in ops_before.values():
                OPS.register(op)
        vars(EXTENSIONS).clear()
        vars(EXTENSIONS).update(extensions_before)
        PLUGIN_REFERENCES.clear()
        PLUGIN_REFERENCES.update(references_before)
        _registered_by.clear()
        _registered_by.update(registered_before)
        for name in set(_loaded) - set(loaded_before):
            sys.modules.pop(name, None)  # so that loading it again registers its ops again
        _loaded.clear()
        _loaded.update(loaded_before)


def _check_target(plugin: str, op: Op) -> None:
    """A ``jnp.x``/``lax.x`` target must exist now, not fail later inside every program."""
    if not isinstance(op.render, Call) or op.render.target.startswith(EXTENSION_PREFIX):
        return
    head, _, attribute = op.render.target.partition(".")
    modules = {"jnp": "jax.numpy", "lax": "jax.lax"}
    if head not in modules or not attribute.isidentifier():
        raise PluginError(f"--plugin {plugin}: op {op.name!r} renders as {op.render.target!r}; "
                          "use jnp.<name>, lax.<name> or ext.<name>")
    # Imported here, not at the top: drawing programs must not import JAX, loading a plugin may.
    if not callable(getattr(importlib.import_module(modules[head]), attribute, None)):
        raise PluginError(f"--plugin {plugin}: op {op.name!r} renders as {op.render.target}, "
                          f"which {modules[head]} does not have")


def _caller_module() -> str:
    frame = sys._getframe(2)  # noqa: SLF001 - register() -> its caller, the plugin module
    return frame.f_globals.get("__name__", "?")


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def plugin_ops() -> frozenset[str]:
    """The names of the ops the loaded plugins registered (what the summaries count)."""
    return frozenset(name for names in _loaded.values() for name in names)
