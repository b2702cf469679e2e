"""Two runs on one --out: the second is refused with one line while the first holds it (issue 18)."""
import os
import subprocess
import sys
import time

import pytest

from fuzzgen.records.atomic import exclusive_run

from helpers import ROOT, run_cli


@pytest.mark.slow  # an end-to-end run (several seconds): the full suite keeps it, the quick loop does not
def test_a_second_run_on_a_held_output_is_refused_with_one_line(tmp_path):
    out = tmp_path / "data.jsonl"
    with exclusive_run(out):
        for flags in ((), ("--resume",), ("--force",)):
            result = run_cli("sample", "--n", 3, "--out", out, "--workers", 0, *flags)
            assert result.returncode == 2, result.stderr
            assert result.stderr.strip() == (f"fuzzgen: error: {out} is being written by another fuzzgen run "
                                             f"(process {os.getpid()}); wait for it to finish, or choose another --out")
        assert not out.exists() and not out.with_name(out.name + ".partial").exists()
    assert run_cli("sample", "--n", 3, "--out", out, "--workers", 0, "--quiet").returncode == 0
    assert not out.with_name(out.name + ".lock").exists()


@pytest.mark.slow
def test_while_one_run_writes_another_is_refused_and_the_first_finishes_correct(tmp_path):
    reference, out = tmp_path / "reference.jsonl", tmp_path / "data.jsonl"
    assert run_cli("sample", "--n", 60, "--seed", 4, "--out", reference, "--workers", 1, "--quiet").returncode == 0
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    first = subprocess.Popen([sys.executable, "-m", "fuzzgen", "sample", "--n", "60", "--seed", "4", "--out", str(out),
                              "--workers", "1", "--quiet"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    while not out.with_name(out.name + ".partial").exists():
        time.sleep(0.1)
    second = run_cli("sample", "--n", 60, "--seed", 4, "--out", out, "--workers", 1, "--resume")
    first.communicate(timeout=300)
    assert second.returncode == 2 and "is being written by another fuzzgen run" in second.stderr
    assert first.returncode == 0 and out.read_bytes() == reference.read_bytes()
