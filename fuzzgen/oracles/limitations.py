"""Known gaps of the oracles, declared as records (like JAX's test-harness ``Limitation``s), not as
scattered ``if``s: a program using the primitive is skipped by the named oracles, with the reason."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limitation:
    primitive: str
    oracles: frozenset[str]
    reason: str


LIMITATIONS = (
    Limitation(
        "reduce_precision", frozenset({"gradient"}),
        "JAX differentiates reduce_precision as the identity (a straight-through gradient), "
        "while between rounding steps its true derivative is 0",
    ),
    Limitation(
        "reduce_precision", frozenset({"forward_vs_reverse"}),
        "JAX declares reduce_precision linear and rounds tangents and cotangents alike, so "
        "<u, J v> and <J^T u, v> differ by that rounding",
    ),
)


def limitation_for(oracle: str, primitives) -> Limitation | None:
    return next((lim for lim in LIMITATIONS if oracle in lim.oracles and lim.primitive in primitives), None)
