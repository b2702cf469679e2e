"""What a new user hits first, the small things: each as the user meets it."""
import json
import os
import subprocess
import sys

import pytest

from helpers import ROOT, run_cli


def test_python_dash_m_fuzzgen_is_the_command():
    result = subprocess.run([sys.executable, "-m", "fuzzgen", "--version"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("fuzzgen ")


def test_an_unknown_flag_points_to_its_own_commands_help():
    result = run_cli("sample", "--numbr", "3")
    assert result.returncode == 2
    assert result.stderr.strip() == "fuzzgen sample: error: unrecognized arguments: --numbr 3 (see fuzzgen sample --help)"


def test_make_inputs_takes_a_records_args_as_the_readme_says(small_sample):
    from fuzzgen.lowering.execution import make_inputs
    from fuzzgen.records.schema import parse_args

    record = json.loads(small_sample.read_text().splitlines()[0])
    from_json = make_inputs(record["args"], 7)
    from_specs = make_inputs(parse_args(record["args"]), 7)
    assert [a.tobytes() for a in from_json] == [a.tobytes() for a in from_specs]
    assert [list(a.shape) for a in from_json] == [a["shape"] for a in record["args"]]


@pytest.mark.slow  # an end-to-end run (several seconds): the full suite keeps it, the quick loop does not
def test_fuzz_says_what_it_is_doing_before_the_first_program_is_judged(tmp_path):
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    process = subprocess.Popen([sys.executable, "-m", "fuzzgen", "fuzz", "--max-examples", "2", "--oracles", "crash",
                                "--corpus", str(tmp_path / "findings")], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = process.stderr.readline()  # arrives before the worker has imported JAX
    process.communicate(timeout=300)
    assert first.startswith("fuzzing 2 programs (seed 0) with crash on "), first
    assert "starting the oracle workers" in first, first
    assert process.returncode == 0
