"""Shared helpers for tests that run the `fuzzgen` command."""
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args, cwd=None, env=None, timeout=600):
    """Run `python -m fuzzgen.cli.main ARGS`; returns the CompletedProcess (text mode)."""
    full_env = {**os.environ, "JAX_PLATFORMS": "cpu", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "fuzzgen.cli.main", *map(str, args)],
        cwd=cwd or ROOT, env=full_env, capture_output=True, text=True, timeout=timeout,
    )


# A command started at a terminal has Ctrl-C's default handler. pytest-xdist's workers ignore
# SIGINT and a child inherits an ignored signal, so the command is started through this shim,
# which restores the handler and then runs `fuzzgen` as `python -m` would.
AS_FROM_A_TERMINAL = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
                      "sys.argv[0] = 'fuzzgen'; runpy.run_module('fuzzgen.cli.main', run_name='__main__', alter_sys=True)")


def start(*argv):
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    return subprocess.Popen([sys.executable, "-c", AS_FROM_A_TERMINAL, *map(str, argv)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for(condition, timeout=240.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.2)


def group_is_gone(pgid) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


def snapshot(directory: Path) -> dict:
    """Every file under ``directory`` with its bytes, to show a command left them alone."""
    return {p.relative_to(directory): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


# A plugin whose ops crash or hang the process that traces them: for the per-case budget tests.
BUDGET_PLUGIN = """
import os, time
from fuzzgen.grammar import Call, Op, plugins, rules
from fuzzgen.grammar.catalog import FLOAT

def _unary(name):
    return Op(name=name, render=Call("ext." + name), arity=1, operand_dtypes=(FLOAT,), dtype_rule=rules.same_as_first,
              shape_rule=rules.same_shape, tags=frozenset({"unary"}))

plugins.register(_unary("abort_when_traced"), implementation=lambda x: os.abort())
plugins.register(_unary("hang_when_traced"), implementation=lambda x: time.sleep(3600))
"""
