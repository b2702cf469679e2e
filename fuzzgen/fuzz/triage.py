"""Group findings so that one bug found a thousand times is one report with a count.

A finding's signature is (oracle, exception type, normalized message, primitive set). Messages
are normalized by replacing what varies between occurrences of one bug (numbers, shapes,
addresses, names of temporaries) with placeholders. The primitive set needs care: every program
that hits a bug also holds unrelated primitives, so a family of findings (same oracle, type and
message) keeps the *intersection* of its members' primitive sets, which converges on the
primitives the bug needs; the shrunk program, which holds little else, shows the same set.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field

from ..oracles.verdict import Verdict

MESSAGE_LIMIT = 240
_PATTERNS = (
    (re.compile(r"<fuzzgen:\w+>"), "<program>"),
    (re.compile(r"\b[a-z_]+_[0-9a-f]{4}\b"), "<function>"),
    (re.compile(r"0x[0-9a-fA-F]+"), "<address>"),
    (re.compile(r"(?:/[\w.-]+)+\.(?:py|cc|h|cpp)(?::\d+)?"), "<path>"),
    (re.compile(r"\b(?:[fiu]\d+|bf16|bool|pred)\[[\d,\s]*\]"), "<type>"),
    (re.compile(r"\[(?:[-\d,\s]|None)*\]"), "[#]"),  # shapes, indices, in_axes=[0, None, -1]
    (re.compile(r"\(\s*\d+(?:\s*,\s*\d*)*\s*\)"), "(#)"),
    (re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?(?!\w)"), "#"),
    (re.compile(r"\b(?:inf|nan)\b"), "#"),
    (re.compile(r"\s+"), " "),
)


def normalize_message(text: str) -> str:
    """The first line of ``text`` with the parts that vary between occurrences replaced."""
    lines = (text or "").strip().splitlines()
    message = lines[0] if lines else ""
    for pattern, replacement in _PATTERNS:
        message = pattern.sub(replacement, message)
    return message.strip()[:MESSAGE_LIMIT]


@dataclass(frozen=True)
class Signature:
    oracle: str
    error_type: str
    message: str
    primitives: tuple[str, ...]

    @classmethod
    def of(cls, verdict: Verdict, primitives) -> Signature:
        return cls(verdict.oracle, verdict.error_type or "", normalize_message(verdict.details),
                   tuple(sorted(set(primitives))))

    @property
    def key(self) -> str:
        """16 hex chars of sha256 over the four parts: stable across runs, machines and versions."""
        payload = json.dumps([self.oracle, self.error_type, self.message, list(self.primitives)])
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    @property
    def family(self) -> tuple[str, str, str]:
        return self.oracle, self.error_type, self.message


@dataclass
class Family:
    """Findings with one oracle, error type and normalized message."""

    oracle: str
    error_type: str
    message: str
    primitives: frozenset[str]
    programs: set[str] = field(default_factory=set)
    example_source: str = ""
    example_error: str = ""

    @property
    def count(self) -> int:
        return len(self.programs)

    @property
    def signature(self) -> Signature:
        return Signature(self.oracle, self.error_type, self.message, tuple(sorted(self.primitives)))


class Triage:
    """Collects findings as they are observed; `families` is the grouped report, largest first."""

    def __init__(self):
        self._families: dict[tuple[str, str, str], Family] = {}

    def add(self, verdict: Verdict, primitives, program_id: str, source: str) -> Family:
        signature = Signature.of(verdict, primitives)
        family = self._families.get(signature.family)
        if family is None:
            family = self._families[signature.family] = Family(
                verdict.oracle, verdict.error_type or "", signature.message, frozenset(signature.primitives),
                example_source=source, example_error=verdict.error)
        else:
            family.primitives &= frozenset(signature.primitives)
            if len(source) < len(family.example_source):
                family.example_source, family.example_error = source, verdict.error
        family.programs.add(program_id)
        return family

    def family_of(self, verdict: Verdict) -> Family | None:
        return self._families.get((verdict.oracle, verdict.error_type or "", normalize_message(verdict.details)))

    @property
    def families(self) -> list[Family]:
        return sorted(self._families.values(), key=lambda f: (-f.count, f.oracle, f.message))
