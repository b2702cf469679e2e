"""The built-in op records, one module per family. Importing this package registers them in
the order below, which is the registry's order: it decides draw order, and so output bytes."""
from . import core, breadth, control, realjax, library, random, trees, transforms, linalg, windows  # noqa: F401  (register the built-in ops, in this order)
from .core import FLOAT, NUMERIC

__all__ = ["FLOAT", "NUMERIC"]
