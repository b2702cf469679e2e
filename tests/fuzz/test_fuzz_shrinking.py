"""Planted bugs: the fuzzer finds each within 500 examples, Hypothesis shrinks it and fuzzgen's
reducer reduces it to the planted op alone (one statement, scalars or at most 4 elements per
array), writes a corpus case holding both programs, and the case replays.

The runs aim at the categories made of arithmetic between values (elementwise, scalar_array),
where the planted op, tagged "arith", is drawn most: in the default mix it is one arithmetic op
of many and one program in fifteen holds it, so finding it cost minutes of the suite's time.

Each test writes its buggy op as a plugin module into ``tmp_path`` (so that the isolated worker
process can import it too) and registers it only for the test's duration.
"""
import json
import os
import subprocess
import sys
import math

import libcst as cst
import pytest
from hypothesis.internal.conjecture import engine as hypothesis_engine

from fuzzgen.program.spec import ArgSpec
from fuzzgen.grammar import plugins
from fuzzgen.lowering.lower import lower_spec
from fuzzgen.trust import check_program
from fuzzgen.oracles import Subject, run_oracles
from fuzzgen.fuzz import syntax
from fuzzgen.fuzz.cases import FINDINGS_FILE
from fuzzgen.fuzz.driver import FuzzConfig, run_fuzz
from fuzzgen.fuzz.isolation import Case, ir_hashes
from helpers import ROOT, run_cli

HEADER = """
import jax
import jax.numpy as jnp
from fuzzgen.grammar import Call, Op, plugins, rules
from fuzzgen.grammar.catalog import FLOAT

def binary_op(name, implementation):
    # Tagged "arith": productions draw it wherever they combine two floating values.
    plugins.register(Op(name=name, render=Call("ext." + name), arity=2, operand_dtypes=(FLOAT, FLOAT),
                        dtype_rule=rules.promoted, shape_rule=rules.broadcast,
                        tags=frozenset({"arith", "elementwise"})), implementation=implementation)
"""

WRONG_CUSTOM_JVP = HEADER + """
@jax.custom_jvp
def planted_mul(x, y):
    return x * y

@planted_mul.defjvp
def _planted_mul_jvp(primals, tangents):
    (x, y), (tx, ty) = primals, tangents
    return x * y, tx * y + 2.0 * x * ty  # wrong: d(xy)/dy is x, not 2x

binary_op("planted_mul", planted_mul)
"""

JIT_DIFFERS_FROM_EAGER = HEADER + """
def planted_add(x, y):
    if isinstance(x, jax.core.Tracer) or isinstance(y, jax.core.Tracer):
        return x + y + 0.5  # the traced (jit) path differs from the eager one
    return x + y

binary_op("planted_add", planted_add)
"""


def assert_minimal(program, statements=2):
    assert program.n_statements <= statements, program.source
    assert all(math.prod(a.shape) <= 4 for a in program.args), (program.source, program.args)


def assert_case_replays(corpus, oracle):
    """The stored case re-lowers to its stored hashes, and its oracle fails on it again."""
    lines = (corpus / FINDINGS_FILE).read_text().splitlines()
    assert len(lines) >= 1
    record = json.loads(lines[0])
    assert {"id", "category", "function_name", "python", "args", "ir_sha256", "jax_version", "jaxlib_version",
            "finding"} <= set(record)
    assert {"oracle", "error", "input_seed", "signature"} <= set(record["finding"])
    args = tuple(ArgSpec(a["name"], tuple(a["shape"]), a["dtype"]) for a in record["args"])
    spec = check_program(record["python"], record["function_name"], args)
    lowered = lower_spec(spec)
    case = Case(spec, (oracle,), record["finding"]["input_seed"])
    assert ir_hashes(case) == record["ir_sha256"]
    assert set(lowered.ir) == set(record["ir_sha256"])
    subject = Subject(spec)
    (verdict,) = run_oracles(subject, (record["finding"]["oracle"],), record["finding"]["input_seed"])
    assert verdict.failed, verdict
    return record


ARITHMETIC = ("elementwise", "scalar_array")

FUZZ_IN_A_FRESH_PROCESS = """
import json, sys
sys.path.insert(0, sys.argv[1])
from fuzzgen.fuzz.driver import FuzzConfig, run_fuzz
from fuzzgen.grammar.plugins import load_plugin
load_plugin("planted_custom_jvp")
config = FuzzConfig(max_examples=500, oracles=("gradient", "forward_vs_reverse"), seed=1, corpus=__import__("pathlib").Path(sys.argv[2]),
                    isolate=False, report_multiple_bugs=False,
                    strategy_options={"categories": ("elementwise", "scalar_array")})
report = run_fuzz(config)
(finding,) = report.findings
print(json.dumps({"examples": report.examples, "oracle": finding.verdict.oracle, "source": finding.program.source,
                  "n_statements": finding.program.n_statements, "shapes": [list(a.shape) for a in finding.program.args],
                  "forward_vs_reverse_failed": report.statuses["forward_vs_reverse", "failed"]}))
"""


@pytest.mark.slow
def test_wrong_custom_jvp_is_found_shrunk_and_replayed(plant, tmp_path):
    """Run in a fresh interpreter: in the long-lived test process, state earlier tests leave
    behind changed which way shrinking went (3 statements instead of 2)."""
    plant("planted_custom_jvp", WRONG_CUSTOM_JVP)
    result = subprocess.run([sys.executable, "-c", FUZZ_IN_A_FRESH_PROCESS, str(tmp_path / "plugins"),
                             str(tmp_path / "corpus")], cwd=ROOT, capture_output=True, text=True, timeout=900,
                            env={**os.environ, "JAX_PLATFORMS": "cpu"})
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["examples"] <= 500 + 1000  # found in generation, then shrunk
    assert found["oracle"] == "gradient", found
    assert "ext.planted_mul" in found["source"]
    assert found["n_statements"] == 1 and found["source"].count("(") == 2, found["source"]  # def f(...), op(...)
    assert all(math.prod(shape) <= 4 for shape in found["shapes"]), found
    # A custom_jvp's transpose comes from its own JVP, so forward and reverse mode agree: only
    # the numerical oracle can see this bug.
    assert found["forward_vs_reverse_failed"] == 0
    record = assert_case_replays(tmp_path / "corpus", "gradient")
    assert record["finding"]["oracle"] == "gradient"


@pytest.mark.slow
def test_shrinking_is_not_cut_short_by_hypothesis_wall_clock_limit(plant):
    """Hypothesis stops shrinking after five minutes of wall time; the fuzzer lifts that limit, so
    the minimal program does not depend on how loaded the machine is (the limit, when asked for,
    still applies)."""
    plant("planted_jit", JIT_DIFFERS_FROM_EAGER)
    settings = dict(max_examples=500, oracles=("eager_vs_jit",), seed=3, corpus=None, isolate=False,
                    report_multiple_bugs=False, reduce=False, strategy_options={"categories": ARITHMETIC})  # Hypothesis' own result, unreduced
    limit_before = hypothesis_engine.MAX_SHRINKING_SECONDS
    cut_short = run_fuzz(FuzzConfig(**settings, shrink_seconds=1e-9))
    unlimited = run_fuzz(FuzzConfig(**settings))
    assert hypothesis_engine.MAX_SHRINKING_SECONDS == limit_before  # restored after each run
    (cut_finding,), (finding,) = cut_short.findings, unlimited.findings
    assert_minimal(finding.program)
    assert cut_short.examples == unlimited.examples  # the same programs were judged, the same one failed first
    assert cut_short.shrink_examples < unlimited.shrink_examples  # the limit stopped shrinking early
    assert cut_finding.program.source != finding.program.source, cut_finding.program.source


@pytest.mark.slow
def test_jit_path_differing_from_eager_is_found_through_the_cli(plant, tmp_path):
    """The whole command: plugin loaded in the isolated worker, exit 1, minimal program printed."""
    plant("planted_jit", JIT_DIFFERS_FROM_EAGER, load=False)
    result = run_cli("fuzz", "--plugin", "planted_jit", "--oracles", "eager_vs_jit", "--max-examples", 40,
                     "--categories", ",".join(ARITHMETIC), "--seed", 3, "--corpus", tmp_path / "corpus", "--quiet",
                     env={"PYTHONPATH": str(tmp_path / "plugins")})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "minimal failing program 1 of 1: eager_vs_jit" in result.stdout
    assert "ext.planted_add(" in result.stdout
    plugins.load_plugin("planted_jit")
    record = assert_case_replays(tmp_path / "corpus", "eager_vs_jit")
    assert record["finding"]["plugins"] == ["planted_jit"]
    args = [ArgSpec(a["name"], tuple(a["shape"]), a["dtype"]) for a in record["args"]]
    reduced = cst.parse_module(record["python"]).body[0]
    assert len(reduced.body.body) == 1 and syntax.operator_count(reduced) == 1, record["python"]  # the op alone
    assert "ext.planted_add(" in record["python"]
    assert all(math.prod(a.shape) <= 4 for a in args), args
    if "hypothesis" in record["finding"]:  # Hypothesis' result is kept where the reducer changed it
        assert record["finding"]["hypothesis"]["python"] != record["python"]
    assert "reduced from Hypothesis' " in result.stdout
    findings = tmp_path / "corpus" / FINDINGS_FILE
    assert f"replay it with: fuzzgen replay {findings} --plugin planted_jit" in result.stdout
    replayed = run_cli("replay", findings, "--plugin", "planted_jit", env={"PYTHONPATH": str(tmp_path / "plugins")})
    assert replayed.returncode == 0 and "same" in replayed.stdout, replayed.stdout + replayed.stderr
