"""The typed grammar: value types, op records, and the ten categories as productions."""
from . import catalog  # noqa: F401  (registers the built-in ops)
from .choices import Chooser
from .ops import OPS, Call, Domain, Op, Operator, Registry
from .productions import ALL_CATEGORY_NAMES, CATEGORY_NAMES, EXTRA_CATEGORY_NAMES, PRODUCTIONS, Category
from . import structured  # noqa: F401,E402  (registers the control_flow production)
from .types import DTYPES, FLOAT_DTYPES, INT_DTYPES, ShapeError, ValueType
from .walk import GrammarSettings, InvalidSettings, Walk

__all__ = [
    "ALL_CATEGORY_NAMES", "CATEGORY_NAMES", "EXTRA_CATEGORY_NAMES", "Call", "Category", "Chooser", "DTYPES", "Domain", "FLOAT_DTYPES", "GrammarSettings",
    "INT_DTYPES", "InvalidSettings", "OPS", "Op", "Operator", "PRODUCTIONS", "Registry", "ShapeError",
    "ValueType", "Walk",
]
