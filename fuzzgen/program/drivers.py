"""The two drivers of the grammar walk: one grammar, two sources of choices.

`RandomChooser` makes a program a pure function of (seed, index): each index gets its own PRNG,
seeded from a hash, so any index can be drawn alone, in any process, in any order.
`HypothesisChooser` routes every choice through Hypothesis, so failing programs shrink.
"""
from __future__ import annotations

import hashlib
import random
from typing import Sequence, TypeVar

from hypothesis import strategies as st

T = TypeVar("T")


def derived_seed(*parts: object) -> int:
    """A 128-bit seed from the parts' text; stable across processes, platforms and Python builds."""
    text = ":".join(str(p) for p in ("fuzzgen",) + parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:16], "big")


class RandomChooser:
    def __init__(self, seed: int):
        # random.Random(int) and its randrange/random are stable across CPython versions.
        self._rng = random.Random(seed)

    def integer(self, low: int, high: int) -> int:
        return low + self._rng.randrange(high - low + 1)

    def choice(self, options: Sequence[T]) -> T:
        return options[self._rng.randrange(len(options))]

    def chance(self, probability: float) -> bool:
        return self._rng.random() < probability


class HypothesisChooser:
    def __init__(self, draw):
        self._draw = draw

    def integer(self, low: int, high: int) -> int:
        return self._draw(st.integers(low, high))

    def choice(self, options: Sequence[T]) -> T:
        return self._draw(st.sampled_from(tuple(options)))

    def chance(self, probability: float) -> bool:
        # Shrinks towards 0, i.e. towards False: the simpler program.
        return self._draw(st.integers(0, 999)) >= 1000 - round(probability * 1000)


# How many times as often `FocusedChooser` picks an option that names a wanted op.
FOCUS_BOOST = 32


class FocusedChooser:
    """Another chooser, except that wherever the grammar picks among options of which some are
    wanted op names (``fuzz --ops``), each of those is picked ``FOCUS_BOOST`` times as often. The
    grammar names ops as strings wherever it chooses one (by tag or spelled out), so this reaches
    every such choice; ops drawn only inside an idiom are reached by drawing again
    (`fuzzgen.strategies.programs`)."""

    def __init__(self, inner, wanted: frozenset[str]):
        self._inner, self._wanted = inner, wanted

    def integer(self, low: int, high: int) -> int:
        return self._inner.integer(low, high)

    def chance(self, probability: float) -> bool:
        return self._inner.chance(probability)

    def choice(self, options: Sequence[T]) -> T:
        options = tuple(options)
        wanted = tuple(o for o in options if isinstance(o, str) and o in self._wanted)
        return self._inner.choice(options + wanted * (FOCUS_BOOST - 1) if wanted else options)
