"""Plugins extend the grammar from outside with one Op record each; bad plugins fail clearly."""
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings

from fuzzgen.grammar import OPS, Call, Op, plugins, rules
from fuzzgen.grammar.catalog import FLOAT
from fuzzgen.grammar.plugins import PluginError, load_plugin
from fuzzgen.lowering.lower import lower_program
from fuzzgen.strategies import programs

from helpers import ROOT

EXAMPLES = ROOT / "examples"


def _unary(name, target):
    return Op(name=name, render=Call(target), arity=1, operand_dtypes=(FLOAT,), dtype_rule=rules.same_as_first,
              shape_rule=rules.same_shape, tags=frozenset({"unary", "elementwise"}))


@pytest.fixture
def scoped(monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    monkeypatch.syspath_prepend(str(tmp_path))
    with plugins.scoped_registrations():
        yield tmp_path


def test_the_example_plugin_registers_its_ops_and_they_are_drawn_and_lowered(scoped):
    assert load_plugin("softplus_ops") == ("softplus", "sinc")
    assert load_plugin("softplus_ops") == ("softplus", "sinc")  # loading twice is harmless
    assert OPS["softplus"].render.target == "ext.softplus"
    seen = set()

    @settings(max_examples=40, database=None)
    @given(programs(category="unary", dtypes=("float32",)))
    def lowers(program):
        lower_program(program, ("jaxpr",))
        seen.update(op for op in ("softplus", "sinc") if op in program.ops)

    lowers()
    assert seen, "no drawn program used a plugin op"


def test_scoped_registrations_leave_the_grammar_as_it_was(scoped):
    before = {op.name for op in OPS}
    with plugins.scoped_registrations():
        load_plugin("softplus_ops")
        assert "softplus" in OPS
    assert {op.name for op in OPS} == before and not hasattr(plugins.EXTENSIONS, "softplus")
    assert load_plugin("softplus_ops") == ("softplus", "sinc")  # and it can be loaded again


@pytest.mark.parametrize("call, message", [
    (lambda: plugins.register("sin"), "takes an Op record, got str"),
    (lambda: plugins.register(_unary("mine", "ext.mine")), "needs implementation="),
    (lambda: plugins.register(_unary("mine", "ext.mine-x"), implementation=abs), "ext.<identifier>"),
    (lambda: plugins.register(_unary("mine", "jnp.sin"), implementation=abs), "only for ext.<name> targets"),
    (lambda: plugins.register(_unary("sin", "jnp.sin")), "already registered"),
])
def test_register_refuses_bad_records(scoped, call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()


@pytest.mark.parametrize("source, message", [
    ("import os\n", "registered no ops"),
    ("from fuzzgen.grammar import plugins\nplugins.register('not an op')\n", "TypeError: register() takes an Op"),
    ("raise RuntimeError('broken on purpose')\n", "RuntimeError: broken on purpose"),
    ("import not_installed_anywhere\n", "No module named 'not_installed_anywhere'"),
    ("from fuzzgen.grammar import Call, Op, plugins, rules\nfrom fuzzgen.grammar.catalog import FLOAT\n"
     "plugins.register(Op(name='nope', render=Call('jnp.not_a_function'), arity=1, operand_dtypes=(FLOAT,),"
     " dtype_rule=rules.same_as_first, shape_rule=rules.same_shape, tags=frozenset({'unary'})))\n",
     "jax.numpy does not have"),
])
def test_bad_plugins_raise_one_line_errors(scoped, source, message):
    name = f"bad_plugin_{abs(hash(source))}"  # a fresh module each time: imports are cached
    (scoped / f"{name}.py").write_text(textwrap.dedent(source))
    with pytest.raises(PluginError) as raised:
        load_plugin(name)
    assert message in str(raised.value) and "\n" not in str(raised.value)


def test_a_missing_module_is_named(scoped):
    with pytest.raises(PluginError, match="no module named 'no_such_plugin'"):
        load_plugin("no_such_plugin")


def test_scoped_registrations_put_back_a_replaced_op_in_its_place(scoped):
    order = [op.name for op in OPS]
    sin = OPS["sin"]
    with plugins.scoped_registrations():
        plugins.register(_unary("sin", "jnp.cos"), replace=True)
        assert OPS["sin"].render.target == "jnp.cos"
    assert OPS["sin"] is sin and [op.name for op in OPS] == order  # drawing order unchanged


def _plugin_case(tmp_path) -> Path:
    """A fuzz case whose source calls the example plugin's ``ext.softplus``, as `fuzzgen fuzz` writes it."""
    import json

    from fuzzgen.program.spec import ArgSpec
    from fuzzgen.fuzz.isolation import Case, ir_hashes
    from fuzzgen.trust import check_program

    load_plugin("softplus_ops")
    source = "def f(x):\n    y = ext.softplus(x)\n    return jnp.sin(y)\n"
    args = (ArgSpec("x", (2,), "float32"),)
    hashes = ir_hashes(Case(check_program(source, "f", args), ("gradient",)))
    assert hashes is not None
    record = {"id": "0123456789abcdef", "category": "unary", "function_name": "f", "python": source,
              "args": [a.to_json() for a in args], "ir_sha256": hashes,
              "finding": {"oracle": "gradient", "error": "Mismatch: planted", "input_seed": 0,
                          "signature": "0" * 12, "plugins": ["softplus_ops"]}}
    path = tmp_path / "findings.jsonl"
    path.write_text(json.dumps(record) + "\n")
    return path


@pytest.mark.slow  # an end-to-end run (several seconds): the full suite keeps it, the quick loop does not
@pytest.mark.locked_jax
def test_replay_loads_plugins_named_with_the_flag_and_names_a_missing_one(scoped):
    from helpers import run_cli

    path = _plugin_case(scoped)
    env = {"PYTHONPATH": str(EXAMPLES)}
    without = run_cli("replay", path, env=env)
    assert without.returncode == 1, without.stdout + without.stderr
    assert "rejected" in without.stdout and "replay with --plugin softplus_ops" in without.stdout
    replayed = run_cli("replay", path, "--plugin", "softplus_ops", env=env)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert "1 same" in replayed.stdout
    missing = run_cli("replay", path, "--plugin", "no_such_plugin", env=env)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1, missing.stderr
    assert "no module named 'no_such_plugin'" in missing.stderr


def test_a_case_naming_plugins_badly_is_an_invalid_case(scoped):
    import json

    from fuzzgen.records.jsonl import RecordError
    from fuzzgen.replay import replay_paths

    path = _plugin_case(scoped)
    record = json.loads(path.read_text())
    record["finding"]["plugins"] = ["os; rm -rf /"]
    path.write_text(json.dumps(record) + "\n")
    with pytest.raises(RecordError, match="'finding.plugins' must be a list of module names"):
        replay_paths([path], strict=True)


def test_weight_makes_a_plugin_op_drawn_in_proportion(scoped):
    from fuzzgen.sample import SampleConfig, program_for_index

    def programs_calling(weight, n=150):
        with plugins.scoped_registrations():
            plugins.register(_unary("weighted_sin", "jnp.sin"), weight=weight)
            config = SampleConfig(seed=2, categories=("unary",))
            return sum("weighted_sin" in program_for_index(config, i).ops for i in range(n))

    light, heavy = programs_calling(1), programs_calling(20)
    assert heavy > 3 * max(light, 1), (light, heavy)
    with pytest.raises(ValueError, match="weight=0 must be an int from 1 to 100"):
        plugins.register(_unary("weightless", "jnp.sin"), weight=0)


@pytest.mark.slow
def test_sample_draws_plugin_ops_into_the_dataset_and_says_how_often(scoped, tmp_path):
    import json

    from helpers import run_cli

    env = {"PYTHONPATH": str(EXAMPLES)}
    out = tmp_path / "data.jsonl"
    result = run_cli("sample", "--n", 20, "--plugin", "softplus_ops", "--out", out, "--workers", 1, "--quiet",
                     "--categories", "unary", env=env)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("plugin softplus_ops: op ")]
    assert [line.split(" drawn in ")[0] for line in lines] == ["plugin softplus_ops: op softplus",
                                                               "plugin softplus_ops: op sinc"]
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert all(r["meta"]["plugins"] == ["softplus_ops"] for r in records)
    drawn = sum("ext.softplus(" in r["python"] for r in records)
    assert f"op softplus drawn in {drawn} of 20 records" in result.stdout and drawn > 0
    assert run_cli("validate", out, "--plugin", "softplus_ops", "--workers", 1, "--quiet", env=env).returncode == 0
    without = run_cli("replay", out, env=env)
    assert without.returncode == 1 and "replay with --plugin softplus_ops" in without.stdout
    assert run_cli("replay", out, "--plugin", "softplus_ops", env=env).returncode == 0
