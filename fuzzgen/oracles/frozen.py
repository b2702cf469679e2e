"""A function with the program's own ``lax.stop_gradient`` results held fixed: what the gradient
of a program that stops gradients is the derivative of.

``lax.stop_gradient(e)`` is the identity forward, so central differences of ``f`` itself see the
derivative through ``e`` that the program hides (``x + stop_gradient(round(x) - x)`` has
gradient 1, the differences of ``round(x)`` are 0 or a jump). `frozen_at(f, x)` evaluates f's
jaxpr once at ``x``, records the results of the program's stop_gradients, and returns the
function of the same inputs in which those results are the recorded constants: its central
differences at ``x`` are the derivative JAX's rules must compute. It only evaluates equations (no
JVP, transpose or batching rule takes part), so it stays an independent reference.

Only the stop_gradients the source writes are held: the oracle loads the source with its
``lax.stop_gradient`` calls marked (`marked_stop_gradient`, a named scope on the equation). JAX's
library code stops gradients as an implementation device (``jnp.linalg.solve`` factors
``stop_gradient(a)`` and differentiates through ``custom_linear_solve``'s matvec instead); holding
those would change the function. A marked stop_gradient inside a call (``jit``, ``checkpoint``,
``custom_jvp``: evaluated once per call) is held too; the grammar draws none inside a loop or
branch body (`fuzzgen.grammar.idioms.stopped` is a top-level step).
"""
from __future__ import annotations

import jax
from jax import lax
from jax.extend import core as jex_core

from ..jaxcompat import bind_equation
from .envelope import CALL_PARAMS

STOP = "stop_gradient"
SCOPE = "fuzzgen_stopped"  # the named scope that marks the source's own stop_gradients


def marked_stop_gradient(value):
    """``lax.stop_gradient`` with its equation in the named scope `SCOPE`."""
    with jax.named_scope(SCOPE):
        return lax.stop_gradient(value)


def _is_marked_stop(eqn) -> bool:
    return eqn.primitive.name == STOP and SCOPE in str(eqn.source_info.name_stack)


def stops_gradients(jaxpr) -> bool:
    """Whether ``jaxpr`` (a Jaxpr or ClosedJaxpr) has a marked stop_gradient this module holds."""
    jaxpr = getattr(jaxpr, "jaxpr", jaxpr)
    return any(_is_marked_stop(eqn) or (_call_body(eqn) is not None and stops_gradients(_call_body(eqn)))
               for eqn in jaxpr.eqns)


def frozen_at(f, x):
    """``f`` (of the arrays ``x``) with its marked stop_gradient results fixed at ``x``; ``f``
    itself where it has none."""
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
        if _is_marked_stop(eqn):
            outvals = [stopped(invals[0])]
        elif body is not None and stops_gradients(body):
            outvals = _evaluate(getattr(body, "jaxpr", body), getattr(body, "consts", ()), invals, stopped)
        else:
            outvals = bind_equation(eqn, invals)
        for var, value in zip(eqn.outvars, outvals):
            env[var] = value
    return [read(var) for var in jaxpr.outvars]
