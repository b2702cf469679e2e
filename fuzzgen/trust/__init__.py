"""The trust boundary: program text from any file is data until it has been checked here.

`check_source` bounds size and nesting with CPython's parser, checks the libcst tree against the
grammar, re-checks CPython's tree, and only then returns a `CheckedSource`; `check_program` does
the same and returns the `ProgramSpec` every other layer takes. The sandbox
(`fuzzgen.trust.sandbox.load_function`, which imports JAX) and the canonical hash accept only a
`CheckedSource`.
"""
from .checked import CheckedSource, grammar_built
from .limits import UntrustedSourceError

__all__ = ["CheckedSource", "UntrustedSourceError", "check_program", "check_source", "grammar_built"]


def __getattr__(name: str):
    # The checker needs the program specs, which need `CheckedSource`: loading it on first use
    # lets `fuzzgen.program.spec` import this package without a cycle.
    if name in ("check_source", "check_program"):
        from . import checker

        return getattr(checker, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
