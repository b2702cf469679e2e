"""Lower source that came from a file: check it against the grammar, and only then exec it.

Every path that reads a program from a record, corpus or finding lowers it through here (or
loads it with `namespace.load_checked_function`), never through `lower_source` directly.
"""
from __future__ import annotations

from ..ast_builders.checker import UntrustedSourceError, check_source
from .lower import IR_KINDS, LoweredProgram, lower_source

__all__ = ["UntrustedSourceError", "lower_untrusted"]


def lower_untrusted(source: str, function_name: str, args, ir_kinds=IR_KINDS, *, vmap_axes=None,
                    forward_only: bool = False) -> LoweredProgram:
    """`lower_source` for source from a file: raises `UntrustedSourceError`, before any exec, if
    the source is not a grammar program over ``args`` defining ``function_name``."""
    args = tuple(args)
    check_source(source, args, function_name)
    return lower_source(source, function_name, args, ir_kinds, vmap_axes=vmap_axes, forward_only=forward_only)
