"""Build typed libcst programs by walking the grammar, with a seeded or a Hypothesis driver."""
from .builder import GrammarBug, ProgramBuilder, build_program
from .drivers import HypothesisChooser, RandomChooser, derived_seed
from .spec import ArgSpec, Program, program_id

__all__ = [
    "ArgSpec", "GrammarBug", "HypothesisChooser", "Program", "ProgramBuilder", "RandomChooser",
    "build_program", "derived_seed", "program_id",
]
