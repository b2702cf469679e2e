"""The reducer after Hypothesis: planted bugs in one op, hidden in bloated programs, reduce to that
op alone applied to arguments; every step keeps the failure's family; reduced cases replay.

Each planted op is the identity with one rule wrong (as in bench/oracle_sensitivity.py): the
value under jit, the JVP, the transpose or the batching rule.
"""
import json
import math
import re

import jax
import jax.numpy as jnp
import libcst as cst
import pytest
from jax.extend.core import Primitive
from jax.interpreters import ad, batching, mlir

from fuzzgen.grammar import Call, Op, plugins, rules
from fuzzgen.grammar.catalog import FLOAT
from fuzzgen.program.spec import ArgSpec
from fuzzgen.fuzz import syntax
from fuzzgen.fuzz.cases import case_record
from fuzzgen.fuzz.isolation import Case, InProcessChecker, ir_hashes
from fuzzgen.fuzz.reduce import Reducer, Reducible, abstract_types
from fuzzgen.fuzz.triage import Signature
from fuzzgen.oracles import Subject, run_oracles
from fuzzgen.oracles.verdict import Verdict
from fuzzgen.records.corpus import parse_case

EPS = 0.5


def _scaled(value):
    return (value.astype(jnp.float32) * (1.0 + EPS)).astype(value.dtype)


def planted(rule: str):
    """The identity with ``rule`` wrong by a factor 1 + EPS."""
    if rule == "jit":
        return lambda x: _scaled(x) if isinstance(x, jax.core.Tracer) else x
    primitive = Primitive(f"planted_{rule}_rule")
    primitive.def_impl(lambda x: x)
    primitive.def_abstract_eval(lambda aval: aval)
    mlir.register_lowering(primitive, mlir.lower_fun(lambda x: x, multiple_results=False))
    if rule == "jvp":
        ad.defjvp(primitive, lambda tangent, x: _scaled(tangent))
    else:
        ad.deflinear2(primitive, lambda ct, x: [_scaled(ct) if rule == "transpose" else primitive.bind(ct)])

    def batched(args, dims):
        out = primitive.bind(args[0])
        return (_scaled(out) if rule == "batching" else out), dims[0]

    batching.primitive_batchers[primitive] = batched
    return primitive.bind


ORACLE_FOR_RULE = {"jit": "eager_vs_jit", "jvp": "gradient", "transpose": "forward_vs_reverse",
                   "batching": "vmap"}

BLOATED = '''def multi_statement_0000(a, b, c):
    v0 = jnp.sin(a) * b
    v1 = ext.planted(jnp.tanh(v0) + 1.0)
    v2 = jnp.cos(v1) - c
    return v2 * (v0 + 2.0)
'''
BLOATED_ARGS = (ArgSpec("a", (3, 4), "float32"), ArgSpec("b", (4,), "float32"), ArgSpec("c", (3, 1), "float16"))


@pytest.fixture
def planted_op():
    def register(rule):
        op = Op(name="planted", render=Call("ext.planted"), arity=1, operand_dtypes=(FLOAT,),
                dtype_rule=rules.same_as_first, shape_rule=rules.same_shape, tags=frozenset({"elementwise"}))
        plugins.register(op, implementation=planted(rule))

    with plugins.scoped_registrations():
        yield register


def reducible(source=BLOATED, args=BLOATED_ARGS, **batching_options) -> Reducible:
    return Reducible("multi_statement", cst.parse_module(source).body[0], args, **batching_options)


def first_failure(checker, program, oracle, input_seed=1):
    result = checker.check(Case(program.spec, (oracle,), input_seed))
    assert result.failures, (program.source, result.verdicts)
    return result.failures[0]


@pytest.mark.parametrize("rule", list(ORACLE_FOR_RULE))
def test_a_planted_bug_reduces_to_the_op_alone_and_the_case_replays(planted_op, rule, tmp_path):
    planted_op(rule)
    oracle = ORACLE_FOR_RULE[rule]
    checker = InProcessChecker()
    start = reducible()
    verdict = first_failure(checker, start, oracle)
    reduction = Reducer(checker, verdict, 1).reduce(start)
    reduced = reduction.program
    assert reduced.source == "def multi_statement_0000(a):\n    return ext.planted(a)\n", reduced.source
    assert all(math.prod(a.shape) <= 1 and a.dtype == "float32" for a in reduced.lowered_args), reduced.args
    assert reduction.verdict.oracle == oracle and reduction.steps >= 5
    # the corpus case keeps both programs, and replays: the oracle fails on it again
    case = Case(reduced.spec, (oracle,), 1)
    signature = Signature.of(reduction.verdict, reduction.result.primitives)
    record = case_record(reduced, case, reduction.verdict, signature, ir_hashes(case), shrunk=start)
    assert record["finding"]["hypothesis"]["python"] == BLOATED
    stored = parse_case(tmp_path / "findings.jsonl", 1, json.loads(json.dumps(record)))
    spec = stored.checked_spec()
    assert ir_hashes(Case(spec, (oracle,))) == record["ir_sha256"]
    (again,) = run_oracles(Subject(spec), (oracle,), record["finding"]["input_seed"])
    assert again.failed, again


def test_every_kept_step_fails_with_the_same_family_and_is_smaller(planted_op):
    planted_op("jvp")
    checker = InProcessChecker()
    kept = []

    class Watching(InProcessChecker):
        def check(self, case):
            result = super().check(case)
            kept.append((case.spec.text, result))
            return result

    start = reducible()
    verdict = first_failure(checker, start, "gradient")
    reducer = Reducer(Watching(), verdict, 1)
    reduction = reducer.reduce(start)
    failing = [text for text, result in kept if any(v.failed for v in result.verdicts)]
    assert reduction.program.source in failing
    assert reduction.program.measure < start.measure
    # 1-minimal: no single candidate of the result is smaller and still fails the same way
    for candidate in reducer.candidates(reduction.program):
        if candidate.measure < reduction.program.measure and reducer._traces(candidate):
            assert reducer._fails(candidate) is None, candidate.source


def test_a_binary_op_keeps_two_operands_of_one_argument(planted_op):
    """The wrong value needs both operands traced: the op keeps two operands, and since one
    argument read twice is smaller than two, that is where it ends."""
    plugins.register(Op(name="planted_add", render=Call("ext.planted_add"), arity=2, operand_dtypes=(FLOAT, FLOAT),
                        dtype_rule=rules.promoted, shape_rule=rules.broadcast, tags=frozenset({"arith"})),
                     implementation=lambda x, y: x + y + (0.5 if isinstance(x, jax.core.Tracer) and
                                                         isinstance(y, jax.core.Tracer) else 0.0))
    checker = InProcessChecker()
    source = BLOATED.replace("ext.planted(jnp.tanh(v0) + 1.0)", "ext.planted_add(jnp.tanh(v0), a)")
    start = reducible(source)
    verdict = first_failure(checker, start, "eager_vs_jit")
    reduced = Reducer(checker, verdict, 1).reduce(start).program
    assert reduced.source == "def multi_statement_0000(a):\n    return ext.planted_add(a, a)\n", reduced.source


def test_a_vmap_program_is_unbatched_when_the_bug_does_not_need_vmap(planted_op):
    planted_op("jvp")
    checker = InProcessChecker()
    start = reducible(vmap_axes=(0, None, 1), axis_size=3)
    assert [a.shape for a in start.lowered_args] == [(3, 3, 4), (4,), (3, 3, 1)]
    verdict = first_failure(checker, start, "gradient")
    reduced = Reducer(checker, verdict, 1).reduce(start).program
    assert reduced.vmap_axes is None and reduced.source.endswith("return ext.planted(a)\n"), reduced


def test_edits_keep_python_precedence():
    function = cst.parse_module("def f(a, b):\n    v0 = (a + b) * a\n    return -v0\n").body[0]
    where = syntax.layout(function)
    product = function.body.body[0].body[0].value
    total = product.left
    # replacing `(a + b) * a` by its operand `a + b` at the top of an assignment needs no parentheses
    assert "v0 = a + b\n" in syntax.render(syntax.replaced(function, where, product, total))
    # inlining it into `-v0` does
    inlined = syntax.inlined(function, where, function.body.body[0], where.uses["v0"][0])
    assert inlined.body.body[0].body[0].value.expression.lpar
    assert syntax.render(inlined).endswith("return -((a + b) * a)\n")


def test_abstract_types_names_shapes_dtypes_and_weak_types():
    from fuzzgen.trust import check_program

    spec = check_program("def f(a, b):\n    return jnp.sin(a) * b\n", "f",
                         (ArgSpec("a", (2, 3), "float32"), ArgSpec("b", (3,), "bfloat16")))
    assert abstract_types(spec.source, spec.args) == ((2, 3), "float32", False)
    bad = check_program("def f(a, b):\n    return a @ b\n", "f", (ArgSpec("a", (2,), "float32"), ArgSpec("b", (3,), "float32")))
    assert abstract_types(bad.source, bad.args).startswith("TypeError")


def test_a_vmap_case_stores_its_batching_and_replays_under_vmap(planted_op, tmp_path):
    """A corpus case is the function that failed: a vmap program keeps ``vmap`` (and the lowered,
    batched argument specs), so replay judges the same function."""
    planted_op("batching")
    program = reducible(vmap_axes=(0, None, 1), axis_size=3)
    case = Case(program.spec, ("vmap",), 1)
    verdict = Verdict("vmap", "failed", "planted", "AssertionError")
    record = case_record(program, case, verdict, Signature.of(verdict, ()), ir_hashes(case))
    assert record["vmap"] == {"in_axes": [0, None, 1], "axis_size": 3}
    assert [a["shape"] for a in record["args"]] == [[3, 3, 4], [4], [3, 3, 1]]
    stored = parse_case(tmp_path / "findings.jsonl", 1, json.loads(json.dumps(record)))
    assert stored.checked_spec() == program.spec
    assert ir_hashes(Case(stored.checked_spec(), ("vmap",))) == record["ir_sha256"]


def test_the_progress_line_gives_the_rate_and_an_estimate_only_while_one_makes_sense():
    from fuzzgen.fuzz.driver import progress_line

    assert progress_line(30, 100, 0, 15.0) == ("30 programs judged (2.0/s), about 35 s to go if nothing fails, "
                                               "0 kinds of failure so far (15 s)")
    assert progress_line(130, 100, 1, 65.0) == "130 programs judged (2.0/s), 1 kinds of failure so far (65 s)"
    assert progress_line(1, 100, 0, 0.0) == "1 programs judged (0.0/s), 0 kinds of failure so far (0 s)"


def test_the_time_bound_keeps_the_smallest_failure_found_so_far(planted_op):
    """A finding that kills its worker costs a restart per candidate: past ``max_seconds`` the
    reducer stops and returns what it has (here, with no time at all, the start)."""
    planted_op("jit")
    checker = InProcessChecker()
    start = reducible()
    verdict = first_failure(checker, start, "eager_vs_jit")
    reduction = Reducer(checker, verdict, 1, max_seconds=0.0).reduce(start)
    assert reduction.program.source == start.source and reduction.steps == 0


REAL_SPELLINGS = '''def multi_statement_0000(a, b):
    v0 = jax.nn.gelu(a.sum(axis=-1, keepdims=True)) / a.shape[-1]
    v1 = ext.planted(v0.T[..., None].astype(jnp.float32) * 2.0)
    v2 = v1.at[0, 0].set(jnp.zeros(v1.shape, dtype=v1.dtype)[0, 0])
    return v2 + b
'''


def test_methods_subscripts_and_type_facts_reduce_like_any_value(planted_op):
    """Receivers of methods and of ``.at[...]`` are reads of their names; ``x.sum`` (the call's
    function), ``x.shape[k]`` and ``x.dtype`` are not values the reducer may replace."""
    where = syntax.layout(reducible(REAL_SPELLINGS, (ArgSpec("a", (3, 4), "float32"),
                                                     ArgSpec("b", (), "float32"))).function)
    shown = [cst.Module([]).code_for_node(v) for v in where.values]
    assert not any(s.endswith((".sum", ".astype", ".shape", ".dtype", ".at", ".set")) or re.fullmatch(
        r"\w+\.(shape\[-?\d+\]|at\[0, 0\])", s) for s in shown), shown
    assert "v0.T" in shown and "v0.T[..., None]" in shown
    assert len(where.uses["a"]) == 2 and len(where.uses["v1"]) == 3
    planted_op("jvp")
    checker = InProcessChecker()
    start = reducible(REAL_SPELLINGS, (ArgSpec("a", (3, 4), "float32"), ArgSpec("b", (), "float32")))
    reduction = Reducer(checker, first_failure(checker, start, "gradient"), 1).reduce(start)
    assert reduction.program.source == "def multi_statement_0000(a):\n    return ext.planted(a)\n", \
        reduction.program.source


def test_transforms_in_the_source_and_aliases_reduce_like_any_value(planted_op):
    """A transform applied in the source (``jax.vmap(f)(x)``) is a value the reducer can replace by
    an operand of its type, and an alias ``v0 = a`` read inside a lambda is renamed away: the
    windows bug of jax 0.4.30 reduced this way to its one vmap (bench/known_bugs)."""
    planted_op("jvp")
    checker = InProcessChecker()
    source = ("def multi_statement_0000(a, b):\n    v0 = a\n"
              "    return jax.vmap(lambda r1, s2: r1 * s2, in_axes=(0, None))(jax.vmap(lambda r0: ext.planted(r0))(v0), b)\n")
    start = reducible(source, (ArgSpec("a", (3, 4), "float32"), ArgSpec("b", (), "float32")))
    verdict = first_failure(checker, start, "gradient")
    reduced = Reducer(checker, verdict, 1).reduce(start).program
    assert reduced.source == "def multi_statement_0000(a):\n    return jax.vmap(lambda r0: ext.planted(r0))(a)\n", \
        reduced.source


WITH_HELPERS = '''def layer_norm(x, scale, *, eps=1e-05):
    v0 = jnp.mean(jnp.square(x), axis=-1, keepdims=True)
    return x * lax.rsqrt(v0 + eps) * scale


def layer_0000(x, gamma, w, *, eps=0.001):
    h = layer_norm(x, gamma)
    v0 = ext.planted(jnp.tanh(h @ w) + eps)
    return layer_norm(v0, gamma, eps=1e-06)
'''


@pytest.mark.slow  # about 10 s; the quick loop keeps the bug inside a helper's body
def test_helper_calls_reduce_away_and_take_their_definitions_with_them(planted_op):
    """A program with helpers (issue 14) reduces like any other: a helper call is a value the
    reducer may replace by an operand of its type, and a helper no longer called leaves the source."""
    planted_op("jvp")
    checker = InProcessChecker()
    args = (ArgSpec("x", (2, 3), "float32"), ArgSpec("gamma", (3,), "float32"), ArgSpec("w", (3, 3), "float32"))
    module = cst.parse_module(WITH_HELPERS)
    start = Reducible("layer", module.body[1], args, helpers=(module.body[0],))
    assert start.source == WITH_HELPERS
    reduced = Reducer(checker, first_failure(checker, start, "gradient"), 1).reduce(start).program
    assert reduced.source == "def layer_0000(a):\n    return ext.planted(a)\n", reduced.source


def drawn(source: str, args, category: str = "layer") -> Reducible:
    """``source`` as `Reducible.of` takes a drawn program (its ifs and loops resolved)."""
    return Reducible.of(type("Drawn", (), {"category": category, "function": cst.parse_module(source).body[0],
                                           "args": args, "vmap_axes": None, "axis_size": None})())


def reduced_source(start: Reducible, oracle: str) -> str:
    checker = InProcessChecker()
    return Reducer(checker, first_failure(checker, start, oracle), 1).reduce(start).program.source


WITH_FLAGS = '''def norm_0000(x, gamma, *, use_scale=True, use_bias=False):
    v0 = jnp.tanh(x)
    if use_scale:
        v0 = ext.planted(v0 * gamma)
    if use_bias:
        v0 = v0 + 1.0
    return v0
'''


def test_a_program_with_flags_reduces_as_its_defaults_trace_it(planted_op):
    """``if`` statements are resolved by their flags' defaults before reduction (the True one
    spliced in, the False one dropped), and the flags, no longer read, leave with them."""
    planted_op("jvp")
    start = drawn(WITH_FLAGS, (ArgSpec("x", (2, 3), "float32"), ArgSpec("gamma", (3,), "float32")), "norm")
    assert "if " not in start.source and "v0_2 = ext.planted(v0 * gamma)" in start.source, start.source
    assert reduced_source(start, "gradient") == "def norm_0000(a):\n    return ext.planted(a)\n"


def test_a_loop_is_unrolled_before_reduction(planted_op):
    planted_op("jit")
    source = ("def layer_0000(x, w):\n    for i in range(2):\n        v0 = x @ w\n"
              "        x = ext.planted(jnp.tanh(v0))\n    return x\n")
    start = drawn(source, (ArgSpec("x", (2,), "float32"), ArgSpec("w", (2, 2), "float32")))
    assert "for " not in start.source and "x_3 = ext.planted(jnp.tanh(v0_2))" in start.source, start.source
    assert reduced_source(start, "eager_vs_jit") == "def layer_0000(a):\n    return ext.planted(a)\n"


def test_a_program_over_tree_leaves_reduces_to_the_op_alone(planted_op):
    """The typing probe leaves out the tree argument and the parts of a leaf's path (``params``,
    ``params[1]``), which are no values: without that the probe was refused and a program over
    ``params[i]['w']`` kept two planted calls."""
    planted_op("jit")
    source = ("def layer_0000(x, params):\n    for i in range(2):\n        v0 = x @ params[i]['w']\n"
              "        x = ext.planted(jnp.tanh(v0))\n    return x\n")
    args = (ArgSpec("x", (2,), "float32"), *(ArgSpec("params", (2, 2), "float32", (k, "w")) for k in range(2)))
    assert reduced_source(drawn(source, args), "eager_vs_jit") == "def layer_0000(a):\n    return ext.planted(a)\n"


BUG_IN_HELPER = '''def block(x, w, *, eps=1e-05):
    v0 = x @ w
    return x + ext.planted(jnp.tanh(v0) + eps)


def layer_0000(x, w):
    h = block(x, w)
    return block(h, w, eps=0.001) * 2.0
'''


def test_a_bug_inside_a_helper_is_reduced_after_the_call_is_inlined(planted_op):
    """A helper call is also replaced by the helper's body (its arguments and keywords bound to
    new names first), so a bug in the body reduces as one in the program would."""
    planted_op("jvp")
    checker = InProcessChecker()
    args = (ArgSpec("x", (2, 3), "float32"), ArgSpec("w", (3, 3), "float32"))
    module = cst.parse_module(BUG_IN_HELPER)
    start = Reducible("layer", module.body[1], args, helpers=(module.body[0],))
    where = syntax.layout(start.function)
    inlined = syntax.helper_inlined(start.function, where, start.helpers,
                                    syntax.helper_calls(start.function, start.helpers)[0], frozenset({"x", "w", "h", "block"}))
    assert syntax.render(inlined) == (
        "def layer_0000(x, w):\n    x_1 = x\n    w_1 = w\n    eps_1 = 1e-05\n    v0_1 = x_1 @ w_1\n"
        "    h = x_1 + ext.planted(jnp.tanh(v0_1) + eps_1)\n    return block(h, w, eps=0.001) * 2.0\n"), syntax.render(inlined)
    reduced = Reducer(checker, first_failure(checker, start, "gradient"), 1).reduce(start).program
    assert reduced.source == "def layer_0000(a):\n    return ext.planted(a)\n", reduced.source


TREE_RESULT = '''def optimizer_0000(param, grad, velocity):
    v0 = 0.9 * velocity + grad
    v1 = jnp.tanh(v0)
    return param - 0.1 * v0, {'mu': v1 * 2.0, 'nu': ext.planted(jnp.square(v1))}
'''


@pytest.mark.parametrize("rule", [rule if rule == "jit" else pytest.param(rule, marks=pytest.mark.slow)
                                  for rule in ORACLE_FOR_RULE])  # the quick loop keeps one rule
def test_a_bug_in_one_value_of_a_tree_result_reduces_to_the_op_alone(planted_op, rule):
    """A tree result (``return new, {'mu': ..., 'nu': ...}``) is judged value by value, and the
    reducer first returns the one value the failure is in, then reduces it as any program."""
    planted_op(rule)
    args = tuple(ArgSpec(name, (2, 3), "float32") for name in ("param", "grad", "velocity"))
    assert reduced_source(drawn(TREE_RESULT, args, "optimizer"), ORACLE_FOR_RULE[rule]) == \
        "def optimizer_0000(a):\n    return ext.planted(a)\n"


WHOLE_TREES = '''def optimizer_0000(params, grads, x):
    v0 = jax.tree_util.tree_map(lambda p0, g1: p0 - 0.1 * g1, params, grads)
    v1 = jax.tree.map(lambda t2: 0.9 * t2, v0)
    v2 = ext.planted(jnp.tanh(x) * 2.0)
    return v1, {'out': v2}
'''


def test_maps_over_whole_trees_reduce_away_when_the_bug_is_elsewhere(planted_op):
    """A map over whole trees and the name bound to it are no values the probe types, so the
    rest of the program still reduces; the maps, no longer read, go with their trees."""
    planted_op("jit")
    leaves = {"b": (3,), "w": (2, 3)}
    args = (*(ArgSpec(tree, shape, "float32", (key,)) for tree in ("params", "grads") for key, shape in leaves.items()),
            ArgSpec("x", (2, 3), "float32"))
    assert reduced_source(drawn(WHOLE_TREES, args, "optimizer"), "eager_vs_jit") == \
        "def optimizer_0000(a):\n    return ext.planted(a)\n"


TREE_STEP = '''def train_step_0000(params, x, y):
    v0, v1 = jax.value_and_grad(lambda p0: jnp.mean(jnp.square(ext.planted(x @ p0['w'] + p0['b']) - y)))(params)
    v2 = jax.tree.map(lambda p1, g2: p1 - 0.1 * g2, params, v1)
    return v0, v2
'''


@pytest.mark.parametrize("rule", ["jvp", pytest.param("batching", marks=pytest.mark.slow)])  # jit: traced
def test_a_bug_in_the_loss_of_a_tree_training_step_reduces_to_the_op_alone(planted_op, rule):  # under the grad
    """The bug sits inside the lambda of ``jax.value_and_grad`` over a whole parameter tree, where
    no other edit reaches: once the gradient tree is no longer read, the lambda is inlined
    (``p0['w']`` reading ``params['w']``), and the loss around the op reduces away. The vmap
    oracle's message names in_axes with a None in them; they vary with the arguments left, and
    the family of the failure does not."""
    planted_op(rule)
    args = (ArgSpec("params", (3,), "float32", ("b",)), ArgSpec("params", (2, 3), "float32", ("w",)),
            ArgSpec("x", (4, 2), "float32"), ArgSpec("y", (4, 3), "float32"))
    assert reduced_source(drawn(TREE_STEP, args, "train_step"), ORACLE_FOR_RULE[rule]) == \
        "def train_step_0000(a):\n    return ext.planted(a)\n"


def test_transformed_lambdas_are_inlined_only_where_the_value_is_the_lambdas_own():
    from fuzzgen.fuzz.lambdas import inlined_applications

    def inlined(source):
        function = cst.parse_module(source).body[0]
        return [syntax.render(f) for f in inlined_applications(function, syntax.layout(function))]

    assert inlined("def f(a, b):\n    v0 = jax.jit(lambda x0, y1: x0.sum() * y1)(a + 1.0, b)\n    return v0\n") == \
        ["def f(a, b):\n    v0 = (a + 1.0).sum() * b\n    return v0\n"]
    assert inlined("def f(a):\n    v0, v1 = jax.value_and_grad(lambda x0: jnp.sum(x0))(a)\n    return v0\n") == \
        ["def f(a):\n    v0 = jnp.sum(a)\n    return v0\n"]
    for kept in ("    v0, v1 = jax.value_and_grad(lambda x0: jnp.sum(x0))(a)\n    return v1\n",  # the gradient read
                 "    v0 = jax.grad(lambda x0: jnp.sum(x0))(a)\n    return v0\n",  # a gradient is not the lambda's value
                 "    v0 = jax.vmap(lambda x0: jnp.sum(x0))(a)\n    return v0\n"):
        assert inlined("def f(a):\n" + kept) == []


RANK_TEST_AND_LIST_LOOP = '''def layer_0000(x, layers):
    if x.ndim > 2:
        x = x.reshape((-1, x.shape[-1]))
    for layer in layers:
        v0 = x @ layer['w']
        x = jnp.tanh(ext.planted(v0 + layer['b']))
    return x
'''


def test_a_rank_test_and_a_loop_over_a_list_are_resolved_before_reduction(planted_op):
    """``if x.ndim > 2:`` is decided by x's rank and ``for layer in layers:`` unrolled into
    ``layers[0]['w']``, ``layers[1]['w']`` (`flags.specialized`), and the rest reduces as usual."""
    planted_op("jit")
    args = (ArgSpec("x", (2, 2, 3), "float32"),
            *(ArgSpec("layers", shape, "float32", (k, key)) for k in range(2) for key, shape in (("b", (3,)), ("w", (3, 3)))))
    start = drawn(RANK_TEST_AND_LIST_LOOP, args)
    assert "x_2 = x.reshape((-1, x.shape[-1]))" in start.source and "layers[1]['w']" in start.source, start.source
    assert reduced_source(start, "eager_vs_jit") == "def layer_0000(a):\n    return ext.planted(a)\n"
