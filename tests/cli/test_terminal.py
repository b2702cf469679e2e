"""Output must not depend on where stdout goes: at a real pseudo-terminal the data is the same bytes."""
import os
import pty
import subprocess
import sys

import pytest

from helpers import ROOT, run_cli


def run_at_terminal(*argv, timeout=300) -> tuple[int, str]:
    """Run `fuzzgen ARGV` with stdout and stderr on a pseudo-terminal; returns (status, output)."""
    leader, follower = pty.openpty()
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "TERM": "xterm-256color"}
    process = subprocess.Popen([sys.executable, "-m", "fuzzgen.cli.main", *map(str, argv)], cwd=ROOT, env=env,
                               stdin=follower, stdout=follower, stderr=follower, close_fds=True)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process has exited
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(timeout=timeout), b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.slow
def test_records_written_at_a_terminal_equal_redirected_ones(tmp_path):
    at_terminal, redirected = tmp_path / "tty.jsonl", tmp_path / "file.jsonl"
    status, output = run_at_terminal("sample", "--n", 10, "--out", at_terminal, "--workers", 1, "--seed", 3)
    assert status == 0, output
    result = run_cli("sample", "--n", 10, "--out", redirected, "--workers", 1, "--seed", 3)
    assert result.returncode == 0, result.stderr
    assert "\\u001b" not in at_terminal.read_text() and "\x1b" not in at_terminal.read_text()
    assert at_terminal.read_bytes() == redirected.read_bytes()
    status, output = run_at_terminal("validate", at_terminal, "--workers", 1, "--roundtrip-every", 0)
    assert status == 0, output


@pytest.mark.locked_jax
def test_a_closed_pipe_ends_the_command_quietly_as_cat_does():
    """`fuzzgen replay corpus/ | head -1`: no message, and the status a shell reports for SIGPIPE."""
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    process = subprocess.Popen([sys.executable, "-m", "fuzzgen.cli.main", "replay", "--diff", "corpus/"], cwd=ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = process.stdout.readline()
    process.stdout.close()  # what `head -1` does after its line
    status = process.wait(timeout=300)
    assert first.startswith(b"same")
    assert process.stderr.read() == b"" and status == 141
