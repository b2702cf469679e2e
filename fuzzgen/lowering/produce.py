"""How each IR kind's text is made from one traced direction: the ``produce`` functions that
`fuzzgen.ir.IR_KIND_TABLE` names. Each takes a `Direction` and returns text."""
from __future__ import annotations

import re

from . import deep_ir


def jaxpr(direction) -> str:
    return jaxpr_text(direction.traced.jaxpr)


# Older JAX releases (0.4.3x) print some parameters as Python objects, e.g. a custom_jvp_call's
# ``jvp_jaxpr_thunk=<function _memoize.<locals>.memoized at 0x7f8f5609c680>``: the address differs
# in every process, so it is cut, keeping the name.
_OBJECT_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+>")


def jaxpr_text(closed_jaxpr) -> str:
    """The jaxpr as text, never coloured: JAX adds ANSI colour codes to ``str(jaxpr)`` when this
    process's stdout is a terminal, which would make the data depend on where stdout goes; and
    without object addresses, which would make it depend on the process."""
    return _OBJECT_ADDRESS.sub(">", closed_jaxpr.pretty_print(use_color=False))


def stablehlo(direction) -> str:
    return direction.lowered.as_text()


def hlo(direction) -> str:
    return direction.lowered.as_text(dialect="hlo")


def hlo_opt(direction) -> str:
    # Compiled from the location-free StableHLO text, so no Python frame tables reach it.
    return deep_ir.optimized_hlo(direction.text("stablehlo"))


def stablehlo_export(direction) -> str:
    return deep_ir.exported_stablehlo(direction.function, direction.inputs)
