"""Shared helpers for tests that run the `fuzzgen` command."""
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_cli(*args, cwd=None, env=None, timeout=600):
    """Run `python -m fuzzgen.cli.main ARGS`; returns the CompletedProcess (text mode)."""
    full_env = {**os.environ, "JAX_PLATFORMS": "cpu", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "fuzzgen.cli.main", *map(str, args)],
        cwd=cwd or ROOT, env=full_env, capture_output=True, text=True, timeout=timeout,
    )


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
