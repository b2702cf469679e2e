"""How each IR kind's text is made from one traced direction: the ``produce`` functions that
`fuzzgen.ir.IR_KIND_TABLE` names. Each takes a `Direction` and returns text."""
from __future__ import annotations

from . import deep_ir


def jaxpr(direction) -> str:
    return jaxpr_text(direction.traced.jaxpr)


def jaxpr_text(closed_jaxpr) -> str:
    """The jaxpr as text, never coloured: JAX adds ANSI colour codes to ``str(jaxpr)`` when this
    process's stdout is a terminal, which would make the data depend on where stdout goes."""
    return closed_jaxpr.pretty_print(use_color=False)


def stablehlo(direction) -> str:
    return direction.lowered.as_text()


def hlo(direction) -> str:
    return direction.lowered.as_text(dialect="hlo")


def hlo_opt(direction) -> str:
    # Compiled from the location-free StableHLO text, so no Python frame tables reach it.
    return deep_ir.optimized_hlo(direction.text("stablehlo"))


def stablehlo_export(direction) -> str:
    return deep_ir.exported_stablehlo(direction.function, direction.inputs)
