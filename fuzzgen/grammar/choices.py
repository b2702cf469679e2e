"""The one interface through which the grammar makes a choice.

The grammar walk never draws randomness itself; it asks a `Chooser`. Two drivers implement it
(`fuzzgen.program.drivers`): a seeded PRNG for index-addressable sampling, and Hypothesis'
`draw` for property tests and shrinking. Each method is written so that the *first* option, the
*low* end of a range and ``False`` are the simplest program: that is where Hypothesis shrinks.
"""
from __future__ import annotations

from typing import Protocol, Sequence, TypeVar

T = TypeVar("T")


class Chooser(Protocol):
    def integer(self, low: int, high: int) -> int:
        """An int in [low, high], inclusive."""

    def choice(self, options: Sequence[T]) -> T:
        """One of ``options`` (non-empty)."""

    def chance(self, probability: float) -> bool:
        """True with ``probability``; False is the simpler outcome."""
