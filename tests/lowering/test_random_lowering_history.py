"""A program that calls jax.random lowers to the same HLO whatever its worker lowered before.

JAX caches the traces of its jitted random helpers with the locations of the program that traced
them first, and XLA names HLO parameters after those locations; `settle_random_lowerings`
starts every such program from empty caches. Each order runs in a fresh process, as a worker
would."""
import json
import subprocess
import sys

from helpers import ROOT

SCRIPT = """
import hashlib, json, sys
from fuzzgen.grammar import CATEGORY_NAMES
from fuzzgen.sample.draw import SampleConfig, program_for_index
from fuzzgen.lowering.lower import lower_program
config = SampleConfig(seed=0, categories=CATEGORY_NAMES)
texts = {}
for index in json.loads(sys.argv[1]):
    program = program_for_index(config, index)
    assert "jax.random." in program.source, program.source
    texts[index] = lower_program(program, ("hlo",)).ir["hlo"]
print(json.dumps(texts))
"""


def _hlo_in_fresh_process(order):
    result = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(order)], capture_output=True, text=True,
                            cwd=ROOT, env={"JAX_PLATFORMS": "cpu", "PATH": "/usr/bin:/bin"}, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_random_programs_hlo_does_not_depend_on_what_was_lowered_before():
    # Seed 0's records 85 and 102 both draw jax.random; before the fix, 102's HLO changed when 85
    # had been lowered first in the same process.
    alone = _hlo_in_fresh_process([102])
    after = _hlo_in_fresh_process([85, 102])
    assert alone["102"] == after["102"]
