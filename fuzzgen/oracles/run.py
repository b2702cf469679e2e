"""`run_oracles`: run a chosen list of oracles on one program. An oracle that raises where its
checked code should not is itself a finding (the crash oracle's job is to say where)."""
from __future__ import annotations

from .consistency import eager_vs_jit, export_round_trip, optimized_vs_not, vmap_vs_loop
from .crash import crash
from .gradients import forward_vs_reverse, gradient
from .reference import reference_oracle
from .subject import Subject
from .names import ORACLE_NAMES
from .verdict import FAILED, MISMATCH, PASSED, SKIPPED, Verdict, raised

ORACLES = {
    "crash": crash,
    "eager_vs_jit": eager_vs_jit,
    "gradient": gradient,
    "forward_vs_reverse": forward_vs_reverse,
    "vmap": vmap_vs_loop,
    "export": export_round_trip,
    "xla_opt": optimized_vs_not,
    "reference": reference_oracle,
}
assert tuple(ORACLES) == ORACLE_NAMES, "fuzzgen.oracles.ORACLE_NAMES must list ORACLES in order"


def run_oracles(subject: Subject, names=ORACLE_NAMES, seed: int = 0, on_start=None) -> list[Verdict]:
    """Run ``names`` in order on ``subject``; ``on_start(name)`` is called before each (so that a
    process that dies inside one can be blamed on it)."""
    unknown = [n for n in names if n not in ORACLES]
    if unknown:
        raise ValueError(f"unknown oracles {unknown}; choose from {', '.join(ORACLE_NAMES)}")
    verdicts = []
    for name in names:
        if on_start is not None:
            on_start(name)
        try:
            verdicts.append(ORACLES[name](subject, seed))
        except Exception as error:  # noqa: BLE001 - JAX raising inside an oracle is a finding
            verdicts.append(raised(name, error, "running the oracle"))
    return verdicts


__all__ = [
    "FAILED", "MISMATCH", "ORACLES", "ORACLE_NAMES", "PASSED", "SKIPPED", "Subject", "Verdict", "run_oracles",
]
