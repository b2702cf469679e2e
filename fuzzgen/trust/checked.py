"""`CheckedSource`: program text that may be exec'd or handed to libcst's native parser.

Only two places make one: `fuzzgen.trust.checker.check_source`, after the text has passed the
size bound and the grammar check, and the grammar builder (`grammar_built`), whose programs are
valid by construction. The sandbox's exec and the canonical hash accept nothing else, so the
trust boundary is a type, not a convention: text read from a file cannot reach them unchecked.
"""
from __future__ import annotations

from dataclasses import dataclass, field

_ISSUER = object()  # held by this module; a CheckedSource built without it is refused


@dataclass(frozen=True)
class CheckedSource:
    text: str
    function_name: str
    issuer: object = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        if self.issuer is not _ISSUER:
            raise TypeError("a CheckedSource comes only from fuzzgen.trust.check_source (or the grammar builder)")

    def __str__(self) -> str:
        return self.text


def issue(text: str, function_name: str) -> CheckedSource:
    """For `check_source` only, once the text has passed every check."""
    return CheckedSource(text, function_name, _ISSUER)


def grammar_built(text: str, function_name: str) -> CheckedSource:
    """For source the grammar builder rendered itself (valid by construction)."""
    return CheckedSource(text, function_name, _ISSUER)


def require_checked(source) -> CheckedSource:
    if not isinstance(source, CheckedSource):
        raise TypeError(f"expected a CheckedSource, got {type(source).__name__}: untrusted text must pass "
                        "fuzzgen.trust.check_source first")
    return source
