"""The fuzz job: Hypothesis drives the grammar, isolated workers run the oracles, triage groups
failures by signature, and each is shrunk to a minimal corpus case."""
from ..lazy import lazy_exports

_EXPORTS = {"FuzzConfig": "driver", "run_fuzz": "driver", "Case": "isolation", "IsolatedChecker": "isolation",
            "InProcessChecker": "isolation", "Triage": "triage"}
__getattr__ = lazy_exports(__name__, _EXPORTS)
__all__ = list(_EXPORTS)
