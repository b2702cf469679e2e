"""A standalone reproducer for a finding: a script of plain JAX and NumPy, no fuzzgen import, that a
user can paste into a JAX bug report.

The script holds the program's source, the inputs the oracle drew (as literals, exactly), and a
check in the oracle's terms: two executions that must agree, or stages that must not raise. It
exits 1 after a line starting ``REPRODUCED`` when the failure shows, 0 when it does not. The
driver runs it once in a fresh interpreter and records whether it reproduced: the check here is a
plain tolerance, not the oracle's float64 envelope, so it can miss what the oracle saw.

Programs that call plugin ops (``ext.*``) and the vmap oracle (whose batching draws are the
oracle's own) get no script: `reproducer` returns None and says why in `unsupported_reason`.
"""
from __future__ import annotations

import subprocess
import sys

import numpy as np

from ..jaxcompat import REDUCED_OPTIMIZATION_SETS, reduced_set_of
from ..oracles.inputs import draw_inputs
from ..program.spec import ProgramSpec
from ..program.trees import has_trees, rebuild

SUPPORTED = ("crash", "eager_vs_jit", "xla_opt", "export", "gradient", "forward_vs_reverse")
RUN_TIMEOUT = 300.0

HEADER = '''"""Reproducer for a failure of fuzzgen's {oracle} oracle (what it saw: FOUND below).

Found by fuzzgen's fuzzer on jax {jax} / jaxlib {jaxlib} ({platform}). Plain JAX and NumPy.
Exit status 1 after a line starting REPRODUCED: the failure shows; 0: it does not.
"""
import sys
import traceback

import numpy as np
import jax
import jax.numpy as jnp
from jax import lax
{x64}

FOUND = {error}

{source}
f = {function}
xs = [
{inputs}
]
float_argnums = {float_argnums}


def gradient(*args):
    """The gradient fuzzgen checks: of the sum of f, with respect to every floating argument."""
    return jax.grad(lambda *a: jnp.sum(f(*a)), argnums=float_argnums)(*args)


def leaves(value):
    return [np.asarray(leaf, np.float64) for leaf in jax.tree_util.tree_leaves(value)]


def report_difference(name_a, a, name_b, b, relative):
    for k, (x, y) in enumerate(zip(leaves(a), leaves(b))):
        with np.errstate(invalid="ignore"):
            bad = ~(np.isclose(x, y, rtol=relative, atol=relative, equal_nan=True))
        if np.any(bad):
            i = tuple(int(j) for j in np.argwhere(bad)[0]) if np.ndim(bad) else ()
            print(f"REPRODUCED: output {{k}} at {{list(i)}}: {{name_a}} {{x[i]!r}}, {{name_b}} {{y[i]!r}}")
            sys.exit(1)


TOLERANCE = {tolerance!r}  # relative, for the program's lowest precision
'''

CHECKS = {
    "crash": '''
for name, function in [("forward", f), ("backward", gradient)]:
    try:
        jax.block_until_ready(jax.jit(function).lower(*xs).compile()(*xs))
    except Exception:
        traceback.print_exc()
        print(f"REPRODUCED: tracing, lowering, compiling or running the {name} function raised")
        sys.exit(1)
print("not reproduced")
''',
    "eager_vs_jit": '''
for name, function in [("forward", f), ("backward", gradient)]:
    report_difference(f"eager {name}", function(*xs), f"jit {name}", jax.jit(function)(*xs), TOLERANCE)
print("not reproduced")
''',
    "xla_opt": '''
OPTIONS = __OPTIONS__
for name, function in [("forward", f), ("backward", gradient)]:
    lowered = jax.jit(function).lower(*xs)
    try:
        unoptimized = lowered.compile(compiler_options=OPTIONS)
    except Exception:  # this jaxlib cannot take a repeated option through compiler_options
        unoptimized = lowered.compile(compiler_options={"xla_backend_optimization_level": 0})
    report_difference(f"optimized {name}", lowered.compile()(*xs), f"unoptimized {name}", unoptimized(*xs), TOLERANCE)
print("not reproduced")
''',
    "export": '''
try:
    from jax import export
except ImportError:
    from jax.experimental import export
for name, function in [("forward", f), ("backward", gradient)]:
    restored = export.deserialize(export.export(jax.jit(function))(*xs).serialize())
    report_difference(f"jit {name}", jax.jit(function)(*xs), f"exported {name}", restored.call(*xs), TOLERANCE)
print("not reproduced")
''',
    "gradient": '''
# jax.grad against central differences of the same program in float64
wide = [x.astype(np.float64) if np.issubdtype(x.dtype, np.floating) or x.dtype == jnp.bfloat16 else x for x in xs]
grads = gradient(*xs)
for k, position in enumerate(float_argnums):
    numeric = np.zeros(xs[position].shape)
    for i in np.ndindex(xs[position].shape):
        step = 1e-6 * max(1.0, abs(float(wide[position][i])))
        up, down = [w.copy() for w in wide], [w.copy() for w in wide]
        up[position][i] += step
        down[position][i] -= step
        numeric[i] = (float(jnp.sum(f(*up))) - float(jnp.sum(f(*down)))) / (2 * step)
    report_difference(f"jax.grad wrt argument {{position}}", grads[k], "float64 central differences", numeric,
                      max(TOLERANCE, 1e-2))
print("not reproduced")
''',
    "forward_vs_reverse": '''
# <vjp(u), v> must equal <u, jvp(v)> for random u, v
rng = np.random.default_rng(0)
primals = [xs[p] for p in float_argnums]


def of_floats(*floats):
    full = list(xs)
    for p, value in zip(float_argnums, floats):
        full[p] = value
    return f(*full)


tangents = [rng.standard_normal(x.shape).astype(x.dtype) for x in primals]
out, jvp_out = jax.jvp(of_floats, primals, tangents)
cotangent = rng.standard_normal(np.shape(out)).astype(np.asarray(out).dtype)
_, vjp = jax.vjp(of_floats, *primals)
left = sum(float(np.sum(np.asarray(g, np.float64) * np.asarray(t, np.float64))) for g, t in zip(vjp(cotangent), tangents))
right = float(np.sum(np.asarray(cotangent, np.float64) * np.asarray(jvp_out, np.float64)))
report_difference("<vjp(u), v>", np.array(left), "<u, jvp(v)>", np.array(right), max(TOLERANCE, 1e-3))
print("not reproduced")
''',
}

_EPS = {"float32": 2.0**-23, "float16": 2.0**-10, "bfloat16": 2.0**-7, "float64": 2.0**-52}


def unsupported_reason(spec: ProgramSpec, oracle: str) -> str | None:
    if oracle not in SUPPORTED:
        return f"no standalone reproducer for the {oracle} oracle yet"
    if "ext." in spec.text:
        return "the program calls plugin ops (ext.*), which a standalone script cannot import"
    return None


def reproducer(spec: ProgramSpec, oracle: str, error: str, input_seed: int, versions: dict,
               platform: str = "CPU") -> str | None:
    """The script for ``spec`` failing ``oracle`` on the inputs of ``input_seed``, or None."""
    if unsupported_reason(spec, oracle):
        return None
    import jax.numpy  # noqa: F401 - registers bfloat16 with NumPy

    inputs = draw_inputs(spec.args, input_seed)
    function = spec.function_name
    source = spec.text.rstrip() + "\n"
    if has_trees(spec.args):  # xs are leaves, as the oracle fed them; the program takes its trees whole
        function = "on_leaves"
        source += (f"\n\ndef on_leaves(*leaves):\n    \"\"\"{spec.function_name} with its tree arguments built from "
                   f"their leaves (xs, in jax.tree_util.tree_leaves order).\"\"\"\n"
                   f"    return {spec.function_name}({_rebuilt(spec.args)})\n")
    if spec.vmap_axes is not None:
        function = f"jax.vmap({function}, in_axes={tuple(spec.vmap_axes)!r})"
    if spec.forward_only and oracle not in ("crash", "eager_vs_jit", "xla_opt"):
        return None
    check = CHECKS[oracle]
    if spec.forward_only:  # no reverse mode: judge the function alone, as the oracles do
        check = check.replace('[("forward", f), ("backward", gradient)]', '[("forward", f)]')
    lowest = max((_EPS.get(a.dtype, 0.0) for a in spec.args), default=_EPS["float32"])
    text = HEADER.format(
        oracle=oracle, error=repr(error.splitlines()[0][:300] if error else ""), jax=versions.get("jax_version", "?"),
        jaxlib=versions.get("jaxlib_version", "?"), platform=platform,
        x64='jax.config.update("jax_enable_x64", True)  # the float64 reference; xs keep their own dtypes'
        if oracle == "gradient" else "",
        source=source, function=function,
        inputs="\n".join(f"    {_literal(value)}," for value in inputs),
        float_argnums=tuple(spec.float_argnums), tolerance=max(16 * lowest, 1e-5))
    return text + check.replace("__OPTIONS__", repr(REDUCED_OPTIMIZATION_SETS[reduced_set_of(spec.text)]))


class _Leaf:
    def __init__(self, position: int):
        self.position = position

    def __repr__(self) -> str:
        return f"leaves[{self.position}]"


def _rebuilt(args) -> str:
    """The program's arguments as Python text over ``leaves``: ``leaves[0], {'b': leaves[1], ...}``."""
    return ", ".join(map(repr, rebuild(args, [_Leaf(k) for k in range(len(args))])))


def _literal(value: np.ndarray) -> str:
    """An exact literal for ``value``: its elements' shortest float64 reprs, its dtype and shape."""
    dtype = str(value.dtype)
    floating = value.dtype.kind == "f" or dtype == "bfloat16"
    numbers = "[" + ", ".join(repr(float(v)) if floating else str(int(v)) for v in np.asarray(value).reshape(-1)) + "]"
    constructor = "jnp.bfloat16" if dtype == "bfloat16" else f"np.{dtype}"
    return f"np.array({numbers}, dtype={constructor}).reshape({tuple(value.shape)!r})"


def reproduces(script: str, timeout: float = RUN_TIMEOUT) -> bool:
    """Run ``script`` in a fresh interpreter (isolated, with a time budget): did it reproduce?"""
    try:
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False
    return result.returncode < 0 or (result.returncode == 1 and "REPRODUCED" in result.stdout)
