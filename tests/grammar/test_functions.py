"""Helpers, keyword-only numbers and flags (issue 14's Python structure): model programs define
``def layer_norm(x, scale, shift, *, eps=1e-05)`` or a residual ``block`` before their own
function and call them, one call per layer; a norm takes ``eps`` as its own keyword; norms and
attention take flags (``*, use_bias=True``, ``causal=True``) that an ``if`` tests. Each is real:
the keyword and the flags flow into the result, each call uses its own layer's parameters, the
flags' defaults decide what is traced, and renamed copies hash alike."""
import ast

import jax.numpy as jnp
import numpy as np
import pytest

from fuzzgen.lowering.execution import make_inputs
from fuzzgen.program.canonical import canonical_hash
from fuzzgen.program.flags import specialized
from fuzzgen.program.trees import rebuild
from fuzzgen.sample.draw import SampleConfig, program_for_index
from fuzzgen.trust import check_source
from fuzzgen.trust.sandbox import load_function

CONFIG = SampleConfig(seed=3, categories=("layer", "norm", "attention"), weights=None)


@pytest.fixture(scope="module")
def structured():
    """Model programs that define helpers or take keyword-only numbers or flags, of 360 drawn."""
    programs = [program_for_index(CONFIG, i) for i in range(360)]
    return [p for p in programs if p.helpers or p.function.params.kwonly_params]


def _inputs(program):
    """Inputs as JAX arrays (a NumPy array's own ``x.mean()`` would run NumPy, not JAX), in trees."""
    return rebuild(program.args, [jnp.asarray(v) for v in make_inputs(program.args, 0)])


def _calls(program) -> dict[str, list[ast.Call]]:
    tree = ast.parse(program.source)
    calls = {}
    for node in ast.walk(tree.body[-1]):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id != "range":
            calls.setdefault(node.func.id, []).append(node)
    return calls


def test_helpers_are_drawn_and_every_one_is_called(structured):
    with_helpers = [p for p in structured if p.helpers]
    names = {h.name.value for p in with_helpers for h in p.helpers}
    assert {"layer_norm", "rms_norm"} <= names and names & {"block", "dense"}, names
    assert any(len(p.helpers) == 2 for p in with_helpers)  # a block and a norm, in one program
    for program in with_helpers:
        calls = _calls(program)
        assert {h.name.value for h in program.helpers} == set(calls), program.source
        check_source(program.source, program.args, program.function_name)


def test_a_stacked_block_is_called_once_per_layer_with_that_layers_parameters(structured):
    stacked = [p for p in structured if any(h.name.value in ("block", "dense") for h in p.helpers)]
    assert stacked
    for program in stacked:
        (name,) = [h.name.value for h in program.helpers if h.name.value in ("block", "dense")]
        calls = _calls(program)[name]
        assert len(calls) >= 1
        weights = [ast.unparse(call.args[1]) for call in calls]
        assert len(set(weights)) == len(weights), program.source  # each layer its own weight
    assert any(len(_calls(p)[h.name.value]) >= 2 for p in stacked for h in p.helpers), "no helper was reused"


def test_a_keyword_passed_to_a_helper_differs_from_its_default_and_changes_the_result(structured):
    """``layer_norm(x, g, b, eps=1e-06)``: the call's eps replaces the default (the source without
    the keyword is another program); run with a large eps passed instead, the result differs."""
    overridden = [p for p in structured if any(k.arg == "eps" for calls in _calls(p).values() for c in calls
                                                for k in c.keywords)]
    assert overridden
    changed = []
    for program in overridden[:5]:
        inputs = _inputs(program)
        function = load_function(program.spec.source)
        *helpers, own = program.source.split("\n\n\n")
        with_default = "\n\n\n".join(helpers + [own.replace(", eps=1e-05)", ")").replace(", eps=1e-06)", ")")])
        assert with_default != program.source
        larger = own.replace(", eps=1e-05)", ", eps=10.0)").replace(", eps=1e-06)", ", eps=10.0)")
        other = load_function(check_source("\n\n\n".join(helpers + [larger]), program.args, program.function_name))
        a, b = (_values(f(*inputs)) for f in (function, other))
        changed.append(not np.allclose(a, b, equal_nan=True))
    # a norm over a single feature (x - mean is 0), or one after a relu that zeroed it, ignores
    # eps in one program; in most the call's eps shows
    assert sum(changed) > len(changed) / 2, changed


def test_the_programs_own_keyword_flows_into_its_result(structured):
    keyword = [p for p in structured if any(k.name.value == "eps" for k in p.function.params.kwonly_params)]
    assert keyword
    for program in keyword[:5]:
        function = load_function(program.spec.source)
        inputs = _inputs(program)
        default = _values(function(*inputs))
        larger = _values(function(*inputs, eps=10.0))
        assert not np.allclose(default, larger), program.source


def test_renamed_helpers_hash_alike_and_changed_ones_do_not(structured):
    program = next(p for p in structured if p.helpers)
    name = program.helpers[0].name.value
    renamed = program.source.replace(f"{name}(", "my_helper(")
    assert renamed != program.source
    args = program.args
    same = canonical_hash(check_source(renamed, args, program.function_name), args)
    assert same == canonical_hash(program.spec.source, args)
    changed = program.source.replace("axis=-1", "axis=0", 1)
    if changed != program.source:
        try:
            other = check_source(changed, args, program.function_name)
        except Exception:  # noqa: BLE001 - a change the checker refuses proves nothing here
            return
        assert canonical_hash(other, args) != canonical_hash(program.spec.source, args)


def test_every_keyword_only_number_is_read_where_it_is_defined(structured):
    """A keyword no body reads would be noise a model learns to copy: each is used."""
    for program in structured:
        for definition in ast.parse(program.source).body:
            read = {n.id for n in ast.walk(definition) if isinstance(n, ast.Name)}
            for keyword in definition.args.kwonlyargs:
                assert keyword.arg in read, program.source


def _flags(program) -> dict[str, bool]:
    return {p.name.value: p.default.value == "True" for p in program.function.params.kwonly_params
            if p.default.value in ("True", "False")}


def test_flags_are_drawn_with_both_defaults_and_each_guards_an_if(structured):
    flagged = [p for p in structured if _flags(p)]
    names = {name for p in flagged for name in _flags(p)}
    assert {"use_scale", "use_bias", "causal"} <= names, names
    defaults = [value for p in flagged for value in _flags(p).values()]
    assert True in defaults and False in defaults
    for program in flagged:
        tests = [s.test.value for s in program.function.body.body if hasattr(s, "test")]
        assert sorted(tests) == sorted(_flags(program)), program.source


def test_a_flags_default_decides_what_is_traced_and_a_caller_may_flip_it(structured):
    """The IR holds the body of an ``if`` exactly where its flag defaults to True; passing the
    other value changes the result; the specialized source (ifs resolved) computes the same."""
    flagged = [p for p in structured if _flags(p)]
    for program in flagged[:5]:
        function = load_function(program.spec.source)
        inputs = _inputs(program)
        default = _values(function(*inputs))
        *helpers, _ = program.source.split("\n\n\n")
        resolved = "\n\n\n".join(helpers + [ast.unparse(ast.parse(
            __import__("libcst").Module(body=[specialized(program.function)]).code))])
        assert "    if " not in resolved
        plain = load_function(check_source(resolved, program.args, program.function_name))
        np.testing.assert_array_equal(_values(plain(*inputs)), default)
        for name, value in _flags(program).items():
            flipped = _values(function(*inputs, **{name: not value}))
            assert not np.array_equal(flipped, default, equal_nan=True), (name, program.source)


def _values(result) -> np.ndarray:
    """Every value of a result (one array, or a tree result's leaves) as one float64 vector."""
    import jax

    return np.concatenate([np.ravel(np.asarray(leaf, np.float64)) for leaf in jax.tree_util.tree_leaves(result)])


@pytest.fixture(scope="module")
def looped():
    config = SampleConfig(seed=0, categories=("layer",), weights=None)
    programs = [program_for_index(config, i) for i in range(900)]
    return [p for p in programs if "    for " in p.source]


def test_stacked_layers_loop_over_their_positions_in_a_list_of_layer_dicts(looped):
    """``for i in range(1, 3): h = block(h, params[i]['w'], params[i]['b'])``: every position the
    loop takes holds each leaf the body reads; ``for layer in layers: h = block(h, layer['w'],
    layer['b'])``: the list holds exactly the leaves the body reads, at every position; the
    jaxpr is the unrolled program's."""
    from fuzzgen.lowering.lower import lower_spec

    assert len(looped) >= 5
    forms = set()
    chosen = [p for p in looped if " in range(" in p.source][:5] + [p for p in looped if " in layers:" in p.source][:5]
    for program in chosen:
        loop = next(s for s in program.function.body.body if type(s).__name__ == "For")
        if type(loop.iter).__name__ == "Name":  # `for layer in layers:` walks a list tree argument whole
            tree, variable = loop.iter.value, loop.target.value
            positions = range(len({a.path[0] for a in program.args if a.name == tree}))
            read = {node.slice.value for node in ast.walk(ast.parse(program.source)) if isinstance(node, ast.Subscript)
                    and isinstance(node.value, ast.Name) and node.value.id == variable}
            paths = {a.path for a in program.args if a.name == tree}
            assert paths == {(k, key) for k in positions for key in read}, program.source  # nothing else in it
        else:
            tree = "params"
            bounds = [int(a.value.value) for a in loop.iter.args]
            positions = range(*bounds) if len(bounds) == 2 else range(bounds[0])
            read = {key for node in ast.walk(ast.parse(program.source)) if isinstance(node, ast.Subscript)
                    and isinstance(node.value, ast.Subscript) and isinstance(node.value.slice, ast.Name)
                    for key in [node.slice.value]}
            paths = {a.path for a in program.args if a.path}
        forms.add(type(loop.iter).__name__)
        assert read and all((k, key) in paths for k in positions for key in read), program.source
        *helpers, _ = program.source.split("\n\n\n")
        unrolled = "\n\n\n".join(helpers + [__import__("libcst").Module(body=[specialized(
            program.function, frozenset(h.name.value for h in program.helpers), program.args)]).code.strip() + "\n"])
        assert "    for " not in unrolled
        spec = program.spec
        other = type(spec)(check_source(unrolled, program.lowered_args, program.function_name), spec.args)
        assert lower_spec(spec, ("jaxpr",)).ir["jaxpr"] == lower_spec(other, ("jaxpr",)).ir["jaxpr"]
    assert forms == {"Call", "Name"}, forms  # `range(...)` and a list tree, both


def test_an_if_on_an_arguments_rank_is_traced_exactly_where_the_rank_passes(looped_and_guarded):
    """``if x.ndim > 2: x = x.reshape(-1, x.shape[-1])`` and ``if x.ndim == 1: x =
    jnp.expand_dims(x, 0)``: drawn on inputs of either rank, the block is in the jaxpr exactly
    where the test passes, and the source specialized by the arguments' ranks (no ``if``) has
    the same jaxpr."""
    from fuzzgen.lowering.lower import lower_spec

    outcomes = set()
    for program in looped_and_guarded:
        guard = next(s for s in program.function.body.body if type(s).__name__ == "If")
        name = guard.test.left.value.value
        (rank,) = {len(a.shape) for a in program.args if a.name == name}
        folds = type(guard.test.comparisons[0].operator).__name__ == "GreaterThan"  # `> 2`, else `== 1`
        taken = rank > 2 if folds else rank == 1
        outcomes.add(taken)
        if taken:  # the block's own primitive is traced
            jaxpr = lower_spec(program.spec, ("jaxpr",)).ir["jaxpr"]["forward"]
            assert "reshape" in jaxpr or "broadcast_in_dim" in jaxpr, program.source
        resolved = __import__("libcst").Module(body=[specialized(program.function, args=program.args)]).code
        assert "    if " not in resolved and (f"{name}_2 = " in resolved) == taken, resolved
        spec = program.spec
        other = type(spec)(check_source(resolved, program.lowered_args, program.function_name), spec.args)
        assert lower_spec(spec, ("jaxpr",)).ir["jaxpr"] == lower_spec(other, ("jaxpr",)).ir["jaxpr"]
    assert outcomes == {True, False}


@pytest.fixture(scope="module")
def looped_and_guarded():
    config = SampleConfig(seed=0, categories=("layer",), weights=None)
    programs = (program_for_index(config, i) for i in range(400))
    return [p for p in programs if ".ndim" in p.source and "    if " in p.source and not p.helpers][:8]
