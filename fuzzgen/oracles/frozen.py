"""A function with its ``lax.stop_gradient`` results held fixed: what the gradient of a program
that stops gradients is the derivative of.

``lax.stop_gradient(e)`` is the identity forward, so central differences of ``f`` itself see the
derivative through ``e`` that the program hides (``x + stop_gradient(round(x) - x)`` has
gradient 1, the differences of ``round(x)`` are 0 or a jump). `frozen_at(f, x)` evaluates f's
jaxpr once at ``x``, records every ``stop_gradient`` result, and returns the function of the
same inputs in which those results are the recorded constants: its central differences at ``x``
are the derivative JAX's rules must compute. It only evaluates equations (no JVP, transpose or
batching rule takes part), so it stays an independent reference.

A stop_gradient inside a call (``jit``, ``checkpoint``, ``custom_jvp``: evaluated once per call)
is frozen too. Inside a loop or branch body the grammar draws none (`fuzzgen.grammar.idioms.stopped`
is a top-level step); JAX's own there (``jax.nn.softmax`` subtracts a stopped maximum, a shift
its result does not depend on) are evaluated as they are, as they were before this module.
"""
from __future__ import annotations

import jax
from jax.extend import core as jex_core

from ..jaxcompat import bind_equation
from .envelope import CALL_PARAMS

STOP = "stop_gradient"


def stops_gradients(jaxpr) -> bool:
    """Whether ``jaxpr`` (a Jaxpr or ClosedJaxpr) has a stop_gradient this module freezes."""
    jaxpr = getattr(jaxpr, "jaxpr", jaxpr)
    return any(eqn.primitive.name == STOP or (_call_body(eqn) is not None and stops_gradients(_call_body(eqn)))
               for eqn in jaxpr.eqns)


def frozen_at(f, x):
    """``f`` (of the arrays ``x``) with its stop_gradient results fixed at ``x``; ``f`` itself
    where it stops no gradient."""
    closed = jax.make_jaxpr(f)(*x)
    if not stops_gradients(closed):
        return f
    out_tree = jax.tree_util.tree_structure(jax.eval_shape(f, *x))
    recorded: list = []
    _evaluate(closed.jaxpr, closed.consts, list(x), lambda value: recorded.append(value) or value)

    def frozen(*point):
        replay = iter(recorded)
        outs = _evaluate(closed.jaxpr, closed.consts, list(point), lambda value: next(replay))
        return jax.tree_util.tree_unflatten(out_tree, outs)

    return frozen


def _call_body(eqn):
    """The sub-jaxpr of a call primitive (same semantics, evaluated once per call), or None."""
    param = CALL_PARAMS.get(eqn.primitive.name)
    return None if param is None else eqn.params.get(param)


def _evaluate(jaxpr, consts, args, stopped):
    """Evaluate ``jaxpr`` equation by equation; each stop_gradient result is ``stopped(value)``."""
    env = {}

    def read(var):
        return var.val if isinstance(var, jex_core.Literal) else env[var]

    for var, value in zip(jaxpr.constvars, consts):
        env[var] = value
    for var, value in zip(jaxpr.invars, args):
        env[var] = value
    for eqn in jaxpr.eqns:
        invals = [read(var) for var in eqn.invars]
        body = _call_body(eqn)
        if eqn.primitive.name == STOP:
            outvals = [stopped(invals[0])]
        elif body is not None and stops_gradients(body):
            outvals = _evaluate(getattr(body, "jaxpr", body), getattr(body, "consts", ()), invals, stopped)
        else:
            outvals = bind_equation(eqn, invals)
        for var, value in zip(eqn.outvars, outvals):
            env[var] = value
    return [read(var) for var in jaxpr.outvars]
