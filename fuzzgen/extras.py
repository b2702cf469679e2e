"""Optional dependencies (matplotlib, pyarrow): imported only when asked for, named when missing.

fuzzgen installs without them; a command that needs one fails with a one-line message saying
which extra to install, instead of an ImportError traceback.
"""
from __future__ import annotations

import importlib

from .errors import FuzzgenError


class MissingExtraError(FuzzgenError):
    """An optional dependency is not installed; the message says which ``pip install`` fixes it."""


def require(module: str, extra: str | None, what: str):
    """Import ``module`` or raise `MissingExtraError` naming ``fuzzgen[extra]`` (or, for a base
    dependency missing from a broken install, the package itself)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        package = module.split(".")[0]
        fix = f"pip install 'fuzzgen[{extra}]'" if extra else f"pip install {package} (a dependency of fuzzgen)"
        raise MissingExtraError(f"{what} needs {package}, which is not installed; {fix}") from None


# Modules the checks need beyond what importing JAX guarantees: checked before a run starts, so a
# broken environment is one line (exit 2), never a finding or a failed record.
EXPORT_SERIALIZATION = "flatbuffers"  # jax.export's serialize/deserialize
