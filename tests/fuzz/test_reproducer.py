"""Standalone reproducers: plain JAX and NumPy, the oracle's inputs exactly, exit 1 only where the
failure shows."""
import subprocess
import sys

import pytest

from fuzzgen.fuzz.reproducer import SUPPORTED, reproducer, reproduces, unsupported_reason
from fuzzgen.oracles.inputs import draw_inputs
from fuzzgen.program.spec import ArgSpec
from fuzzgen.trust import check_program

VERSIONS = {"jax_version": "0.10.2", "jaxlib_version": "0.10.2"}
SPEC = check_program("def f(a, b):\n    v0 = jnp.sin(a) * b\n    return jnp.tanh(v0) + a\n", "f",
                     (ArgSpec("a", (2, 3), "float32"), ArgSpec("b", (3,), "bfloat16")))


def script_for(oracle, spec=SPEC):
    return reproducer(spec, oracle, 'mismatch: "quoted"\nsecond line', 7, VERSIONS)


def test_the_script_is_plain_jax_with_the_oracles_inputs_exactly():
    script = script_for("eager_vs_jit")
    imports = [line for line in script.splitlines() if line.startswith(("import ", "from "))]
    assert imports == ["import sys", "import traceback", "import numpy as np", "import jax", "import jax.numpy as jnp",
                       "from jax import lax"], imports
    namespace = {}
    exec(compile(script.split("\nTOLERANCE =")[0], "<reproducer>", "exec"), namespace)  # noqa: S102 - our own text
    for given, drawn in zip(namespace["xs"], draw_inputs(SPEC.args, 7)):
        assert given.dtype == drawn.dtype and given.shape == drawn.shape and given.tobytes() == drawn.tobytes()
    assert namespace["FOUND"] == 'mismatch: "quoted"'


def test_a_correct_program_does_not_reproduce_and_a_wrong_execution_does():
    script = script_for("eager_vs_jit")
    assert not reproduces(script)
    sabotaged = script.replace("jax.jit(function)(*xs)", "jax.tree_util.tree_map(lambda y: y * 1.5, jax.jit(function)(*xs))")
    result = subprocess.run([sys.executable, "-c", sabotaged], capture_output=True, text=True, timeout=300)
    assert result.returncode == 1 and result.stdout.startswith("REPRODUCED: output 0 at [0, 0]: eager forward"), \
        result.stdout + result.stderr
    assert reproduces(sabotaged)


@pytest.mark.slow
@pytest.mark.parametrize("oracle", [o for o in SUPPORTED if o != "eager_vs_jit"])
def test_no_oracle_script_reproduces_on_a_correct_program(oracle):
    assert not reproduces(script_for(oracle))


def test_what_has_no_standalone_script_says_why():
    plugin = check_program("def f(a):\n    return jnp.sin(a)\n", "f", (ArgSpec("a", (3,), "float32"),))
    assert unsupported_reason(plugin, "vmap").startswith("no standalone reproducer for the vmap oracle")
    assert reproducer(plugin, "vmap", "", 0, VERSIONS) is None
    vmapped = check_program("def f(a):\n    return jnp.sin(a)\n", "f", (ArgSpec("a", (2, 3), "float32"),), vmap_axes=(0,))
    assert "f = jax.vmap(f, in_axes=(0,))" in script_for("crash", vmapped)
