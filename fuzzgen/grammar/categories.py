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
from .models import attention, layer, norm
from .structured import control_flow
from .training import loss, optimizer, train_step
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
    CategoryRow("vmap", None, False, "a program of a base or model category under jax.vmap",
                bodies=("elementwise", "unary", "branch", "reduction", "dot", "matmul", "multi_statement", "compound",
                        "layer", "norm", "attention", "loss")),  # per-example model code, as real code vmaps it
    CategoryRow("layer", layer, False, "dense layers and MLPs: x @ w + b, activations, residuals, scans"),
    CategoryRow("norm", norm, False, "layer, RMS, batch and group norm with scale and shift"),
    CategoryRow("attention", attention, False, "scaled dot-product attention, masks, heads"),
    CategoryRow("loss", loss, False, "cross-entropy, MSE, Huber, sigmoid BCE, L2 penalties"),
    CategoryRow("optimizer", optimizer, False, "SGD, momentum, Adam updates; clipping, warm-up"),
    CategoryRow("train_step", train_step, False, "jax.value_and_grad of a loss, then an update"),
)
CATEGORIES = {row.name: row for row in CATEGORY_TABLE}
CATEGORY_NAMES = tuple(row.name for row in CATEGORY_TABLE if row.default)  # the default ten
EXTRA_CATEGORY_NAMES = tuple(row.name for row in CATEGORY_TABLE if not row.default)
ALL_CATEGORY_NAMES = tuple(CATEGORIES)
MODEL_CATEGORY_NAMES = ("layer", "norm", "attention", "loss", "optimizer", "train_step")  # model-code idioms

# Named mixes: each category with its share, in parts of the whole. "seed" is the default ten at
# 10% each. "realistic" is made of what real model code writes as functions: the model-code
# categories (layers, norms, attention, losses, optimizer updates, training steps: 14 of 21
# parts), the seed's multi-statement and compound programs, control flow and vmap. The seed's
# one-op shapes (a binary op, a unary chain, one reduction, one dot) are left out: real functions
# have a median of 6 statements, and those are one or two.
MIXES: dict[str, tuple[tuple[str, int], ...]] = {
    "seed": tuple((name, 1) for name in CATEGORY_NAMES),
    "realistic": (
        ("multi_statement", 3), ("compound", 2), ("control_flow", 1), ("vmap", 1),
        ("layer", 3), ("norm", 2), ("attention", 2), ("loss", 3), ("optimizer", 2), ("train_step", 2),
    ),
}
MIX_NAMES = tuple(MIXES)


def mix(name: str) -> tuple[tuple[str, int], ...]:
    try:
        return MIXES[str(name)]
    except KeyError:
        raise ValueError(f"unknown mix {name!r}; choose from {','.join(MIX_NAMES)}") from None


def mix_categories_and_weights(name: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Mix ``name`` as `SampleConfig` takes it: its categories, and their weights in that order."""
    shares = mix(name)
    return tuple(category for category, _ in shares), tuple(weight for _, weight in shares)


def category(name: str) -> CategoryRow:
    try:
        return CATEGORIES[str(name)]
    except KeyError:
        raise ValueError(f"unknown category {name!r}; choose from {','.join(ALL_CATEGORY_NAMES)}") from None
