"""Planted faults: the test seam for crash isolation, kill -9 and Ray retries. One home, off by default.

The tests of fault isolation need a worker that really aborts, hangs, or dies mid-shard; no
monkeypatch reaches a spawned worker, so they set an environment variable that the worker
reads once at start. Unset (always, outside the tests) nothing here does anything.

- ``FUZZGEN_TEST_FAULTS="crash:I,hang:J"``: the sample worker aborts at index I, hangs at J.
- ``FUZZGEN_TEST_RAY_KILL="SHARD:AFTER:MARKER"``: the Ray worker running shard SHARD exits after
  AFTER samples, once: the attempt that creates the file MARKER dies, later attempts do not.
"""
from __future__ import annotations

import os
import time

SAMPLE_FAULTS_ENV = "FUZZGEN_TEST_FAULTS"
RAY_KILL_ENV = "FUZZGEN_TEST_RAY_KILL"
ENVIRONMENT = (SAMPLE_FAULTS_ENV, RAY_KILL_ENV)  # read by the Ray driver, applied on its workers


def planted() -> dict[int, str]:
    """index -> "crash" or "hang", from the environment (empty unless a test set it)."""
    faults = {}
    for item in filter(None, os.environ.get(SAMPLE_FAULTS_ENV, "").split(",")):
        kind, _, index = item.partition(":")
        faults[int(index)] = kind
    return faults


def strike(faults: dict[int, str], index: int) -> None:
    """Abort or hang here if a fault is planted at ``index``."""
    fault = faults.get(index)
    if fault == "crash":
        os.abort()
    if fault == "hang":
        while True:
            time.sleep(1)


def from_environment() -> dict[str, str]:
    """The planted-fault variables the driver has, to hand to Ray workers with each task."""
    return {name: os.environ[name] for name in ENVIRONMENT if name in os.environ}


def install(hooks: dict[str, str]) -> None:
    """On a Ray worker: mirror the driver's sample faults for this task (and only those)."""
    if SAMPLE_FAULTS_ENV in hooks:
        os.environ[SAMPLE_FAULTS_ENV] = hooks[SAMPLE_FAULTS_ENV]
    else:
        os.environ.pop(SAMPLE_FAULTS_ENV, None)


def maybe_die(hooks: dict[str, str], shard: int, done: int) -> None:
    """Exit abruptly after ``done`` samples of ``shard`` if the Ray kill fault says so, once."""
    if RAY_KILL_ENV not in hooks:
        return
    wanted_shard, after, marker = hooks[RAY_KILL_ENV].split(":", 2)
    if int(wanted_shard) != shard or int(after) != done:
        return
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return  # a later attempt: this time the shard runs to the end
    os._exit(1)
