"""Every difference between the JAX releases fuzzgen supports, in one place.

fuzzgen runs on jax/jaxlib 0.4.30 through 0.10.2: a fuzzer must run on the JAX its user wants
to test, and old releases are where the known, since-fixed bugs are. Code elsewhere imports what
differs from here, and never looks at a version number itself.

The lock (`LOCKED`, also ``requirements.lock`` at the project root) is the one tested set that
makes datasets byte-reproducible; `fuzzgen --version` prints it next to the running versions.
"""
from __future__ import annotations

import contextlib

import importlib.metadata
import re

SUPPORTED = ("0.4.30", "0.10.2")  # oldest and newest jax (and jaxlib) release fuzzgen runs on
LOCKED = {"jax": "0.10.2", "jaxlib": "0.10.2"}  # what `requirements.lock` pins: the reproducible set


def version_tuple(text: str) -> tuple[int, ...]:
    """``"0.9.0.1"`` -> (0, 9, 0, 1); a suffix such as ``rc1`` or ``.dev2`` ends the tuple."""
    parts = []
    for piece in text.split("."):
        digits = re.match(r"\d+", piece)
        if digits is None:
            break
        parts.append(int(digits.group(0)))
        if digits.group(0) != piece:
            break
    return tuple(parts)


def installed(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def version_report() -> str:
    """What `fuzzgen --version` says after its own version: running, locked and supported JAX."""
    running = ", ".join(f"{p} {installed(p) or 'not installed'}" for p in LOCKED)
    locked = ", ".join(f"{p}=={v}" for p, v in LOCKED.items())
    line = f"{running} (lock: {locked}; supported: jax {SUPPORTED[0]} to {SUPPORTED[1]})"
    jax_version = installed("jax")
    if jax_version and not (version_tuple(SUPPORTED[0]) <= version_tuple(jax_version) <= version_tuple(SUPPORTED[1])):
        line += f"; jax {jax_version} is outside the supported range"
    return line


def enable_x64(enabled: bool = True):
    """A context manager for 64-bit mode: ``jax.enable_x64`` where it exists (0.6 onwards), else
    ``jax.experimental.enable_x64`` / ``disable_x64``."""
    import jax

    if hasattr(jax, "enable_x64"):
        return jax.enable_x64(enabled)
    from jax import experimental

    return experimental.enable_x64() if enabled else experimental.disable_x64()


def export_module():
    """`jax.export` (a submodule to import on 0.4.30-0.4.3x, an attribute later)."""
    from jax import export

    return export


def compile_for_one_device(backend, module, devices, options):
    """Compile an MLIR module the way JAX compiles a jitted function."""
    from jax._src import compiler

    if hasattr(compiler, "backend_compile_and_load"):
        return compiler.backend_compile_and_load(backend, module, devices, options, [])
    return compiler.backend_compile(backend, module, options, [])


def _xla_extension():
    """jaxlib's C++ extension: ``jax._src.lib._jax`` from 0.6, ``xla_extension`` before."""
    from jax._src import lib

    found = getattr(lib, "_jax", None)
    if found is None:
        from jax._src.lib import xla_client

        found = xla_client._xla
    return found


def _hlo_api():
    """XLA's HLO text parser and computation type: ``jaxlib._hlo`` from 0.7, the extension
    module and ``xla_client`` before."""
    try:
        from jaxlib import _hlo
    except ImportError:
        from jax._src.lib import xla_client

        return _xla_extension().hlo_module_from_text, xla_client.XlaComputation
    return _hlo.hlo_module_from_text, _hlo.XlaComputation


def clear_trace_caches() -> None:
    """Forget what JAX cached while staging (traced jaxprs of jitted functions, ``jax.random``'s
    helpers among them, and their lowerings): every ``util.cache`` and ``weakref_lru_cache``,
    as ``jax.clear_caches`` does, but not the C++ caches of compiled executables."""
    from jax._src import util

    util.clear_all_caches()


def bind_equation(eqn, values) -> list:
    """The results of one jaxpr equation on ``values``, bound as ``jax.core.eval_jaxpr`` binds it:
    ``get_bind_params`` returns ``(subfuns, params)`` on older JAX and the params alone on newer."""
    bound = eqn.primitive.get_bind_params(eqn.params)
    subfuns, params = bound if isinstance(bound, tuple) else ((), bound)
    context = getattr(getattr(eqn, "ctx", None), "manager", None)
    with context if context is not None else contextlib.nullcontext():
        outs = eqn.primitive.bind(*subfuns, *values, **params)
    return list(outs) if eqn.primitive.multiple_results else [outs]


def hlo_module_from_text(text: str):
    """XLA's own HLO text parser."""
    parse, _ = _hlo_api()
    return parse(text)


def hlo_text_to_mlir(text: str) -> str:
    """HLO text converted by XLA to an MLIR (StableHLO/MHLO) module's text."""
    parse, computation_type = _hlo_api()
    computation = computation_type(parse(text).as_serialized_hlo_module_proto())
    return _xla_extension().mlir.xla_computation_to_mlir_module(computation)


# XLA's optimizations, reduced: LLVM at -O0, and HLO passes that rewrite arithmetic off. Programs
# compiled both ways must agree, as Csmith compares -O0 with -O2. Which passes are off alternates
# between programs (`reduced_set_of`): algebraic simplification and CSE, or CSE and fusion. Never
# algsimp and fusion at once: without both, XLA on CPU compiled a two-layer training step's
# gradient (264 equations) in 40 to 180 s where either alone left on takes 2 s, and the fuzzer's
# timeout reported a hang in stock JAX.
REDUCED_OPTIMIZATION_SETS = (
    {"xla_backend_optimization_level": 0, "xla_disable_hlo_passes": "algsimp,cse"},
    {"xla_backend_optimization_level": 0, "xla_disable_hlo_passes": "cse,fusion"},
)
_passes_settable: bool | None = None


def reduced_set_of(text: str) -> int:
    """Which of `REDUCED_OPTIMIZATION_SETS` a program's source (checked text) is compiled with:
    a pure function of the text, so a finding replays with the same set."""
    import zlib

    return zlib.crc32(text.encode("utf-8")) % len(REDUCED_OPTIMIZATION_SETS)


def reduced_optimizations(which: int = 0) -> dict:
    """``REDUCED_OPTIMIZATION_SETS[which]`` as far as this jaxlib can set it: before 0.5 a
    repeated debug option (``xla_disable_hlo_passes``) cannot be passed through
    ``compiler_options``, so there only LLVM's level is lowered. Decided once, by compiling a
    one-op program."""
    global _passes_settable
    chosen = dict(REDUCED_OPTIMIZATION_SETS[which])
    if _passes_settable is None:
        import jax
        import numpy as np

        lowered = jax.jit(lambda x: x * 2.0).lower(np.ones(2, np.float32))
        try:
            with _native_stderr_silenced():  # old jaxlib logs "libprotobuf FATAL ..." before it raises
                lowered.compile(compiler_options=chosen)
            _passes_settable = True
        except Exception:  # noqa: BLE001 - the option this jaxlib cannot take is dropped
            _passes_settable = False
    return chosen if _passes_settable else {k: v for k, v in chosen.items() if k != "xla_disable_hlo_passes"}


@contextlib.contextmanager
def _native_stderr_silenced():
    """File descriptor 2 points at /dev/null inside the block (C++ logging writes there directly)."""
    import os
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
