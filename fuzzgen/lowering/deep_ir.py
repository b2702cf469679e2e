"""IR beyond what one lowering prints: optimized HLO and multi-platform exported StableHLO.

Both are made location-free: JAX's debug locations name every Python frame on the stack (the
worker process, the caller's script, site-packages paths), which would make the text depend on
where and how fuzzgen runs. Optimized HLO is therefore compiled from the location-free StableHLO
text (the same computation `Compiled.as_text()` shows, without its frame tables), and exported
StableHLO is re-printed without debug info.
"""
from __future__ import annotations

import jax
from jax._src import compiler, xla_bridge
from jax._src.interpreters import mlir
from jax._src.lib import xla_client as xc
from jax._src.lib.mlir import ir

from .. import jaxcompat

EXPORT_PLATFORMS = ("cpu", "cuda", "tpu")


def cpu_backend():
    return xla_bridge.get_backend("cpu")


def parse_stablehlo(text: str, context) -> ir.Module:
    """Parse StableHLO text with the MLIR bindings that ship with jaxlib."""
    return ir.Module.parse(text, context=context)


def compile_module(module: ir.Module):
    """Compile an MLIR module for one CPU device, the way JAX compiles a jitted function."""
    options = compiler.get_compile_options(num_replicas=1, num_partitions=1)
    devices = xc.DeviceList(tuple(jax.devices("cpu")[:1]))
    return jaxcompat.compile_for_one_device(cpu_backend(), module, devices, options)


def compile_stablehlo_text(text: str):
    with mlir.make_ir_context() as context:
        return compile_module(parse_stablehlo(text, context))


def optimized_hlo(stablehlo_text: str) -> str:
    """The HLO module after XLA's CPU pipeline."""
    executable = compile_stablehlo_text(stablehlo_text)
    return "\n\n".join(module.to_string() for module in executable.hlo_modules())


def exported_stablehlo(function, inputs) -> str:
    """StableHLO for cpu, cuda and tpu at once, via `jax.export`, without the hardware."""
    exported = jaxcompat.export_module().export(jax.jit(function), platforms=EXPORT_PLATFORMS)(*inputs)
    with mlir.make_ir_context() as context:
        module = ir.Module.parse(exported.mlir_module(), context=context)
        return module.operation.get_asm(enable_debug_info=False)


def hlo_text_to_stablehlo_module(text: str, context) -> ir.Module:
    """Parse HLO text with XLA's own parser and convert it back to an MLIR module."""
    return ir.Module.parse(jaxcompat.hlo_text_to_mlir(text), context=context)


def parse_hlo_text(text: str):
    return jaxcompat.hlo_module_from_text(text)
