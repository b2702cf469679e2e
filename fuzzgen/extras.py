"""Optional dependencies (matplotlib, pyarrow): imported only when asked for, named when missing.

fuzzgen installs without them; a command that needs one fails with a one-line message saying
which extra to install, instead of an ImportError traceback.
"""
from __future__ import annotations

import importlib

from .errors import FuzzgenError


class MissingExtraError(FuzzgenError):
    """An optional dependency is not installed; the message says which ``pip install`` fixes it."""


def require(module: str, extra: str, what: str):
    """Import ``module`` or raise `MissingExtraError` naming ``fuzzgen[extra]``."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(f"{what} needs {module.split('.')[0]}, which is not installed; "
                                f"pip install 'fuzzgen[{extra}]'") from None
