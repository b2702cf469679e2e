"""THE category table: every program category, its production, and whether it is in the default mix.

Adding a category is one row here (and its production). The default rows are the seed report's
ten, drawn at 10% each unless ``--categories`` says otherwise; the opt-in rows are drawn only
when asked for. A ``batched`` row draws a program of one of its ``bodies`` and then the
``in_axes`` and batch size that `jax.vmap` wraps it with (the source stays plain grammar).
The table's order is the order of ``--categories``' default and of the names everywhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import productions as p
from .structured import control_flow
from .walk import Walk


@dataclass(frozen=True)
class CategoryRow:
    name: str
    production: Callable[[Walk], object] | None  # None for a batched row: its body's production is drawn
    default: bool
    summary: str
    bodies: tuple[str, ...] = ()  # batched rows: the categories whose programs it wraps in jax.vmap

    @property
    def batched(self) -> bool:
        return bool(self.bodies)


CATEGORY_TABLE = (
    CategoryRow("elementwise", p.elementwise, True, "binary elementwise ops on broadcasting arrays"),
    CategoryRow("scalar_array", p.scalar_array, True, "an array and a scalar (literal or rank-0 argument)"),
    CategoryRow("unary", p.unary_chain, True, "a chain of unary functions"),
    CategoryRow("branch", p.branch, True, "jnp.where on a comparison"),
    CategoryRow("reduction", p.reduction, True, "sum/mean/max/... over an axis or all"),
    CategoryRow("dot", p.dot, True, "jnp.dot of vectors and matrices"),
    CategoryRow("matmul", p.matmul, True, "@ / jnp.matmul, batched"),
    CategoryRow("multi_statement", p.multi_statement, True, "several assignments feeding each other"),
    CategoryRow("nested_branch", p.nested_branch, True, "where inside where"),
    CategoryRow("compound", p.compound, True, "a reduction, reshaping and branches together"),
    CategoryRow("control_flow", control_flow, False, "lax.cond, switch, fori_loop, scan, while_loop"),
    CategoryRow("vmap", None, False, "a program of a base category under jax.vmap",
                bodies=("elementwise", "unary", "branch", "reduction", "dot", "matmul", "multi_statement", "compound")),
)
CATEGORIES = {row.name: row for row in CATEGORY_TABLE}
CATEGORY_NAMES = tuple(row.name for row in CATEGORY_TABLE if row.default)  # the default ten
EXTRA_CATEGORY_NAMES = tuple(row.name for row in CATEGORY_TABLE if not row.default)
ALL_CATEGORY_NAMES = tuple(CATEGORIES)


def category(name: str) -> CategoryRow:
    try:
        return CATEGORIES[str(name)]
    except KeyError:
        raise ValueError(f"unknown category {name!r}; choose from {','.join(ALL_CATEGORY_NAMES)}") from None
