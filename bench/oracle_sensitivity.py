"""How small a planted bug each oracle catches: the other half of a false-positive rate of 0 (an
oracle that never fires has none either).

Run:  JAX_PLATFORMS=cpu python bench/oracle_sensitivity.py [--programs 60] [--eps 1e-1,1e-3,1e-5]

A planted op is the identity with one rule off by a relative EPS; the oracle meant for that rule
judges the program:

    rule       what is wrong                                       oracle
    jit        the value times (1 + EPS) when traced, exact eager  eager_vs_jit
    jvp        the tangent times (1 + EPS)                         gradient
    transpose  the cotangent times (1 + EPS)                       forward_vs_reverse
    batching   the batched value times (1 + EPS)                   vmap

For each of the deterministic `fuzzgen sample` programs (index i of --seed), one floating
statement (an assignment or the returned value), chosen from i, is wrapped in ``ext.planted(...)``.
Prints, per rule, dtype and EPS, how many planted programs the oracle caught and how many it
skipped (could not judge). A planted value can be masked downstream (it feeds a comparison, a
floor, an argmax), and EPS below a dtype's rounding is no bug at all (1 + 1e-3 is 1 in
bfloat16), so rates are lower bounds; the table shows where each oracle's resolution lies.
"""
from __future__ import annotations

import argparse
import collections
import os
import sys
import time

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import libcst as cst  # noqa: E402
import numpy as np  # noqa: E402
from jax.extend.core import Primitive  # noqa: E402
from jax.interpreters import ad, batching, mlir  # noqa: E402

from fuzzgen.grammar import plugins  # noqa: E402
from fuzzgen.grammar.types import FLOAT_DTYPES  # noqa: E402
from fuzzgen.oracles import Subject, run_oracles  # noqa: E402
from fuzzgen.program.spec import ProgramSpec  # noqa: E402
from fuzzgen.trust import grammar_built  # noqa: E402
from fuzzgen.sample.draw import SampleConfig, program_for_index  # noqa: E402

ORACLE_FOR_RULE = {"jit": "eager_vs_jit", "jvp": "gradient", "transpose": "forward_vs_reverse", "batching": "vmap"}


def scaled(value, eps: float):
    """``value * (1 + eps)`` computed in float32 and rounded back to the value's dtype."""
    return (value.astype(jnp.float32) * (1.0 + eps)).astype(value.dtype)


def planted_op(rule: str, eps: float):
    """The identity, with ``rule`` off by ``eps``: as a primitive (jvp, transpose, batching), or as
    a function that looks at whether it is traced (jit: eager runs primitives compiled too, so only
    a Python-level check can tell the two paths apart)."""
    if rule == "jit":
        return lambda value: scaled(value, eps) if isinstance(value, jax.core.Tracer) else value
    primitive = Primitive(f"planted_{rule}")
    primitive.def_impl(lambda x: x)
    primitive.def_abstract_eval(lambda aval: aval)
    mlir.register_lowering(primitive, mlir.lower_fun(lambda x: x, multiple_results=False))
    if rule == "jvp":
        ad.defjvp(primitive, lambda tangent, x: scaled(tangent, eps))
    else:
        wrong_transpose = rule == "transpose"
        ad.deflinear2(primitive, lambda ct, x: [scaled(ct, eps) if wrong_transpose else primitive.bind(ct)])

    def batched(args, dims):
        out = primitive.bind(args[0])
        return (scaled(out, eps) if rule == "batching" else out), dims[0]

    batching.primitive_batchers[primitive] = batched
    return primitive.bind


class _WrapStatement(cst.CSTTransformer):
    """Wraps the value of the ``target``-th statement (assignments, then the return) in ext.planted."""

    def __init__(self, target: int):
        self.target, self.seen = target, -1

    def _wrap(self, node):
        self.seen += 1
        if self.seen != self.target:
            return node
        call = cst.Call(cst.Attribute(cst.Name("ext"), cst.Name("planted")), [cst.Arg(node.value)])
        return node.with_changes(value=call)

    def leave_Assign(self, original, updated):
        return self._wrap(updated)

    def leave_Return(self, original, updated):
        return self._wrap(updated)


def planted_source(program, index: int) -> tuple[str, str] | None:
    """The program's source with one floating statement wrapped, and that statement's dtype."""
    floating = [k for k, t in enumerate(program.statement_types) if t.dtype in FLOAT_DTYPES]
    if not floating:
        return None
    target = floating[np.random.default_rng([index, 0x5E75]).integers(len(floating))]
    module = cst.parse_module(program.source).visit(_WrapStatement(target))
    return module.code, program.statement_types[target].dtype


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eps", default="1e-1,1e-3,1e-5")
    parser.add_argument("--rules", default=",".join(ORACLE_FOR_RULE))
    args = parser.parse_args(argv)
    epsilons = [float(e) for e in args.eps.split(",")]
    rules = args.rules.split(",")
    config = SampleConfig(seed=args.seed)
    counts = collections.Counter()  # (rule, dtype, eps, status) -> programs
    began = time.monotonic()
    ops = {(rule, eps): planted_op(rule, eps) for rule in rules for eps in epsilons}
    for index in range(args.programs):
        program = program_for_index(config, index)
        planted = planted_source(program, index)
        if planted is None:
            continue
        source, dtype = planted
        for (rule, eps), op in ops.items():
            if rule in ("jvp", "transpose") and not program.spec.float_argnums:
                continue
            setattr(plugins.EXTENSIONS, "planted", op)
            # grammar_built: the planted ``ext.planted`` is a bench-only function, not a registered op
            subject = Subject(ProgramSpec(grammar_built(source, program.function_name), program.spec.args))
            (verdict,) = run_oracles(subject, (ORACLE_FOR_RULE[rule],), seed=index)
            counts[rule, dtype, eps, verdict.status] += 1
        if (index + 1) % 10 == 0:
            print(f"{index + 1}/{args.programs} programs, {time.monotonic() - began:.0f} s", file=sys.stderr, flush=True)

    print(f"{args.programs} programs (seed {args.seed}), {time.monotonic() - began:.0f} s; "
          "caught / planted (skipped) per rule, dtype of the planted statement, and EPS")
    print(f"{'rule':<11}{'oracle':<20}{'dtype':<10}" + "".join(f"{f'EPS={e:g}':>18}" for e in epsilons))
    for rule in rules:
        for dtype in FLOAT_DTYPES:
            cells = []
            for eps in epsilons:
                caught, passed, skipped = (counts[rule, dtype, eps, s] for s in ("failed", "passed", "skipped"))
                judged = caught + passed
                cells.append(f"{caught}/{judged} ({skipped})" if judged + skipped else "-")
            print(f"{rule:<11}{ORACLE_FOR_RULE[rule]:<20}{dtype:<10}" + "".join(f"{c:>18}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
