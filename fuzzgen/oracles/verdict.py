"""What an oracle says about one program: passed, failed (a finding) or skipped (could not judge)."""
from __future__ import annotations

import traceback
from dataclasses import dataclass

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
MISMATCH = "Mismatch"  # the error type of a wrong answer, as opposed to a raised exception


@dataclass(frozen=True)
class Verdict:
    """``error_type`` names the exception raised, or `MISMATCH` for a wrong result; ``details`` is
    one line a person can act on (where, which values, which tolerance)."""

    oracle: str
    status: str
    details: str = ""
    error_type: str | None = None

    def __post_init__(self):
        if self.status not in (PASSED, FAILED, SKIPPED):
            raise ValueError(f"status={self.status!r} is not one of {PASSED}, {FAILED}, {SKIPPED}")

    @property
    def failed(self) -> bool:
        return self.status == FAILED

    @property
    def error(self) -> str:
        """``Type: details``, the one-line form findings and corpus cases store."""
        return f"{self.error_type}: {self.details}" if self.error_type else self.details

    def to_json(self) -> dict:
        return {"oracle": self.oracle, "status": self.status, "details": self.details, "error_type": self.error_type}

    @classmethod
    def from_json(cls, data: dict) -> Verdict:
        return cls(data["oracle"], data["status"], data.get("details", ""), data.get("error_type"))


def passed(oracle: str, details: str = "") -> Verdict:
    return Verdict(oracle, PASSED, details)


def skipped(oracle: str, details: str) -> Verdict:
    return Verdict(oracle, SKIPPED, details)


def mismatch(oracle: str, details: str) -> Verdict:
    return Verdict(oracle, FAILED, details, MISMATCH)


def raised(oracle: str, error: BaseException, stage: str = "") -> Verdict:
    """A finding for an exception; the first line of its message, with the stage it came from."""
    text = "".join(traceback.format_exception_only(type(error), error)).strip()
    first = text.splitlines()[0] if text else type(error).__name__
    message = first.split(": ", 1)[1] if ": " in first else ""
    where = f"while {stage}: " if stage else ""
    return Verdict(oracle, FAILED, f"{where}{message}"[:2000], type(error).__name__)
