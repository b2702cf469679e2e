"""Each oracle passes correct programs and fails a program with the one bug it is meant to see;
the float64 reference accepts legitimate low-precision differences and recognizes jumps."""
import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest
from jax import core
from jax.extend.core import Primitive
from jax.interpreters import ad, batching, mlir

from fuzzgen.program.spec import ArgSpec, ProgramSpec
from fuzzgen.grammar import plugins
from fuzzgen.oracles.inputs import FLOAT_BOUND, draw_inputs, reference_inputs
from fuzzgen.trust import grammar_built
from fuzzgen.oracles import ORACLE_NAMES, Subject, Verdict, run_oracles
from fuzzgen.oracles.arbitration import Outcome, judge, nearly_equal
from fuzzgen.oracles.gradients import FRACTIONS, STEP, Projection, _numerical
from fuzzgen.oracles.verdict import raised

F32_3 = (ArgSpec("a", (3,), "float32"), ArgSpec("b", (3,), "float32"))


def subject(body: str, args=F32_3) -> Subject:
    names = ", ".join(a.name for a in args)
    # grammar_built: these sources call test-only ``ext`` functions that are not registered ops
    return Subject(ProgramSpec(grammar_built(f"def f({names}):\n    return {body}\n", "f"), tuple(args)))


def statuses(verdicts):
    return {v.oracle: v.status for v in verdicts}


def planted(monkeypatch, name, implementation):
    """Make ``ext.<name>`` callable from program source, for this test only."""
    monkeypatch.setattr(plugins.EXTENSIONS, name, implementation, raising=False)


def linear_primitive(name, *, transpose_factor=2.0, batch_factor=2.0):
    """x -> 2x as a primitive, with a chosen (possibly wrong) transpose and batching rule."""
    primitive = Primitive(name)
    primitive.def_impl(lambda x: x * 2.0)
    primitive.def_abstract_eval(lambda x: core.ShapedArray(x.shape, x.dtype))
    mlir.register_lowering(primitive, mlir.lower_fun(lambda x: x * 2.0, multiple_results=False))
    ad.primitive_jvps[primitive] = lambda primals, tangents: (primitive.bind(primals[0]), primitive.bind(tangents[0]))
    ad.primitive_transposes[primitive] = lambda ct, x: [ct * transpose_factor]
    batching.primitive_batchers[primitive] = lambda args, dims: (args[0] * batch_factor, dims[0])
    return primitive.bind


def test_every_oracle_passes_a_correct_program():
    verdicts = run_oracles(subject("jnp.sin(a) * b + jnp.where(a > 0.5, jnp.exp(a), b) @ b"), ORACLE_NAMES, seed=3)
    assert statuses(verdicts) == dict.fromkeys(ORACLE_NAMES, "passed"), verdicts


def test_a_gradient_that_cancels_to_zero_is_not_a_mismatch():
    """A layer norm of three equal values is 0 whatever they are, so its gradient is 0; reverse mode
    computes it as a difference of terms of ordinary size (2.9e-14 in float64, where differences
    give exactly 0). The gradient oracle allows rounding relative to those terms, as
    forward_vs_reverse does (bench/oracle_false_positives.py found it: seed 0, record 21)."""
    source = ("def f(a):\n    v0 = jnp.tile(a, 3)\n"
              "    v1 = (v0 - v0.mean(axis=-1, keepdims=True)) * lax.rsqrt(jnp.var(v0, axis=-1, keepdims=True) + 1e-05)\n"
              "    return v1\n")
    layer_norm = Subject(ProgramSpec(grammar_built(source, "f"), (ArgSpec("a", (), "float32"),)))
    verdicts = run_oracles(layer_norm, ("gradient", "forward_vs_reverse"), seed=21)
    assert statuses(verdicts) == {"gradient": "passed", "forward_vs_reverse": "passed"}, verdicts


def test_low_precision_program_passes_despite_fused_rounding():
    args = (ArgSpec("a", (4, 4), "bfloat16"), ArgSpec("b", (4,), "bfloat16"))
    verdicts = run_oracles(subject("jnp.tanh(a @ b) * jnp.exp(b) - jnp.sum(a * b)", args), ORACLE_NAMES, seed=5)
    assert all(v.status != "failed" for v in verdicts), verdicts


def test_gradient_oracle_sees_a_wrong_custom_jvp_that_forward_vs_reverse_cannot(monkeypatch):
    @jax.custom_jvp
    def bad_sin(x):
        return jnp.sin(x)

    bad_sin.defjvp(lambda primals, tangents: (jnp.sin(primals[0]), 2.0 * jnp.cos(primals[0]) * tangents[0]))
    planted(monkeypatch, "bad_sin", bad_sin)
    verdicts = run_oracles(subject("ext.bad_sin(a) * b"), ("gradient", "forward_vs_reverse"), seed=0)
    assert statuses(verdicts) == {"gradient": "failed", "forward_vs_reverse": "passed"}
    assert "central differences" in verdicts[0].details and verdicts[0].error_type == "Mismatch"


def test_forward_vs_reverse_sees_a_wrong_transpose_rule(monkeypatch):
    planted(monkeypatch, "double", linear_primitive("planted_transpose", transpose_factor=3.0))
    (verdict,) = run_oracles(subject("ext.double(a) * b"), ("forward_vs_reverse",), seed=0)
    assert verdict.failed and "forward mode" in verdict.details


def test_vmap_oracle_sees_a_wrong_batching_rule_that_eager_vs_jit_cannot(monkeypatch):
    planted(monkeypatch, "double", linear_primitive("planted_batching", batch_factor=2.5))
    verdicts = run_oracles(subject("ext.double(a) + b"), ("vmap", "eager_vs_jit", "forward_vs_reverse"), seed=0)
    assert statuses(verdicts) == {"vmap": "failed", "eager_vs_jit": "passed", "forward_vs_reverse": "passed"}
    assert "outside the float64 reference range" in verdicts[0].details


def test_eager_vs_jit_sees_a_traced_path_that_differs(monkeypatch):
    def sneaky(x):
        return x + 0.25 if isinstance(x, jax.core.Tracer) else x

    planted(monkeypatch, "sneaky", sneaky)
    (verdict,) = run_oracles(subject("ext.sneaky(a) * b"), ("eager_vs_jit",), seed=0)
    assert verdict.failed and verdict.details.startswith("forward: eager output 0"), verdict


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_eager_vs_jit_sees_a_ten_percent_error_in_low_precision(monkeypatch, dtype):
    """10% is about 25 bfloat16 roundings: a correct execution of a few ops is never that far off."""
    def off_under_jit(x):
        return (x.astype(jnp.float32) * 1.1).astype(x.dtype) if isinstance(x, jax.core.Tracer) else x

    planted(monkeypatch, "off", off_under_jit)
    args = (ArgSpec("a", (2, 3), dtype), ArgSpec("b", (3,), dtype))
    program = subject("ext.off(jnp.tanh(a) * b + jnp.exp(b))", args)
    caught = [run_oracles(program, ("eager_vs_jit",), seed=seed)[0].failed for seed in range(5)]
    assert all(caught), caught


def test_crash_oracle_reports_the_stage_and_exception(monkeypatch):
    def broken(x):
        if isinstance(x, jax.core.Tracer):
            raise RuntimeError("planted internal error 0x7f00 in pass 12")
        return x

    planted(monkeypatch, "broken", broken)
    (verdict,) = run_oracles(subject("ext.broken(a) + b"), ("crash",), seed=0)
    assert verdict.failed and verdict.error_type == "RuntimeError"
    assert verdict.details.startswith("while tracing the forward function")


def test_an_oracle_that_raises_is_a_finding_not_a_crash_of_the_run(monkeypatch):
    def impossible_to_export(x):
        return jax.pure_callback(lambda v: np.asarray(v), jax.ShapeDtypeStruct(x.shape, x.dtype), x)

    planted(monkeypatch, "callback", impossible_to_export)
    (verdict,) = run_oracles(subject("ext.callback(a) + b"), ("export",), seed=0)
    assert verdict.failed and verdict.error_type


def test_unknown_oracles_are_refused():
    with pytest.raises(ValueError, match="unknown oracles"):
        run_oracles(subject("a + b"), ("crash", "telepathy"))


# --- the float64 reference ------------------------------------------------------------------


def _bf16(*values):
    return np.asarray(values, dtype=ml_dtypes.bfloat16)


def test_reference_accepts_fused_and_unfused_rounding_but_not_a_wrong_value():
    args = (ArgSpec("a", (3,), "bfloat16"), ArgSpec("b", (3,), "bfloat16"), ArgSpec("c", (3,), "bfloat16"))
    program = subject("a * b + c", args)
    a, b, c = _bf16(1.1, -2.3, 0.7), _bf16(1.9, 0.3, 1.3), _bf16(2.0, 0.5, 1.5)  # no cancellation
    wide = [x.astype(np.float64) for x in (a, b, c)]
    unfused = ((wide[0] * wide[1]).astype(ml_dtypes.bfloat16).astype(np.float64) + wide[2]).astype(ml_dtypes.bfloat16)
    fused = (wide[0] * wide[1] + wide[2]).astype(ml_dtypes.bfloat16)  # what XLA computes in float32
    inputs = [a, b, c]
    ok = judge({"eager": [unfused], "jit": [fused]}, lambda: program.jaxpr("forward"), inputs, 0, "forward")
    assert ok == Outcome()
    wrong = (fused.astype(np.float64) * 1.5).astype(ml_dtypes.bfloat16)
    bad = judge({"eager": [unfused], "jit": [wrong]}, lambda: program.jaxpr("forward"), inputs, 0, "forward")
    assert bad.problem and bad.problem.startswith("forward: jit output 0") and "eager within it" in bad.problem


def test_a_product_contracted_into_one_use_and_not_another_may_leave_a_cancellation_nonzero():
    """``p = jnp.square(a); p[1] - p`` is 0 where the row is itself, unless XLA fuses the subtraction
    into a multiply-add for one use of ``p`` (fuzz --ops dynamic_index_in_dim found jit off by
    1.8e-6 there): an ulp of the terms is allowed, a wrong value is not."""
    args = (ArgSpec("a", (3, 2), "float32"),)
    source = "def f(a):\n    v0 = jnp.square(a)\n    return v0[1] - v0\n"
    program = Subject(ProgramSpec(grammar_built(source, "f"), args))
    a = np.array([[1.1, -2.3], [3.7, 0.9], [-1.3, 2.2]], np.float32)
    exact = (np.square(a)[1] - np.square(a)).astype(np.float32)
    p = np.square(a.astype(np.float64))
    contracted = (p[1].astype(np.float32).astype(np.float64) - p).astype(np.float32)  # one use unrounded
    assert np.any(contracted[1] != 0)
    ok = judge({"eager": [exact], "jit": [contracted]}, lambda: program.jaxpr("forward"), [a], 0, "forward")
    assert ok == Outcome()
    wrong = exact + np.float32(1e-3)
    bad = judge({"eager": [exact], "jit": [wrong]}, lambda: program.jaxpr("forward"), [a], 0, "forward")
    assert bad.problem and bad.problem.startswith("forward: jit output 0")


def test_executions_that_agree_with_each_other_are_not_blamed_for_an_inaccurate_primitive():
    """XLA's float32 lgamma is off by more ulps than the reference allows; eager and jit agree."""
    program = subject("jnp.sin(a)", (ArgSpec("a", (2,), "float32"),))
    inputs = [np.float32([0.3, 1.2])]
    shifted = (np.sin(inputs[0].astype(np.float64)) * (1 + 3e-5)).astype(np.float32)
    nudged = shifted * np.float32(1 + 1e-6)  # beyond the quick check, within the reference's allowance
    outcome = judge({"eager": [shifted], "jit": [nudged]}, lambda: program.jaxpr("forward"), inputs, 0, "forward")
    assert outcome == Outcome()
    apart = judge({"eager": [shifted], "jit": [shifted * np.float32(1.01)]}, lambda: program.jaxpr("forward"),
                  inputs, 0, "forward")
    assert apart.problem


def test_reference_reports_inputs_within_rounding_of_a_jump():
    args = (ArgSpec("a", (1,), "bfloat16"), ArgSpec("b", (1,), "bfloat16"))
    program = subject("jnp.where(a * b > 1.0, a, b - 4.0)", args)
    inputs = [_bf16(1.0), _bf16(1.0)]  # a * b lands exactly on the threshold
    outcome = judge({"eager": [_bf16(-3.0)], "jit": [_bf16(1.0)]}, lambda: program.jaxpr("forward"), inputs, 0, "x")
    assert outcome.near_jump == "gt" and outcome.problem is None


def test_nearly_equal_treats_nan_and_inf_positions_consistently():
    nan, inf = np.nan, np.inf
    assert nearly_equal(np.float32([1.0, nan, inf]), np.float32([1.0000001, nan, inf]))
    assert not nearly_equal(np.float32([1.0, nan]), np.float32([1.0, 0.0]))
    assert not nearly_equal(np.float32([inf]), np.float32([-inf]))
    assert not nearly_equal(np.float32([1.0]), np.float16([1.0]))
    assert not nearly_equal(np.float32([1.0]), np.float32([1.001]))


def _projection(curve, derivative):
    return Projection(forward=derivative, reverse=derivative, scale=abs(derivative), size=1.0,
                      curve={f: float(curve(f * STEP)) for f in FRACTIONS}, output_scale=abs(float(curve(0.0))))


def test_differences_across_a_kink_are_not_judged():
    assert _numerical(_projection(lambda t: abs(t - 2e-4), -1.0)) is None
    assert _numerical(_projection(lambda t: np.floor(1e4 * t + 0.5), 0.0)) is None


def test_differences_on_a_smooth_curve_recover_the_derivative():
    estimate, uncertainty, _ = _numerical(_projection(lambda t: np.sin(0.3 + 2 * t), 2 * np.cos(0.3)))
    assert abs(estimate - 2 * np.cos(0.3)) < 1e-9 and uncertainty < 1e-2


# --- inputs and verdicts --------------------------------------------------------------------


def test_inputs_are_a_pure_function_of_the_seed_and_respect_dtypes():
    args = (ArgSpec("a", (2, 3), "bfloat16"), ArgSpec("b", (), "int32"), ArgSpec("c", (4,), "float16"))
    first, again, other = draw_inputs(args, 7), draw_inputs(args, 7), draw_inputs(args, 8)
    assert all(np.array_equal(x, y) for x, y in zip(first, again))
    assert not np.array_equal(first[0], other[0])
    assert [str(x.dtype) for x in first] == ["bfloat16", "int32", "float16"]
    reference = reference_inputs(args, 7)
    assert reference[0].dtype == np.float64 and np.all(np.abs(reference[0]) <= FLOAT_BOUND)
    assert np.array_equal(reference[0].astype(ml_dtypes.bfloat16), first[0])


def test_verdicts_round_trip_and_name_the_exception():
    verdict = raised("crash", RuntimeError("INTERNAL: bad\nsecond line"), "compiling the forward function")
    assert verdict.error == "RuntimeError: while compiling the forward function: INTERNAL: bad"
    assert Verdict.from_json(verdict.to_json()) == verdict
    with pytest.raises(ValueError, match="status="):
        Verdict("crash", "exploded")


def test_a_while_loop_program_is_judged_as_sampled_and_its_gradient_oracles_skip():
    """The spec's forward_only reaches the oracles: no backward direction is built or judged."""
    from fuzzgen.sample import SampleConfig, program_for_index

    config = SampleConfig(seed=0, categories=("control_flow",))
    program = next(p for p in (program_for_index(config, i) for i in range(200)) if p.forward_only)
    verdicts = {v.oracle: v for v in run_oracles(Subject.from_program(program), ORACLE_NAMES, seed=1)}
    assert [name for name, _ in Subject.from_program(program).directions()] == ["forward"]
    for name in ("gradient", "forward_vs_reverse", "export"):
        assert verdicts[name].status == "skipped" and "while_loop" in verdicts[name].error, verdicts[name]
    assert not any(v.failed for v in verdicts.values()), verdicts


def test_a_vmap_program_is_judged_as_the_batched_function():
    from fuzzgen.sample import SampleConfig, program_for_index

    program = program_for_index(SampleConfig(seed=0, categories=("vmap",)), 0)
    subject = Subject.from_program(program)
    assert subject.args == program.lowered_args != program.args
    assert not any(v.failed for v in run_oracles(subject, ("crash", "eager_vs_jit"), seed=1))


def test_xla_opt_compiles_once_as_usual_and_once_with_optimizations_reduced():
    """The unoptimized executable really is: XLA fuses `tanh(a) * b + a` into one loop by
    default, and with fusion off (where this jaxlib can turn it off) it does not. Programs take
    one of two reduced sets by their text, never algsimp and fusion off at once."""
    from fuzzgen import jaxcompat

    program = subject("jnp.tanh(a) * b + a")
    optimized, unoptimized = program.compiled("forward"), program.compiled("forward", "reduced")
    assert optimized is program.compiled("forward") and unoptimized is program.compiled("forward", "reduced")
    assert "kind=kLoop, calls=%fused_computation" in optimized.as_text()  # tanh, * and + in one loop
    lowered = jax.jit(program.function).trace(*program.abstract_inputs).lower()
    for which, chosen in enumerate(jaxcompat.REDUCED_OPTIMIZATION_SETS):
        assert set(chosen["xla_disable_hlo_passes"].split(",")) != {"algsimp", "cse", "fusion"}
        options = jaxcompat.reduced_optimizations(which)
        if "fusion" in options.get("xla_disable_hlo_passes", ""):
            assert "calls=%fused_computation" not in lowered.compile(compiler_options=options).as_text()
    sets = {jaxcompat.reduced_set_of(f"def f(a):\n    return a * {k}.0\n") for k in range(8)}
    assert sets == {0, 1}  # both sets are drawn
    (verdict,) = run_oracles(program, ("xla_opt",), seed=0)
    assert verdict.status == "passed", verdict


def test_xla_opt_sees_an_executable_that_computes_something_else(monkeypatch):
    """Whatever makes the two compilations differ beyond rounding is reported, judged against the
    float64 reference like every differential oracle."""
    program = subject("jnp.tanh(a) * b + jnp.exp(b)")
    real = Subject.compiled_together

    def miscompiled(self, optimizations="reduced"):
        executable = real(self, optimizations)
        return lambda *xs: jax.tree_util.tree_map(lambda y: y * 1.001, executable(*xs))

    monkeypatch.setattr(Subject, "compiled_together", miscompiled)
    (verdict,) = run_oracles(program, ("xla_opt",), seed=0)
    assert verdict.failed and "unoptimized output 0" in verdict.details, verdict


@pytest.mark.parametrize("body, rounded", [
    ("jnp.sin(a * b).astype(jnp.bfloat16) * a", "bfloat16"),
    ("lax.convert_element_type(jnp.exp(a), jnp.float16) @ b", "float16"),
    ("jax.vmap(lambda r: r.astype(jnp.bfloat16) * 2.0)(a * b)", "bfloat16"),
])
def test_a_cast_of_a_traced_value_to_low_precision_skips_the_float64_derivative_oracles(body, rounded):
    """Mixed-precision code rounds activations (``h.astype(jnp.bfloat16)``). JAX rounds tangents
    and cotangents there too, so in float64 <u, J v> and <J^T u, v> differ by that rounding (4% for
    the first body) and the function is a staircase: both derivative oracles skip, saying why,
    where they had reported a false mismatch. The differential oracles still judge it."""
    verdicts = {v.oracle: v for v in run_oracles(subject(body), ORACLE_NAMES, seed=0)}
    for name in ("gradient", "forward_vs_reverse"):
        assert verdicts[name].status == "skipped", verdicts[name]
        assert f"rounds a traced value to {rounded}" in verdicts[name].details
    assert verdicts["eager_vs_jit"].status == "passed" and verdicts["vmap"].status == "passed", verdicts


def test_a_low_precision_constant_keeps_the_derivative_oracles():
    """``jnp.float16(3.0)`` rounds a literal, which carries no tangent: still judged."""
    verdicts = {v.oracle: v for v in run_oracles(subject("a * jnp.float16(3.0) + b"), ("gradient",
                                                                                       "forward_vs_reverse"), seed=0)}
    assert {name: v.status for name, v in verdicts.items()} == {"gradient": "passed", "forward_vs_reverse": "passed"}


def test_a_cast_of_a_value_that_no_floating_argument_reaches_keeps_them():
    """An embedding's one-hot codes of int labels, cast to bfloat16, carry no tangent either."""
    args = (ArgSpec("a", (3,), "int32"), ArgSpec("b", (4, 2), "float32"))
    verdicts = run_oracles(subject("jax.nn.one_hot(a % 4, 4).astype(jnp.bfloat16) @ b", args),
                           ("gradient", "forward_vs_reverse"), seed=0)
    assert statuses(verdicts) == {"gradient": "passed", "forward_vs_reverse": "passed"}, verdicts


def test_a_masked_product_may_be_zero_under_jit_where_the_other_factor_is_nan(monkeypatch):
    """XLA rewrites ``x * convert(p)`` (a 0/1 mask: ``jax.nn.one_hot(labels, n) * logp``) into
    ``select(p, x, 0)``: where the mask is 0, jit gives 0 and eager nan (a realistic-mix training
    step's gradient hit it). The masked reference run allows exactly that: without it the same
    program fails, and a mask that jit ignores where the other factor is finite still fails."""
    from fuzzgen.oracles import envelope

    args = (ArgSpec("x", (4, 3), "float32"), ArgSpec("labels", (4,), "int32"))
    source = "def f(x, labels):\n    v0 = jnp.log(x * 0.0 - 1.0)\n    return jax.nn.one_hot(labels, 3) * v0 + x\n"
    program = Subject(ProgramSpec(grammar_built(source, "f"), args))
    x, labels = np.arange(12, dtype=np.float32).reshape(4, 3), np.array([0, 5, -2, 2], np.int32)
    eager = np.asarray(program.function(x, labels))
    jit = np.asarray(program.compiled("forward")(x, labels))
    assert np.isnan(eager[1]).all() and np.array_equal(jit[1], x[1])  # labels 5: out of range, a zero row
    ok = judge({"eager": [eager], "jit": [jit]}, lambda: program.jaxpr("forward"), [x, labels], 0, "forward")
    assert ok == Outcome()
    ignored = x.copy()  # the mask ignored: finite even where it is 1 and the other factor nan: wrong
    bad = judge({"eager": [eager], "jit": [ignored]}, lambda: program.jaxpr("forward"), [x, labels], 0, "forward")
    assert bad.problem and bad.problem.startswith("forward: jit output 0")
    monkeypatch.setattr(envelope._Run, "_masked", lambda self, eqn, values, outs: outs)
    unexcused = judge({"eager": [eager], "jit": [jit]}, lambda: program.jaxpr("forward"), [x, labels], 0, "forward")
    assert unexcused.problem and "jit output 0" in unexcused.problem


XLOG1PY_OF_A_FLOAT16 = ("jax.scipy.special.xlog1py(a, lax.convert_element_type(jnp.argmax(b, axis=1, keepdims=True), "
                        "jnp.float16) + 1.0)")


def test_the_gradient_oracle_finds_xlog1pys_derivative_rounded_to_its_low_precision_operand():
    """A real JAX bug the realistic false-alarm run found (grammar version 11, seed 6, program
    567): the JVP rule of ``jax.scipy.special.xlog1py`` (and of ``xlogy``) takes ``log1p(y)`` of
    y before promotion, so with a float16 (or bfloat16) y the derivative in a float32 or float64
    x is rounded to y's precision: ``grad`` gives 0.69140625 for log1p(1) = 0.6931472 with a
    bfloat16 y, though the value itself is right. Present in jax 0.4.30 and 0.10.2; the oracle
    fails exactly where it is present."""
    derivative = jax.grad(lambda x: jax.scipy.special.xlog1py(x, jnp.bfloat16(1.0)))(jnp.float32(1.0))
    present = abs(float(derivative) - np.log1p(1.0)) > 1e-6
    args = (ArgSpec("a", (4, 3), "float32"), ArgSpec("b", (4, 3), "float32"))
    (verdict,) = run_oracles(subject(XLOG1PY_OF_A_FLOAT16, args), ("gradient",), seed=0)
    assert verdict.failed == present, verdict
    if present:
        assert "reverse mode gives" in verdict.details
