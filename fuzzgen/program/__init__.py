"""Programs: the specs every layer shares (`ArgSpec`, `ProgramSpec`, `Program`), the libcst
builder that walks the grammar, and its two drivers (seeded, and Hypothesis)."""
from ..lazy import lazy_exports

_EXPORTS = {
    "ArgSpec": "spec", "Program": "spec", "ProgramSpec": "spec", "program_id": "spec",
    "GrammarBug": "builder", "ProgramBuilder": "builder", "build_program": "builder",
    "HypothesisChooser": "drivers", "RandomChooser": "drivers", "derived_seed": "drivers",
}
__getattr__ = lazy_exports(__name__, _EXPORTS)
__all__ = list(_EXPORTS)
