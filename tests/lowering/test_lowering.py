"""Lowering: the controlled namespace, gradient argnums, and IR identical to plain JAX's."""
import jax
import pytest

from fuzzgen.program import ArgSpec
from fuzzgen.lowering import mlir_context
from fuzzgen.lowering.lower import lower_program, lower_spec
from fuzzgen.trust import check_program, grammar_built
from fuzzgen.trust.sandbox import load_function
from fuzzgen.sample.draw import SampleConfig, program_for_index


@pytest.mark.slow
def test_shared_mlir_context_changes_no_byte_of_ir(monkeypatch):
    programs = [program_for_index(SampleConfig(seed=5), i) for i in range(40)]
    shared = [lower_program(p).ir for p in programs]
    monkeypatch.setenv("FUZZGEN_SHARED_MLIR_CONTEXT", "0")
    assert not mlir_context.enabled()
    jax.clear_caches()
    plain = [lower_program(p).ir for p in programs]
    assert shared == plain


def test_the_patch_is_undone_after_each_lowering():
    from jax._src.interpreters import mlir

    original = mlir.make_ir_context
    lower_program(program_for_index(SampleConfig(seed=5), 0))
    assert mlir.make_ir_context is original


def test_namespace_has_only_jnp_lax_and_no_builtins():
    source = "def f(a):\n    return len(a)\n"
    with pytest.raises(NameError):  # grammar_built: the sandbox must hold even for unchecked text
        load_function(grammar_built(source, "f"))(1)
    probe = "def f(a):\n    return (jnp.__name__, lax.__name__)\n"
    assert load_function(grammar_built(probe, "f"))(0) == ("jax.numpy", "jax.lax")


def test_the_sandbox_refuses_plain_text():
    with pytest.raises(TypeError, match="CheckedSource"):
        load_function("def f(a):\n    return a\n")


def test_gradient_is_taken_only_for_floating_args():
    source = "def f(a, b):\n    return a * jnp.float32(b)\n"
    args = (ArgSpec("a", (3,), "float32"), ArgSpec("b", (3,), "int32"))
    lowered = lower_spec(check_program(source, "f", args))
    assert "->f32[3]{0}}" in lowered.ir["hlo"]["backward"].splitlines()[0]  # one gradient, for `a` only
    assert lowered.ir["stablehlo"]["backward"].count("jax.result_info") == 1
    assert "convert_element_type" in lowered.primitives


def test_unknown_ir_kind_is_refused():
    with pytest.raises(ValueError, match="unknown IR kind"):
        lower_spec(check_program("def f(a):\n    return a\n", "f", (ArgSpec("a", (), "float32"),)), ("llvm",))
