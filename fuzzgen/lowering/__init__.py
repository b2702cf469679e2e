"""Trace and lower one `ProgramSpec`; every IR kind's text comes from one trace per direction."""
from ..lazy import lazy_exports

_EXPORTS = {"LoweredProgram": "lower", "lower_spec": "lower", "lower_program": "lower",
            "gradient_function": "lower", "make_inputs": "execution", "describe_values": "execution",
            "abstract_inputs": "execution"}
__getattr__ = lazy_exports(__name__, _EXPORTS)
__all__ = list(_EXPORTS)
