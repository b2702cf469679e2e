"""Gradient oracles, in the manner of ∇Fuzz: reverse mode vs forward mode vs numerical differences.

Both run in a float64 reference pass (``jax.enable_x64``, floating inputs drawn in float64), which
checks JAX's differentiation rules free of low-precision noise: JAX's fixed finite-difference step
gives zero differences in float16/bfloat16 (jax issue 7742). Low-precision gradients are checked
by the differential oracles, which compare eager, jit, vmap and exported gradients.

Each check projects the Jacobian J at x on random directions: a tangent v over the floating
arguments and a cotangent u over the output (the first u is all ones: ``grad(sum(f))``, the
gradient the dataset lowers). Forward mode gives <u, J v> from ``jvp``, reverse mode
<vjp(u), v>, and central differences of t -> <u, f(x + t v)> the numerical value (of f with its
``lax.stop_gradient`` results held at their values at x: `frozen.frozen_at`).
"""
from __future__ import annotations

from dataclasses import dataclass

import jax
import numpy as np

from ..jaxcompat import enable_x64
from ..lowering.lower import flat_output, nested_jaxprs
from .frozen import frozen_at
from .inputs import random_like
from .limitations import limitation_for
from .subject import Subject
from .verdict import Verdict, mismatch, passed, skipped

PROJECTIONS = 3
STEP = 1e-3
FRACTIONS = (-1.0, -0.5, -0.25, 0.0, 0.25, 0.5, 1.0)  # of the step: where the curve is sampled
# The step is shrunk until forward mode predicts the output moves by at most this share of its
# size: cos(prod(x)) with a product near 1e5 oscillates many times within STEP, and seven samples
# of it alias into a smooth-looking curve.
MAX_CHANGE = 1e-2
# forward vs reverse: the same linear map computed two ways in float64. Relative to the terms of
# both inner products, plus a floor relative to |u| |v| for cancellation inside the linear map
# (arctan2(v, v) has derivative 0, computed as the difference of two equal terms).
ADJOINT_RTOL = 1e-7
ADJOINT_ATOL = 1e-12
# AD vs Richardson-extrapolated central differences, beyond the differences' own uncertainty
GRADIENT_RTOL = 1e-5
# a direction whose one-sided differences disagree by more than this share is not smooth there
KINK_SHARE = 0.05
EPS64 = float(np.finfo(np.float64).eps)


@dataclass(frozen=True)
class Projection:
    forward: float  # <u, J v>
    reverse: float  # <vjp(u), v>
    scale: float  # sum of |terms| of both inner products: what rounding is relative to
    size: float  # sum |u| times sum |v|: a floor for rounding inside the linear map
    curve: dict  # f -> <u, f(x + f * step * v)>, for f in FRACTIONS
    output_scale: float  # sum |u * f(x)|
    step: float = STEP  # the difference step along v, shrunk for fast-varying functions


def projections(subject: Subject, seed: int) -> list[Projection] | str:
    """The float64 projections at the reference inputs for ``seed``, or why there are none."""
    cache = subject.cache.setdefault("projections", {})
    if seed not in cache:
        cache[seed] = _compute(subject, seed)
    return cache[seed]


def _compute(subject: Subject, seed: int):
    argnums = subject.float_argnums
    with enable_x64(True):
        inputs = subject.reference_inputs(seed)

        def of_floats(function):
            """``function`` of the floating inputs alone, its result as one array (a tree
            result's leaves joined: every leaf's derivatives are checked)."""
            def f(*floats):
                full = list(inputs)
                for position, value in zip(argnums, floats):
                    full[position] = value
                return flat_output(function(*full))
            return f

        f = of_floats(subject.function)

        x = [inputs[i] for i in argnums]
        try:
            y_shape = jax.eval_shape(f, *x)
        except (TypeError, ValueError) as error:
            # The program fixes a dtype narrower than float64 where JAX requires at least the
            # inputs' (`preferred_element_type=jnp.float32`): valid at its own dtypes, which the
            # crash and differential oracles judge, but not at float64.
            return f"the program does not trace with float64 inputs ({str(error).splitlines()[0][:120]})"
        rounded = _rounds_to_low_precision(jax.make_jaxpr(f)(*x))
        if rounded:
            # x.astype(jnp.bfloat16) of a traced value: JAX rounds tangents and cotangents at the
            # cast's dtype, so <u, J v> and <J^T u, v> differ by that rounding, and the function is
            # a staircase at its steps (as reduce_precision is: `limitations`).
            return (f"the program rounds a traced value to {rounded} (a cast): its derivatives are exact "
                    f"only up to {rounded} rounding, which float64 checks cannot allow for")
        # Only a program with a stop_gradient somewhere is loaded marked and traced again.
        differenced = frozen_at(of_floats(subject.marked_function), x) if "stop_gradient" in subject.primitives else f
        us = [np.ones(y_shape.shape) if k == 0 else random_like([np.zeros(y_shape.shape)], seed, 2 * k)[0]
              for k in range(PROJECTIONS)]
        vs = [random_like(x, seed, 2 * k + 1) for k in range(PROJECTIONS)]

        def points(steps):
            moved = [[xi + f * step * vi for xi, vi in zip(x, v)] for v, step in zip(vs, steps) for f in FRACTIONS]
            return [np.stack([point[i] for point in moved]) for i in range(len(x))]

        @jax.jit
        def probe(xs, tangents, cotangents, moved):
            """Every JVP, VJP and difference point in one compiled function: compiling dominates
            the cost. ``linearize`` is forward mode (JVP rules, partially evaluated); ``lax.map``
            evaluates f at each point in a loop, so no batching rule takes part."""
            y, push = jax.linearize(f, *xs)
            _, pullback = jax.vjp(f, *xs)
            values = jax.lax.map(lambda point: differenced(*point), moved)
            return y, [push(*v) for v in tangents], [pullback(u.astype(y.dtype)) for u in cotangents], values

        steps = [STEP] * PROJECTIONS
        y, jvps, vjps, values = probe(tuple(x), [tuple(v) for v in vs], us, points(steps))
        y = np.asarray(y, dtype=np.float64)
        if not np.all(np.isfinite(y)):
            return "the float64 result is not finite at these inputs"
        for k, (u, jv) in enumerate(zip(us, jvps)):
            predicted = np.sum(np.abs(u * np.asarray(jv, np.float64)))
            budget = MAX_CHANGE * np.sum(np.abs(u) * (np.abs(y) + 1.0))
            if np.isfinite(predicted) and predicted * STEP > budget:
                steps[k] = budget / predicted
        if min(steps) < STEP:  # same shapes: the compiled probe is reused
            _, _, _, values = probe(tuple(x), [tuple(v) for v in vs], us, points(steps))
        values = np.asarray(values, dtype=np.float64)
        out = []
        for k, (u, v, jv, cotangents) in enumerate(zip(us, vs, jvps, vjps)):
            forward_terms = u * np.asarray(jv, dtype=np.float64)
            reverse_terms = [np.asarray(c, np.float64) * t for c, t in zip(cotangents, v)]
            curve = {f: float(np.sum(u * values[k * len(FRACTIONS) + j])) for j, f in enumerate(FRACTIONS)}
            out.append(Projection(
                forward=float(np.sum(forward_terms)),
                reverse=float(sum(np.sum(r) for r in reverse_terms)),
                scale=float(np.sum(np.abs(forward_terms)) + sum(np.sum(np.abs(r)) for r in reverse_terms)),
                curve=curve, output_scale=float(np.sum(np.abs(u * y))),
                size=float(np.sum(np.abs(u)) * sum(np.sum(np.abs(t)) for t in v)), step=steps[k],
            ))
        return out


def _projections_or_skip(oracle: str, subject: Subject, seed: int):
    """The projections both derivative oracles check, or the skip saying why there are none: no
    reverse mode, a declared limitation, or no usable projection."""
    if subject.spec.forward_only:
        return skipped(oracle, subject.spec.forward_only)
    limitation = limitation_for(oracle, subject.primitives)
    if limitation:
        return skipped(oracle, limitation.reason)
    found = projections(subject, seed)
    return skipped(oracle, found) if isinstance(found, str) else found


def forward_vs_reverse(subject: Subject, seed: int):
    """<u, jvp(v)> equals <vjp(u), v>: the transpose rules agree with the JVP rules."""
    found = _projections_or_skip("forward_vs_reverse", subject, seed)
    if isinstance(found, Verdict):
        return found
    for k, p in enumerate(found):
        if not (np.isfinite(p.forward) and np.isfinite(p.reverse)):
            continue  # an infinite derivative at a finite value: no identity to check
        allowed = ADJOINT_RTOL * p.scale + ADJOINT_ATOL * p.size
        if abs(p.forward - p.reverse) > allowed:
            return mismatch("forward_vs_reverse",
                            f"projection {k}: forward mode <u, J v> = {p.forward:.9g}, reverse mode <J^T u, v> = "
                            f"{p.reverse:.9g} (float64, allowed difference {allowed:.3g})")
    return passed("forward_vs_reverse")


def gradient(subject: Subject, seed: int):
    """Forward and reverse mode agree with central differences, where the function is smooth."""
    found = _projections_or_skip("gradient", subject, seed)
    if isinstance(found, Verdict):
        return found
    smooth = 0
    for k, p in enumerate(found):
        estimate = _numerical(p)
        if estimate is None:
            continue
        numerical, uncertainty, magnitude = estimate
        smooth += 1
        # The same floor as forward_vs_reverse: a derivative that cancels to 0 exactly (the sum of a
        # layer norm's outputs does not depend on its inputs) is computed as a difference of
        # terms, each rounded relative to their own size, not to the result's.
        allowed = (2 * uncertainty + GRADIENT_RTOL * max(magnitude, abs(p.forward), abs(p.reverse))
                   + ADJOINT_ATOL * p.size)
        for mode, value in (("reverse", p.reverse), ("forward", p.forward)):
            if abs(value - numerical) > allowed:
                return mismatch("gradient",
                                f"projection {k}: {mode} mode gives {value:.9g}, central differences "
                                f"{numerical:.9g} (float64, allowed difference {allowed:.3g})")
    if not smooth:
        return skipped("gradient", "every direction crosses a kink or jump, or a derivative is not finite")
    return passed("gradient")


LOW_PRECISION = ("float16", "bfloat16")


def _rounds_to_low_precision(jaxpr, tainted=None) -> str | None:
    """The low-precision float dtype to which ``jaxpr`` converts a float value computed from its
    inputs (the floating arguments), or None: a cast of a constant (``jnp.float16(3.0)``, a one-hot
    code of int labels) carries no tangent. Nested jaxprs reached by such a value are searched
    with every input counted."""
    jaxpr = getattr(jaxpr, "jaxpr", jaxpr)
    tainted = set(jaxpr.invars) if tainted is None else tainted
    for eqn in jaxpr.eqns:
        if not any(not hasattr(v, "val") and v in tainted for v in eqn.invars):
            continue
        if eqn.primitive.name == "convert_element_type":
            new, old = np.dtype(eqn.params["new_dtype"]), np.dtype(eqn.invars[0].aval.dtype)
            if new.name in LOW_PRECISION and jax.numpy.issubdtype(old, jax.numpy.floating) and old.itemsize > 2:
                return new.name
        for sub in nested_jaxprs(eqn):
            found = _rounds_to_low_precision(sub)
            if found:
                return found
        tainted.update(eqn.outvars)
    return None


def _numerical(p: Projection):
    """Richardson-extrapolated central difference, its uncertainty and magnitude; None where the
    curve is not smooth enough on [-STEP, STEP] to tell (a kink, a jump, a huge curvature)."""
    if not (np.isfinite(p.forward) and np.isfinite(p.reverse)) or not all(np.isfinite(list(p.curve.values()))):
        return None
    c, h = p.curve, p.step

    def central(f):
        return (c[f] - c[-f]) / (2 * f * h)

    def one_sided_gap(f):  # forward minus backward difference: h * f'' where smooth, the jump at a kink
        return abs((c[f] - c[0.0]) / (f * h) - (c[0.0] - c[-f]) / (f * h))

    d1, d2, d4 = central(1.0), central(0.5), central(0.25)
    r1, r2 = (4 * d2 - d1) / 3, (4 * d4 - d2) / 3
    rounding = 64 * EPS64 * (p.output_scale + abs(c[0.0])) / (h / 4)
    uncertainty = one_sided_gap(1.0) + one_sided_gap(0.25) + abs(d1 - d2) + abs(d2 - d4) + abs(r1 - r2) + rounding
    magnitude = max(abs(r2), p.scale / 2)
    if uncertainty > KINK_SHARE * magnitude + rounding:
        return None
    return r2, uncertainty, magnitude

