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
