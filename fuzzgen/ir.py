"""The IR kinds a record can hold, and its two directions: vocabulary as data, with no JAX import.

Each `IRKind` names the function that produces its text from one traced direction and the
function that checks a stored text (`fuzzgen validate`). Both are ``module:function`` paths,
imported only when used, so the record readers, `stats` and the CLI parser can know the kinds
without starting JAX. Adding an IR kind is one row in `IR_KIND_TABLE` and its two functions.

The table's order is the order of the kinds in every record, so it is part of the output bytes.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable

DIRECTIONS = ("forward", "backward")


@dataclass(frozen=True)
class IRKind:
    name: str
    default: bool  # stored unless --ir says otherwise
    summary: str  # one phrase for --help and the README
    produce: str  # "module:function": (lowering.lower.Direction) -> text
    check: str  # "module:function": (stored {forward, backward} texts, lowering.checks.Stored) -> problem or None

    def producer(self) -> Callable:
        return _resolve(self.produce)

    def checker(self) -> Callable:
        return _resolve(self.check)


def _resolve(path: str) -> Callable:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


_PRODUCE, _CHECK = "fuzzgen.lowering.produce", "fuzzgen.lowering.checks"
IR_KIND_TABLE = (
    IRKind("jaxpr", True, "the jaxpr JAX traces", f"{_PRODUCE}:jaxpr", f"{_CHECK}:check_jaxpr"),
    IRKind("stablehlo", True, "StableHLO, Lowered.as_text()", f"{_PRODUCE}:stablehlo", f"{_CHECK}:check_stablehlo"),
    IRKind("hlo", True, "HLO, Lowered.as_text(dialect='hlo')", f"{_PRODUCE}:hlo", f"{_CHECK}:check_hlo"),
    IRKind("hlo_opt", False, "XLA's optimized CPU HLO", f"{_PRODUCE}:hlo_opt", f"{_CHECK}:check_hlo_opt"),
    IRKind("stablehlo_export", False, "jax.export's StableHLO for cpu, cuda and tpu at once",
           f"{_PRODUCE}:stablehlo_export", f"{_CHECK}:check_stablehlo_export"),
)
IR_KINDS_BY_NAME = {kind.name: kind for kind in IR_KIND_TABLE}
ALL_IR_KINDS = tuple(kind.name for kind in IR_KIND_TABLE)
IR_KINDS = tuple(kind.name for kind in IR_KIND_TABLE if kind.default)  # the default set


def ir_kind(name: str) -> IRKind:
    try:
        return IR_KINDS_BY_NAME[name]
    except KeyError:
        raise ValueError(f"unknown IR kind {name!r}; choose from {','.join(ALL_IR_KINDS)}") from None


def in_table_order(kinds) -> tuple[str, ...]:
    """``kinds`` in the table's order (the order records hold them)."""
    wanted = set(kinds)
    return tuple(name for name in ALL_IR_KINDS if name in wanted)
