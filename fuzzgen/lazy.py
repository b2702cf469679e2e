"""Lazy re-exports for packages whose modules import JAX.

A package lists its public names and the module each lives in; the module is imported on first
access. So `import fuzzgen.sample` (or the CLI, which imports package names for its help text)
stays cheap and never starts JAX's backend until something is really used.
"""
from __future__ import annotations

import importlib


def lazy_exports(package: str, table: dict[str, str]):
    """A module ``__getattr__`` serving ``table`` (public name -> submodule of ``package``)."""
    def __getattr__(name: str):
        if name not in table:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{table[name]}"), name)
    return __getattr__
