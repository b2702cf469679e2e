"""One base for the errors a user can cause: bad arguments, bad files, a missing extra.

``str()`` of each is one line that says what is wrong and how to fix it; ``exit_status`` is what
the CLI exits with. The CLI catches `FuzzgenError` once (`fuzzgen.cli.main`), so a library error
never needs converting by hand. Errors that are findings about JAX, or bugs in fuzzgen, are not
`FuzzgenError`s: they must not be mistaken for bad input.
"""
from __future__ import annotations

EXIT_USAGE = 2


class FuzzgenError(Exception):
    """Bad input or environment; the message is one line naming the problem and the fix."""

    exit_status = EXIT_USAGE


class UsageError(FuzzgenError):
    """Bad arguments on the command line."""
