"""Triage groups findings by signature; the isolated worker turns a segfault or a hang into a
finding and carries on; corpus cases are written once."""
import json
import textwrap

import pytest

from fuzzgen.program.spec import ArgSpec, ProgramSpec
from fuzzgen.trust import grammar_built
from fuzzgen.oracles.verdict import FAILED, Verdict, mismatch
from fuzzgen.fuzz.cases import FINDINGS_FILE, write_case
from fuzzgen.fuzz.driver import failure_type
from fuzzgen.fuzz.isolation import DIED, TIMEOUT, Case, IsolatedChecker
from fuzzgen.fuzz.triage import Signature, Triage, normalize_message


@pytest.mark.parametrize("message, normalized", [
    ("forward: jit output 0 at [1, 2] is 0.5, outside the float64 reference range [0.25, 1e-05] (3 elements)",
     "forward: jit output # at [#] is #, outside the float64 reference range [#, #] (# elements)"),
    ("while compiling: INTERNAL: failed at /src/xla/pass.cc:123 on f32[3,4] in unary_0a1f at 0xdeadbeef",
     "while compiling: INTERNAL: failed at <path> on <type> in <function> at <address>"),
    ("projection 1: reverse mode gives -0.297, central differences inf\ntraceback...",
     "projection #: reverse mode gives #, central differences #"),
])
def test_messages_are_normalized_to_what_one_bug_has_in_common(message, normalized):
    assert normalize_message(message) == normalized


def test_one_bug_found_many_times_is_one_family_with_a_count():
    triage = Triage()
    for index, (value, primitives) in enumerate([(0.5, {"sin", "add"}), (7.25, {"sin", "mul"}), (1.0, {"sin"})]):
        triage.add(mismatch("eager_vs_jit", f"forward: eager output 0 at [{index}] is {value}"), primitives,
                   f"program-{index}", "x" * (10 - index))
    triage.add(mismatch("eager_vs_jit", "forward: eager output 0 at [0] is 0.5"), {"sin"}, "program-0", "x")
    triage.add(Verdict("crash", FAILED, "while compiling: boom", "RuntimeError"), {"cos"}, "program-9", "y")
    first, second = triage.families
    assert (first.oracle, first.count, first.primitives) == ("eager_vs_jit", 3, frozenset({"sin"}))
    assert first.example_source == "x"  # the smallest program seen
    assert (second.oracle, second.count, second.error_type) == ("crash", 1, "RuntimeError")
    assert first.signature.key != second.signature.key and len(first.signature.key) == 16


def test_signatures_are_stable_and_cover_all_four_parts():
    verdict = mismatch("gradient", "projection 0: reverse mode gives 1.5")
    key = Signature.of(verdict, ["sin", "cos"]).key
    assert key == Signature.of(mismatch("gradient", "projection 2: reverse mode gives 3"), ["cos", "sin"]).key
    assert key != Signature.of(verdict, ["sin"]).key
    assert key != Signature.of(mismatch("vmap", verdict.details), ["sin", "cos"]).key


def test_each_oracle_and_error_type_gets_its_own_exception_class():
    eager = failure_type(mismatch("eager_vs_jit", "a"))
    assert eager is failure_type(mismatch("eager_vs_jit", "b"))
    assert eager is not failure_type(mismatch("vmap", "a"))
    assert eager.__name__ == "EagerVsJitMismatchFailure"


def test_corpus_cases_are_appended_once(tmp_path):
    record = {"id": "abc", "python": "def f(a):\n    return a\n", "finding": {"signature": "s1"}}
    write_case(tmp_path, record)
    write_case(tmp_path, record)
    write_case(tmp_path, {**record, "finding": {"signature": "s2"}})
    lines = (tmp_path / FINDINGS_FILE).read_text().splitlines()
    assert [json.loads(line)["finding"]["signature"] for line in lines] == ["s1", "s2"]


FAULTY_PLUGIN = """
import os, time
import jax
from fuzzgen.grammar import Call, Op, plugins, rules
from fuzzgen.grammar.catalog import FLOAT

def unary(name, implementation):
    plugins.register(Op(name=name, render=Call("ext." + name), arity=1, operand_dtypes=(FLOAT,),
                        dtype_rule=rules.same_as_first, shape_rule=rules.same_shape,
                        tags=frozenset({"unary", "elementwise"})), implementation=implementation)

unary("segfault", lambda x: os.abort() if isinstance(x, jax.core.Tracer) else x)
unary("hang", lambda x: time.sleep(3600) if isinstance(x, jax.core.Tracer) else x)
"""


@pytest.mark.slow
def test_a_dying_or_hanging_worker_is_a_finding_and_the_next_case_still_runs(tmp_path, monkeypatch):
    (tmp_path / "faulty_ops.py").write_text(textwrap.dedent(FAULTY_PLUGIN))
    monkeypatch.syspath_prepend(str(tmp_path))
    args = (ArgSpec("a", (2,), "float32"),)

    def case(body, oracles=("crash", "eager_vs_jit")):
        # grammar_built: the plugin's ops are registered in the worker, not in this process
        return Case(ProgramSpec(grammar_built(f"def f(a):\n    return {body}\n", "f"), args), oracles)

    with IsolatedChecker(plugins=("faulty_ops",), timeout=20) as checker:
        died = checker.check(case("ext.segfault(a) + 1.0"))
        (verdict,) = died.verdicts
        assert (verdict.oracle, verdict.error_type) == ("crash", DIED)
        assert "signal 6" in verdict.details
        healthy = checker.check(case("jnp.sin(a)"))
        assert [v.status for v in healthy.verdicts] == ["passed", "passed"]
        checker.timeout = 5
        (hung,) = checker.check(case("ext.hang(a)", oracles=("eager_vs_jit", "crash"))).verdicts
        assert (hung.oracle, hung.error_type) == ("eager_vs_jit", TIMEOUT)  # blamed on the oracle running
        assert "ran past the 5 s timeout in eager_vs_jit" in hung.details
        checker.timeout = 60
        assert checker.check(case("jnp.cos(a)")).failures == ()
        assert checker.restarts == 3
