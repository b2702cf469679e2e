"""Every op record, one test id each: a drawn program containing it renders, passes the
untrusted-source check, lowers, and its statement types agree with `jax.eval_shape` (the op
table's type rules are what JAX computes)."""
import jax
import pytest

from fuzzgen.program.trees import with_leaves
from fuzzgen.grammar import ALL_CATEGORY_NAMES, OPS
from fuzzgen.jaxcompat import version_tuple
from fuzzgen.lowering.execution import abstract_inputs
from fuzzgen.fuzz.drawing import ProgramDrawer
from fuzzgen.lowering.lower import lower_program
from fuzzgen.sample.draw import SampleConfig, program_for_index
from fuzzgen.strategies import programs
from fuzzgen.trust.checker import check_source
from fuzzgen.trust.sandbox import load_function

SEARCHED = 4000  # programs of the plain mix drawn to find one holding each op
# An op none of them holds (a rare step's op, such as jnp.pad) is drawn for on purpose, as
# `fuzz --ops` draws: every category, that op favoured, until a program calls it.
# Constructs a known bug of the running JAX keeps from lowering (bench/known_bugs): such a
# program is the fuzzer's finding there, not a grammar bug, so another one is taken.
BROKEN_HERE = () if version_tuple(jax.__version__) >= (0, 10, 0) else (
    "preferred_element_type",  # conv_grad_preferred_element_type: its gradient raises before 0.10.0
)


@pytest.fixture(scope="module")
def first_program_with():
    config = SampleConfig(seed=7, categories=ALL_CATEGORY_NAMES)
    found = {}
    for index in range(SEARCHED):
        program = program_for_index(config, index)
        if any(construct in program.source for construct in BROKEN_HERE):
            continue
        for name in program.ops:
            found.setdefault(name, program)
        if len(found) == len(list(OPS)):
            break
    return found


def _aimed_at(op: str):
    drawn = next(ProgramDrawer(programs(ops=(op,)), seed=7).programs(1))
    return drawn.program


@pytest.mark.parametrize("op", [op.name for op in OPS])
def test_a_program_with_the_op_checks_lowers_and_has_the_types_jax_computes(op, first_program_with):
    program = first_program_with.get(op) or _aimed_at(op)
    assert op in program.ops
    check_source(program.source, program.args, program.function_name)
    probe = with_leaves(load_function(program.probe), program.args)
    shapes = jax.eval_shape(probe, *abstract_inputs(program.args))
    assert [(tuple(s.shape), str(s.dtype)) for s in shapes] == [(t.shape, t.dtype) for t in program.statement_types], \
        program.source
    lowered = lower_program(program, ("jaxpr",))
    assert lowered is not None
