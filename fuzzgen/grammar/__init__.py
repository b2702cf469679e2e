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

__all__ = [
    "ALL_CATEGORY_NAMES", "CATEGORY_NAMES", "EXTRA_CATEGORY_NAMES", "MIX_NAMES", "MIXES", "MODEL_CATEGORY_NAMES", "mix", "mix_categories_and_weights", "Call", "CATEGORIES", "CATEGORY_TABLE", "CategoryRow", "category", "Chooser", "DTYPES", "Domain", "FLOAT_DTYPES", "GrammarSettings",
    "INT_DTYPES", "InvalidSettings", "OPS", "Op", "Operator", "Registry", "ShapeError",
    "ValueType", "Walk",
]
