"""Program ``i`` of a fuzz run, drawn from the run's seed and ``i`` alone, as `fuzzgen sample` does.

Hypothesis' own engine draws one example after another, each choice depending on what came
before, so it cannot hand out programs to several judges at once, nor say which program a
run's 300th is without drawing the 299 before it. Here program ``i`` is the fuzzgen strategy
interpreted from a byte string that ``(seed, i)`` alone determines, through Hypothesis' public
fuzzing entry point (``fuzz_one_input``, the one external fuzzers and HypoFuzz use). So any
number of workers judge the same programs, and a failing program's bytes are all Hypothesis
needs to shrink it (see `driver`): the strategy's shrinking (fewer statements, smaller shapes,
simpler ops and dtypes) applies unchanged.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from typing import Iterator

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ..errors import FuzzgenError

INPUT_SEEDS = 2**16  # inputs are drawn from a seed the choices pick, and shrink towards 0
# Bytes interpreted per program: the largest programs (a nested branch of compound stages in a
# vmap) read about 3 KB, and a run aimed at ops (``programs(ops=...)``) may build dozens before
# one calls them; a program that runs out is invalid and its index is skipped. The bytes are a
# prefix of any longer buffer's, so the size does not change which program an index is.
BUFFER_BYTES = 1 << 17
# Indices in a row that make no program before a run gives up: by default about one in a
# thousand indices makes none; aimed at a rare op (``ops=``), one in twenty makes one.
MAX_SKIPPED_IN_A_ROW = 300


class NothingDrawn(FuzzgenError):
    """The strategy's options admit (almost) no program: a run would draw for ever."""


def example_arguments(strategy) -> dict:
    """The ``@given`` arguments every fuzz property takes: the program and its input seed."""
    return {"program": strategy, "input_seed": st.integers(0, INPUT_SEEDS - 1)}


def program_bytes(seed: int, index: int) -> bytes:
    """The byte string program ``index`` of a run with ``seed`` is interpreted from."""
    digest = hashlib.sha256(f"fuzzgen-fuzz:{seed}:{index}".encode()).digest()
    return random.Random(digest).randbytes(BUFFER_BYTES)


@dataclass(frozen=True)
class Drawn:
    index: int
    program: object  # a fuzzgen `Program`
    input_seed: int
    buffer: bytes


class ProgramDrawer:
    """``draw(i)``: program ``i`` of the run with ``seed`` from ``strategy``, or None where the
    bytes do not make one (too few, or filtered out), an index the run then skips."""

    def __init__(self, strategy, seed: int):
        if not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed={seed!r} must be a non-negative int")
        self.seed = seed
        drawn: list = []

        @settings(database=None, deadline=None, suppress_health_check=list(HealthCheck))
        @given(**example_arguments(strategy))
        def collect(program, input_seed):
            drawn.append((program, input_seed))

        self._drawn = drawn
        self._interpret = collect.hypothesis.fuzz_one_input

    def draw(self, index: int) -> Drawn | None:
        buffer = program_bytes(self.seed, index)
        self._drawn.clear()
        if self._interpret(buffer) is None or not self._drawn:
            return None
        program, input_seed = self._drawn[-1]
        return Drawn(index, program, input_seed, buffer)

    def programs(self, count: int) -> Iterator[Drawn]:
        """Programs 0, 1, ... of the run, lazily, until ``count`` are drawn: an index whose bytes
        make no program is skipped, the same one for every reader of the run."""
        index = drawn_so_far = skipped = 0
        while drawn_so_far < count:
            drawn = self.draw(index)
            index += 1
            if drawn is None:
                skipped += 1
                if skipped == MAX_SKIPPED_IN_A_ROW:
                    raise NothingDrawn(f"programs {index - skipped} to {index - 1} of the run all failed to draw: no "
                                       f"program of the chosen categories calls the --ops named; drop --categories "
                                       f"or name other ops")
                continue
            skipped = 0
            drawn_so_far += 1
            yield drawn
