"""The typed grammar: value types, op records, and the ten categories as productions."""
from . import catalog  # noqa: F401  (registers the built-in ops)
from .choices import Chooser
from .ops import OPS, Call, Domain, Op, Operator, Registry
from .categories import (
    ALL_CATEGORY_NAMES, CATEGORIES, CATEGORY_NAMES, CATEGORY_TABLE, EXTRA_CATEGORY_NAMES, MIX_NAMES, MIXES,
    MODEL_CATEGORY_NAMES, CategoryRow, category, mix, mix_categories_and_weights,
)
from .types import DTYPES, FLOAT_DTYPES, INT_DTYPES, ShapeError, ValueType
from .walk import GrammarSettings, InvalidSettings, Walk

# Which programs a seed draws. Bump it whenever the same seed and settings draw different programs
# (an op, a production or the builder changed; the golden hashes move with it): it is part of a
# sample run's identity, so a run is never resumed or merged across it. 2: intermediates named, and
# vmap draws per-example model code. 3: model code takes its learned arrays as a params tree (half the time).
# 4: a layer's input may be an embedding lookup of token ids, or the layer a convolution block;
# attention may rotate queries and keys (rotary position embeddings); model code names its
# arguments by role (x, w, b, labels, ...). 5: model code defines helpers before its function and
# calls them (a norm, a residual block per layer) and takes keyword-only numbers (`*, eps=1e-05`).
# 6: norms and attention take keyword-only flags (`*, use_bias=True`, `causal=True`) that an `if` tests.
# 7: stacked layers in a list of layer dicts may loop over their positions (`for i in range(1, 3):`).
# 8: a program may return a tree of values (`return loss, w`; `return new, {'mu': mu, 'nu': nu}`):
# optimizer updates with their new state, training steps with the loss, losses with their
# predictions, attention with its weights. 9: optimizers update whole parameter trees with
# `jax.tree_util.tree_map(lambda p, g: ..., params, grads)` (SGD, momentum, Adam's first step).
# 10: layers may apply a stack of square layers with `lax.scan` over its leading axis.
# 11: a float32 tree update may clip the gradient tree by its global norm first.
# 12: half the training steps take the gradient over a whole parameter tree
# (`loss, grads = jax.value_and_grad(lambda p: ...)(params)`) and update the tree with maps.
# 13: a fifth of layers on an argument test its rank first (`if x.ndim > 2: x = x.reshape(-1, x.shape[-1])`).
# 14: a third of the looped layer stacks loop over a list of their own (`for layer in layers:`).
# 15: a tree training step's loss may add an L2 penalty over every kernel of the tree.
# 16: a vmap in the source may map over axis 1 or -1 (`in_axes=1`) and place its axis elsewhere (`out_axes=-1`).
GRAMMAR_VERSION = 16

__all__ = [
    "ALL_CATEGORY_NAMES", "GRAMMAR_VERSION", "CATEGORY_NAMES", "EXTRA_CATEGORY_NAMES", "MIX_NAMES", "MIXES", "MODEL_CATEGORY_NAMES", "mix", "mix_categories_and_weights", "Call", "CATEGORIES", "CATEGORY_TABLE", "CategoryRow", "category", "Chooser", "DTYPES", "Domain", "FLOAT_DTYPES", "GrammarSettings",
    "INT_DTYPES", "InvalidSettings", "OPS", "Op", "Operator", "Registry", "ShapeError",
    "ValueType", "Walk",
]
