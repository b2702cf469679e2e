"""Tree arguments (`params['w']`): the record schema, the grammar check, and lowering that gives
the IR `jax.jit(f)` gives on the real pytree."""
import jax
import jax.numpy as jnp
import pytest

from fuzzgen.lowering.lower import lower_spec
from fuzzgen.lowering.produce import jaxpr_text
from fuzzgen.program import RandomChooser, build_program
from fuzzgen.program.spec import ArgSpec
from fuzzgen.program.trees import rebuild, tree_problem
from fuzzgen.records.schema import SchemaError, parse_args
from fuzzgen.trust import UntrustedSourceError, check_source
from fuzzgen.trust.sandbox import load_function

LEAVES = [{"name": "a", "shape": [2, 3], "dtype": "float32"},
          {"name": "params", "path": [0, "b"], "shape": [4], "dtype": "float32"},
          {"name": "params", "path": [0, "w"], "shape": [3, 4], "dtype": "float32"}]
SOURCE = "def f(a, params):\n    return jnp.tanh(a @ params[0]['w'] + params[0]['b'])\n"


def tree_programs(count=40):
    found = []
    for seed in range(200):
        program = build_program(RandomChooser(seed), ("layer", "norm", "attention")[seed % 3])
        if any(a.path for a in program.args):
            found.append(program)
        if len(found) == count:
            return found
    raise AssertionError("the model categories drew too few tree programs")


def test_a_record_with_tree_leaves_reads_and_writes_back_unchanged():
    args = parse_args(LEAVES)
    assert [a.to_json() for a in args] == LEAVES
    assert [a.label for a in args] == ["a", "params[0]['b']", "params[0]['w']"]
    assert rebuild(args, [1, 2, 3]) == [1, [{"b": 2, "w": 3}]]


@pytest.mark.parametrize("change, message", [
    (lambda l: l[1].update(path=[]), "non-empty list"),
    (lambda l: l[1].update(path=[0, "not an identifier"]), "identifier keys"),
    (lambda l: l[1].update(path=[0, ["w"]]), "identifier keys"),
    (lambda l: (l[1].update(path=[1, "b"]), l[2].update(path=[1, "w"])), "not 0 to 0"),
    (lambda l: l[2].update(path=[0, "b"]), "repeated"),
    (lambda l: l.reverse(), "tree_leaves order"),
    (lambda l: l.append({"name": "params", "path": [0], "shape": [], "dtype": "float32"}), "is a leaf and holds"),
    (lambda l: l.append({"name": "params", "shape": [], "dtype": "float32"}), "plain argument and a tree"),
    (lambda l: l.insert(2, {"name": "z", "shape": [], "dtype": "float32"}), "next to each other"),
])
def test_a_malformed_tree_is_a_schema_error_naming_it(change, message):
    leaves = [dict(entry) for entry in LEAVES]
    change(leaves)
    with pytest.raises(SchemaError, match=message):
        parse_args(leaves)


def test_the_grammar_check_admits_whole_leaf_paths_only():
    args = parse_args(LEAVES)
    check_source(SOURCE, args, "f")
    refused = {
        "def f(a, params):\n    return jnp.tanh(a @ params[0]['x'])\n": "not allowed|must be integers",
        "def f(a, params):\n    return jnp.sum(params)\n": "leaf by leaf",
        "def f(a, params):\n    return a + params[0]\n": "leaf by leaf",
        "def f(a, params):\n    return a[0]['w']\n": "must be integers",
        "def f(a, params):\n    return params[0]['__class__']\n": "not allowed|must be integers",
    }
    for source, message in refused.items():
        with pytest.raises(UntrustedSourceError, match=message):
            check_source(source, args, "f")


def test_lowering_on_leaves_gives_the_ir_jit_gives_on_the_pytree():
    for program in tree_programs(6):
        spec = program.spec
        function = load_function(spec.source)
        structs = [jax.ShapeDtypeStruct(a.shape, jnp.dtype(a.dtype)) for a in spec.args]
        on_tree = jax.jit(function).trace(*rebuild(spec.args, structs))
        lowered = lower_spec(spec, ("jaxpr", "stablehlo"))
        assert lowered.ir["stablehlo"]["forward"] == on_tree.lower().as_text()
        # as records print it: without the object addresses jax 0.4.3x prints (`jaxpr_text`)
        assert jaxpr_text(on_tree.jaxpr).strip() == lowered.ir["jaxpr"]["forward"].strip()


def test_model_code_draws_each_tree_layout_and_valid_structures():
    programs = tree_programs(40)
    paths = [a.path for p in programs for a in p.args if a.path]
    assert any(isinstance(p[0], int) for p in paths)  # a list of layer dicts
    assert any(len(p) == 2 and isinstance(p[0], str) for p in paths)  # Flax's modules
    assert any(len(p) == 1 for p in paths)  # one dict
    for program in programs:
        assert tree_problem(program.args) is None
        header = next(line for line in program.source.splitlines() if line.startswith(f"def {program.function_name}("))
        assert "params[" in program.source and "params" in header
        check_source(program.source, program.lowered_args, program.function_name)


def test_a_plain_argument_keeps_its_old_json():
    assert ArgSpec("a", (2,), "float32").to_json() == {"name": "a", "shape": [2], "dtype": "float32"}
