"""JAX's own properties, checked on drawn programs: every oracle holds for every valid program.

Run with the small default profile (CI) or hunt for JAX bugs with the long one:

    pytest tests/test_jax_properties.py                               # "ci": a quick pass
    pytest tests/test_jax_properties.py --hypothesis-profile=fuzz     # thousands of programs

The profile's ``max_examples`` is shared across the oracles, one test each, so that a failure
names its oracle and Hypothesis shrinks it to a minimal program (printed in the report).
"""
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuzzgen.oracles import ORACLE_NAMES, Subject, run_oracles
from fuzzgen.strategies import programs

# The active profile is loaded before collection (conftest.py, or --hypothesis-profile).
EXAMPLES_PER_ORACLE = max(4, settings.default.max_examples // (2 * len(ORACLE_NAMES)))


@pytest.mark.parametrize("oracle", ORACLE_NAMES)
@settings(max_examples=EXAMPLES_PER_ORACLE)
@given(program=programs(), input_seed=st.integers(0, 2**16 - 1))
def test_oracle_holds(oracle, program, input_seed):
    (verdict,) = run_oracles(Subject.from_program(program), (oracle,), input_seed)
    assert not verdict.failed, f"{verdict.error}\ninput seed {input_seed}\n{program.source}"


@settings(max_examples=EXAMPLES_PER_ORACLE)
@given(program=programs(dtypes=("bfloat16", "float16")), input_seed=st.integers(0, 2**16 - 1))
def test_low_precision_programs_agree_eager_and_jit(program, input_seed):
    """The case tolerances are for: XLA keeps low-precision intermediates wider under jit."""
    (verdict,) = run_oracles(Subject.from_program(program), ("eager_vs_jit",), input_seed)
    assert not verdict.failed, f"{verdict.error}\ninput seed {input_seed}\n{program.source}"
