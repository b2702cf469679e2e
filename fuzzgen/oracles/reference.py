"""The reference oracle: ``jax.jit(f)`` agrees with f computed by NumPy and SciPy, on edge inputs.

Every other oracle compares JAX with JAX, so an op that is wrong the same way eager and jit
(``jnp.heaviside(nan, h)`` returning ``h``) passes them all. Here the program's own source runs a
second time, with ``jnp``, ``lax`` and ``jax`` bound to namespaces of the NumPy/SciPy references
of the op records (`references`), on float64 copies of the inputs, and the inputs include edge
values (`edges`: nan, inf, -0.0, subnormals, the largest finite values).

What a correct float32 (or bfloat16) execution may return is the `envelope.Envelope` of several
such runs, each of which models rounding at every op (the arrays of a run are `Tracked`: every
operator, method and reference call goes through the run): one exact; one rounding each result to
the program's least precise dtype (which also overflows where that dtype does, intermediate terms
of sums included: a sum whose terms overflow may end as inf, -inf or nan, so it is marked nan,
and the class of any non-finite output after it is not judged); one that also treats
subnormals as zero, as XLA on CPU does; and
`NOISY_RUNS` perturbing each result by a few ulps of its scale. Discontinuous ops whose result
differs between runs mean the inputs lie within rounding of a jump: other inputs are drawn.

Judged: programs whose every call has a reference (anything else, a cast to an integer or
``.at[]`` say, makes the oracle skip, naming it). Programs under vmap are judged too (`vmapped`
maps the reference example by example), and ``jax.vmap``, ``jax.jit`` and ``jax.checkpoint``
written in the source have references. Integer and bool arguments are judged too: the reference computes in int64 and checks every integer result, so an input draw
whose arithmetic leaves int32 (which JAX wraps) or divides an integer by zero is passed over.
"""
from __future__ import annotations

import dataclasses
import functools
import math
from types import SimpleNamespace

import ml_dtypes
import numpy as np

from ..grammar import OPS
from ..grammar.ops import Call, Transform
from ..grammar.plugins import PLUGIN_REFERENCES
from ..program.trees import with_leaves
from ..trust.sandbox import load_function
from .arbitration import Outcome
from .edges import edge_inputs
from .envelope import noise_amplitude, spread
from .precision import is_floating, largest, overflow_threshold, smallest_normal
from .documented import Undefined, vectorized
from .references import REFERENCES, Reference, ieee_matmul
from .tracked import (
    EXACT_UFUNCS, JUMP_UFUNCS, QUOTIENT_UFUNCS, RUNS, SIGNLESS_UFUNCS, NoReference, Tracked, check_integers,
    current_run, inexact_of, marked, raw_of, tracked,
)
from .subject import Subject, flat_outputs

NOISY_RUNS = 6
DRAWS = 4  # edge-input draws judged per program
ORACLE = "reference"
PRECISION_ORDER = ("float64", "float32", "float16", "bfloat16")  # least precise last
DTYPE_NAMES = {"float32": np.float32, "float16": np.float16, "bfloat16": ml_dtypes.bfloat16, "int32": np.int32,
               "bool_": np.bool_, "float64": np.float64}
class _Run:
    """One float64 execution of the program through the references: exact, rounded, flushed,
    masked (`selected`) or noisy."""

    def __init__(self, mode: str, working, rng: np.random.Generator, range_dtype=None, sign: float | None = None):
        # ``working`` is the least precise dtype, ``range`` the one of least range: a program
        # mixing float16 and bfloat16 rounds like bfloat16 and overflows like float16.
        self.mode, self.working, self.rng = mode, np.dtype(working), rng
        self.range = np.dtype(range_dtype if range_dtype is not None else working)
        self.compute = self.range if self.range == np.float16 else self.working
        self.sites: list = []  # what decided each discontinuous op's branch, in call order
        # A noisy run with a sign pushes every result the same way, to the allowance's edge: after
        # an op that is not monotone (silu flattens negative values), random noise can miss it.
        self.sign = sign
        # Whether a sum overflowed on the way (its inf, -inf or nan marked nan): after that, a
        # non-finite output's class is no longer known, even where every run agrees on it.
        self.ambiguous = False

    def hold(self, value):
        """``value`` as the program's precision and range hold it."""
        value = np.asarray(value, np.float64)
        with np.errstate(all="ignore"):
            rounded = value.astype(self.working).astype(np.float64)
            return np.where(np.abs(rounded) > largest(self.range), np.copysign(np.inf, rounded), rounded)

    def literals(self, values):
        """Python float operands as the program's precision holds them (``1.000001`` is 1.0 in
        bfloat16): weak-typed literals take their partner's dtype."""
        if self.mode not in ("rounded", "flushed"):
            return values
        held = [np.float64(self.hold(v)) if type(v) is float else v for v in values]
        if self.mode == "flushed":  # 1e-6 is a float16 subnormal: 0 where XLA flushes it
            held = [np.float64(flush(v, self.range)) if type(v) is np.float64 else v for v in held]
        return type(values)(held)

    def ufunc(self, ufunc, method, raw, kwargs, result, inexact_operands: bool = False):
        if self.mode in ("rounded", "flushed") and any(type(v) is float for v in raw):
            raw = self.literals(raw)
            with np.errstate(all="ignore"):
                result = getattr(ufunc, method)(*raw, **kwargs)
        name = ufunc.__name__
        if method in ("reduce", "accumulate", "reduceat"):
            if name == "add":
                scale = np.abs(getattr(ufunc, method)(*[np.abs(r) if isinstance(r, np.ndarray) else r for r in raw],
                                                      **kwargs))
                terms = max(2, np.size(raw[0]) // max(1, np.size(result)))
                return self.finish(result, "sum", scale * (math.ceil(math.log2(terms)) + 1))
            if name == "multiply":
                return self.finish(result, "rounded", np.abs(result) * max(1, np.size(raw[0]) // max(1, np.size(result))))
            return self.finish(result, "exact")
        if name == "matmul":  # `@`: einsum's IEEE loops, not BLAS (`references.ieee_matmul`)
            a, b = raw
            with np.errstate(all="ignore"):
                result = ieee_matmul(a, b)
            terms = max(2, np.shape(a)[-1] if np.ndim(a) else 1)
            return self.finish(result, "sum", np.matmul(np.abs(a), np.abs(b)) * (math.ceil(math.log2(terms)) + 1))
        if name in JUMP_UFUNCS:
            self.sites.append(_site(name, raw, result, self))
            return self.finish(result, "exact" if name not in QUOTIENT_UFUNCS | {"arctan2"} else "rounded")
        if name in ("divide", "true_divide") and self.mode == "flushed":
            # XLA may divide by multiplying with the reciprocal (x / broadcast(y) -> x * (1 / y)),
            # whose flushed subnormal turns max / max into 0 and inf / max into nan.
            with np.errstate(all="ignore"):
                reciprocal = flush(self.hold(np.divide(1.0, raw[1])), self.range)
                result = np.multiply(raw[0], reciprocal)
        if name in SIGNLESS_UFUNCS or (method == "reduce" and name in ("maximum", "minimum")):
            return self.free_zero_sign(result)
        if name in ("add", "subtract") and method == "__call__" and self.mode == "noisy" and inexact_operands:
            # Operands computed with rounding carry it, and XLA may not round them alike where
            # this run does (x recomputed in two fusions, or a product contracted into the sum as
            # a fused multiply-add): x - max(x) errs by a few ulps of |x|, not of the difference.
            with np.errstate(all="ignore"):
                scale = np.abs(np.asarray(raw[0], np.float64)) + np.abs(np.asarray(raw[1], np.float64))
            return self.finish(result, "rounded", scale)
        return self.finish(result, "exact" if name in EXACT_UFUNCS else "rounded")

    def free_zero_sign(self, result):
        """An exact result whose zeros may have either sign: a random one in the noisy runs."""
        value = np.asarray(result)
        if self.mode == "noisy" and is_floating(value.dtype):
            signs = np.copysign(0.0, self.rng.uniform(-1.0, 1.0, np.shape(value)))
            value = np.where(value == 0, signs, value)
        return tracked(value)

    def call(self, reference: Reference, args, kwargs):
        if reference.kind == "composite":  # its NumPy operations run on this run's arrays, each as an op
            return tracked(reference.function(*tracked(args), **{k: raw_of(v) for k, v in kwargs.items()}))
        value = marked(self._call(reference, args, kwargs), reference.kind != "exact" or inexact_of(args))
        if isinstance(value, Tracked):  # a one-hot encoding is a mask; a mask reshaped stays one
            value.mask = reference.makes_mask or (reference.keeps_mask and bool(getattr(args[0], "mask", False))) \
                or value.dtype == np.bool_
        return value

    def _call(self, reference: Reference, args, kwargs):
        raw_args, raw_kwargs = self.literals(raw_of(args)), {k: raw_of(v) for k, v in kwargs.items()}
        if reference.in_working_dtype and self.mode in ("rounded", "flushed"):
            raw_args = type(raw_args)(np.asarray(a).astype(self.compute) if isinstance(a, np.ndarray)
                                      and is_floating(a.dtype) else a for a in raw_args)
        function = reference.on_xla_cpu if self.mode == "flushed" and reference.on_xla_cpu else reference.function
        with np.errstate(all="ignore"):
            result = function(*raw_args, **raw_kwargs)
        check_integers(getattr(reference.function, "__name__", ""), raw_args, result)
        with np.errstate(all="ignore"):
            scale = reference.scale(*raw_args, **raw_kwargs) if reference.scale is not None else None
            overflow = reference.overflow(*raw_args, **raw_kwargs) if reference.overflow is not None else None
        if reference.kind == "jump":
            name = getattr(reference.function, "__name__", "")
            self.sites.append(_site(name, raw_args, result, self))
            return self.finish(result, "rounded" if name in QUOTIENT_UFUNCS | {"arctan2"} else "exact")
        if reference.zero_sign_free:
            return self.free_zero_sign(result)
        return self.finish(result, reference.kind, scale, overflow)

    def finish(self, result, kind: str, scale=None, overflow=None):
        """``result`` as this run sees it: rounded, flushed or perturbed, unless exact."""
        if isinstance(result, (tuple, list)):
            return type(result)(self.finish(r, kind, scale, overflow) for r in result)
        value = np.asarray(result)
        if not is_floating(value.dtype) or self.mode in ("exact", "masked") or kind == "exact":
            return tracked(value)
        value = value.astype(np.float64)
        magnitude = np.abs(value) if scale is None else np.maximum(np.abs(np.asarray(scale, np.float64)), 0.0)
        with np.errstate(all="ignore"):
            if self.mode == "noisy":
                amplitude = noise_amplitude(self.working)
                direction = self.rng.uniform(-1.0, 1.0, np.shape(value)) if self.sign is None else self.sign
                value = value + amplitude * np.nan_to_num(magnitude) * direction
                if kind == "sum":  # the sign of a zero sum depends on the order of its terms
                    value = np.where(value == 0, np.copysign(0.0, self.rng.uniform(-1.0, 1.0, np.shape(value))), value)
            else:  # rounded or flushed: what the least precise dtype can hold
                # A result past the largest finite value overflows; a sum whose terms do may end
                # as inf, -inf or (inf - inf) nan, whatever its float64 value: nan marks it volatile.
                reached = magnitude if overflow is None else np.asarray(overflow, np.float64)
                overflows = np.nan_to_num(reached, posinf=np.inf) >= overflow_threshold(self.range)
                volatile = kind == "sum" or overflow is not None
                overflowed = np.nan if volatile else np.copysign(np.inf, value)
                value = np.where(overflows & (np.isfinite(value) | volatile), overflowed, value)
                self.ambiguous |= bool(volatile and np.any(overflows))
                value = self.hold(value)
                if self.mode == "flushed":
                    value = flush(value, self.range)
        return tracked(value)


def _site(name: str, raw, result, run: _Run):
    """What decides a discontinuous op's branch: equal across runs unless inputs are near a jump
    (or, in the flushed run, a quotient so small that XLA flushes it: ``-1.5 // 3e38`` is -1 in
    IEEE arithmetic and -0.0 where the subnormal quotient is flushed)."""
    if name in QUOTIENT_UFUNCS:
        if run.mode == "flushed":
            with np.errstate(all="ignore"):
                quotient = np.asarray(np.divide(*raw[:2]), np.float64)
            tiny = np.abs(run.hold(quotient)) < smallest_normal(run.range)
            return np.where(tiny & (quotient != 0), np.nan, np.floor_divide(*raw[:2]))
        return np.floor_divide(*raw[:2])
    if name == "heaviside":
        return np.sign(raw[0])
    if name == "arctan2":
        return np.signbit(raw[0]) & (np.asarray(raw[1]) < 0)
    return result


def flush(value: np.ndarray, working) -> np.ndarray:
    """Subnormals of ``working`` to zero of the same sign."""
    value = np.asarray(value, np.float64)
    return np.where(np.abs(value) < smallest_normal(working), np.copysign(0.0, value), value)


@functools.cache
def _warm_methods() -> None:
    """NumPy imports a method's implementation the first time it runs, through the calling frame's
    builtins; a checked program has none, so each method it may call runs once here first."""
    run = _Run("exact", np.float32, np.random.default_rng(0))
    RUNS.append(run)
    try:
        x = tracked(np.ones((2, 2)))
        for method in ("sum", "mean", "max", "min", "any", "all", "prod", "flatten"):
            getattr(x, method)()
        x.clip(0.0, 1.0), x.reshape(4), x.transpose(), x.T, x[0], x @ x  # noqa: B018 - run for their imports
    finally:
        RUNS.pop()


def vmapped(function, in_axes=0, out_axes=0):
    """``jax.vmap(function, in_axes, out_axes)`` as its definition says: ``function`` on each
    example (the slice at index k of every mapped operand's axis, an unmapped operand whole),
    the results stacked along a new axis at ``out_axes``. Every call runs through the run."""
    def batched(*args):
        axes = in_axes if isinstance(in_axes, (tuple, list)) else (in_axes,) * len(args)
        sizes = {np.shape(a)[axis] for a, axis in zip(args, axes) if axis is not None}
        if len(sizes) != 1:
            raise NoReference(f"vmap over mapped axes of sizes {sorted(sizes)}")
        results = [function(*(a if axis is None else tracked(np.take(a, k, axis=axis)) for a, axis in zip(args, axes)))
                   for k in range(sizes.pop())]
        return _stacked(results, out_axes)
    return batched


def _stacked(results, axis: int = 0):
    """Per-example results (arrays, or tuples and dicts of them) stacked leaf by leaf along ``axis``."""
    first = results[0]
    if isinstance(first, (tuple, list)):
        return type(first)(_stacked([r[i] for r in results], axis) for i in range(len(first)))
    if isinstance(first, dict):
        return {key: _stacked([r[key] for r in results], axis) for key in first}
    stacked = tracked(np.stack([raw_of(r) for r in results], axis=axis))
    stacked.inexact = inexact_of(results)
    return stacked


def _transform_reference(target: str):
    """The reference of a transform written in the source (`fuzzgen.grammar.catalog.transforms`):
    ``jax.jit`` and ``jax.checkpoint`` change no value, ``jax.vmap`` maps (`vmapped`),
    ``jnp.vectorize`` applies its scalar function to every element; grad and value_and_grad have
    none."""
    if target in ("jax.jit", "jax.checkpoint"):
        return lambda function, **_: function
    if target == "jax.vmap":
        return lambda function, in_axes=0, out_axes=0, **_: vmapped(function, in_axes, out_axes)
    if target == "jnp.vectorize":
        return vectorized
    return None


def reference_modules() -> dict:
    """``jnp``, ``lax``, ``jax`` and ``ext`` of the reference: one attribute per op record's call
    target with a reference (a plugin's, where it gave one), the transforms that have one
    (`_transform_reference`), and the dtype names constructors take."""
    roots = {"jnp": SimpleNamespace(**DTYPE_NAMES), "lax": SimpleNamespace(), "jax": SimpleNamespace(),
             "ext": SimpleNamespace()}
    for op in OPS:
        reference = REFERENCES.get(op.name)
        if op.name in PLUGIN_REFERENCES:
            reference = Reference(PLUGIN_REFERENCES[op.name])
        if isinstance(op.render, Transform):  # `jax.vmap`, `jnp.vectorize`: one level below their module
            transform = _transform_reference(op.render.target)
            if transform is not None:
                root, name = op.render.target.split(".")
                setattr(roots[root], name, transform)
            continue
        if reference is None or reference.function is None or not isinstance(op.render, Call):
            continue
        root, *path, name = op.render.target.split(".")
        node = roots[root]
        for part in path:
            if not hasattr(node, part):
                setattr(node, part, SimpleNamespace())
            node = getattr(node, part)
        setattr(node, name, _bound(reference))
    return roots


def _bound(reference: Reference):
    def call(*args, **kwargs):
        return current_run().call(reference, args, kwargs)
    return call


def working_dtypes(subject: Subject) -> tuple[np.dtype, np.dtype]:
    """The least precise floating dtype the program has (arguments, or named in its source), and
    the one of least range (float16's largest finite value is 65504, bfloat16's float32's)."""
    names = {a.dtype for a in subject.args} | {name for name in PRECISION_ORDER if name in subject.spec.text}
    names.add("float32")  # an integer program's floats are float32 (`x / 2`, `jnp.mean(x)`)
    precise = np.dtype(DTYPE_NAMES[[n for n in PRECISION_ORDER if n in names][-1]])
    return precise, np.dtype(np.float16) if "float16" in names else precise


def reference_runs(subject: Subject, inputs, seed: int):
    """The runs' outputs (exact first) and whether a discontinuous op's result differed between them."""
    _warm_methods()
    function = with_leaves(load_function(subject.spec.source, modules=reference_modules()), subject.args)
    if subject.spec.vmap_axes is not None:  # the program as the dataset lowers it, `jax.vmap` of the source's
        function = vmapped(function, tuple(subject.spec.vmap_axes))
    working, least_range = working_dtypes(subject)
    rng = np.random.default_rng([seed & 0xFFFFFFFF, 0x4EF])
    runs = [_Run(mode, working, rng, least_range) for mode in ("exact", "rounded", "flushed", "masked")]
    runs += [_Run("noisy", working, rng, least_range, sign) for sign in (1.0, -1.0)]
    runs += [_Run("noisy", working, rng, least_range) for _ in range(NOISY_RUNS - 2)]
    outputs = []
    for run in runs:
        widened = [tracked(_widened(x)) for x in inputs]
        if run.mode == "flushed":
            widened = [tracked(flush(x, least_range)) if is_floating(x.dtype) else x for x in widened]
        RUNS.append(run)
        try:
            with np.errstate(all="ignore"):
                result = function(*widened)
        except (NoReference, Undefined):
            raise
        except AttributeError as error:  # a call target without a reference
            raise NoReference(repr(error.name) if error.name else str(error)[:120]) from None
        except Exception as error:  # noqa: BLE001 - NumPy refusing is no finding about JAX
            raise NoReference(f"{type(error).__name__}: {str(error)[:120]}") from None
        finally:
            RUNS.pop()
        outputs.append([np.asarray(raw_of(leaf), np.float64) for leaf in _leaves(result)])
    jumped = any(not all(_same(run.sites[i], runs[0].sites[i]) for run in runs[1:]) for i in range(len(runs[0].sites)))
    return outputs, jumped, any(run.ambiguous for run in runs)


def _widened(value) -> np.ndarray:
    """An input as the reference computes with it: float64, int64 (int32 wrapping is checked op
    by op instead, `Undefined`) or bool."""
    value = np.asarray(value)
    if value.dtype.kind in "iu":
        return value.astype(np.int64)
    return value if value.dtype.kind == "b" else value.astype(np.float64)


def judging_envelope(outputs, dtypes, ambiguous: bool):
    """The runs' `spread`; after an overflowed sum (``ambiguous``), the elements every run left
    non-finite are volatile: which of inf, -inf and nan comes out is not judged."""
    envelope = spread(outputs, dtypes, None)
    if not ambiguous:
        return envelope
    return dataclasses.replace(envelope, near_overflow=[
        near | ~np.isfinite(exact) for near, exact in zip(envelope.near_overflow, envelope.exact)])


def _leaves(result) -> list:
    if isinstance(result, (tuple, list)):
        return [leaf for item in result for leaf in _leaves(item)]
    if isinstance(result, dict):
        return [leaf for key in sorted(result) for leaf in _leaves(result[key])]
    return [result]


def _same(a, b) -> bool:
    return np.shape(a) == np.shape(b) and bool(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True))


def reference_oracle(subject: Subject, seed: int):
    """``jax.jit(f)`` on edge inputs lies within the NumPy reference's envelope."""
    from .verdict import mismatch, passed, skipped

    def attempt(input_seed: int) -> Outcome:
        return _judge_draw(subject, edge_inputs(subject.args, input_seed), input_seed)

    # NumPy's runs cost little next to compiling, so several edge draws are judged: the first
    # wrong one decides; draws within rounding of a jump are passed over.
    near = None
    judged = 0
    for draw in range(DRAWS):
        outcome = attempt(seed + draw * 1_000_003)
        if outcome.problem:
            return mismatch(ORACLE, outcome.problem)
        if outcome.unsupported:
            return skipped(ORACLE, outcome.unsupported)
        if outcome.near_jump:
            near = outcome.near_jump
        else:
            judged += 1
    if not judged:
        return skipped(ORACLE, f"every input draw lay within rounding of a jump of {near}")
    return passed(ORACLE, f"{judged} of {DRAWS} edge-input draws judged")


def _judge_draw(subject: Subject, inputs, input_seed: int) -> Outcome:
    """One input draw: jit's outputs against the envelope of the NumPy runs."""
    actual = flat_outputs(subject.compiled("forward")(*inputs))
    try:
        outputs, jumped, ambiguous = reference_runs(subject, inputs, input_seed)
    except NoReference as error:
        return Outcome(unsupported=f"no NumPy reference for {error}")
    except Undefined as error:
        return Outcome(near_jump=str(error))
    if jumped:
        return Outcome(near_jump="a discontinuous op")
    if len(outputs[0]) != len(actual) or any(np.shape(r) != np.shape(a) for r, a in zip(outputs[0], actual)):
        return Outcome(problem=f"jit returned shapes {[np.shape(a) for a in actual]}, the NumPy reference "
                               f"{[np.shape(r) for r in outputs[0]]}")
    envelope = judging_envelope(outputs, [a.dtype for a in actual], ambiguous)
    for index, value in enumerate(actual):
        wrong = envelope.violations(index, value)
        if np.any(wrong):
            where = tuple(int(i) for i in np.argwhere(wrong)[0])
            return Outcome(problem=_describe(index, where, value, envelope, inputs))
    return Outcome()




def _describe(index, where, value, envelope, inputs) -> str:
    def at(values):
        return float(np.asarray(values, np.float64)[where]) if np.ndim(values) else float(values)

    position = f"[{', '.join(map(str, where))}]" if where else ""
    shown = ", ".join(np.array2string(np.asarray(x), precision=6, threshold=8) for x in inputs)
    return (f"output {index}{position}: jit gives {at(value):.9g}, NumPy/SciPy {at(envelope.exact[index]):.9g} "
            f"(within rounding: {at(envelope.low[index]):.9g} to {at(envelope.high[index]):.9g}); "
            f"inputs {shown}")[:1500]
