"""Oracles: properties every valid JAX program must have, each a function (subject, seed) -> Verdict.

The names are JAX-free (`ORACLE_NAMES`); everything else loads JAX on first use.
"""
from ..lazy import lazy_exports
from .names import ORACLE_NAMES

_EXPORTS = {"ORACLES": "run", "run_oracles": "run", "Subject": "subject", "Verdict": "verdict",
            "FAILED": "verdict", "MISMATCH": "verdict", "PASSED": "verdict", "SKIPPED": "verdict"}
__getattr__ = lazy_exports(__name__, _EXPORTS)
__all__ = ["ORACLE_NAMES", *_EXPORTS]
