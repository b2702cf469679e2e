"""The crash oracle: tracing, lowering, compiling or running a valid program must not raise.

Every grammar program is valid JAX by construction, so any exception is a finding. The details
say which stage raised, and whether JAX blamed the program (a TypeError or ValueError while
tracing: a fuzzgen grammar bug) or itself (anything else: a JAX/XLA bug). A segfault or hang is
caught one level up, by the process that runs the oracles.
"""
from __future__ import annotations

import jax

from .subject import Subject
from .verdict import passed, raised

USER_ERRORS = (TypeError, ValueError, IndexError)


def crash(subject: Subject, seed: int):
    inputs = subject.inputs(seed)
    for direction, function in subject.directions():
        stage = f"tracing the {direction} function"
        try:
            traced = jax.jit(function).trace(*subject.abstract_inputs)
            stage = f"lowering the {direction} function"
            lowered = traced.lower()
            stage = f"compiling the {direction} function"
            subject.cache[direction] = compiled = lowered.compile()  # shared with the other oracles
            stage = f"running the compiled {direction} function"
            jax.block_until_ready(compiled(*inputs))
        except Exception as error:  # noqa: BLE001 - every exception is the finding
            blame = " (JAX calls it a user error: a fuzzgen grammar bug?)" if (
                stage.startswith("tracing") and isinstance(error, USER_ERRORS)) else ""
            return raised("crash", error, stage + blame)
    return passed("crash")
