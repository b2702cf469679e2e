"""Where a model production's learned arrays live: flat arguments (``w``, ``b``: letters), or
leaves of one tree argument ``params``, laid out and named as real code does it:

- ``dict``: one level, tutorial style: ``params['w1']``, ``params['b1']``, ``params['gamma']``;
- ``layers``: a list of per-layer dicts, as an MLP over ``layers`` takes them:
  ``params[0]['w']``, ``params[1]['b']``;
- ``modules``: Flax's nesting by module: ``params['Dense_0']['kernel']``,
  ``params['LayerNorm_0']['scale']``, ``params['query']['kernel']``.

A production asks for a `Params` once and a `module` per layer; the leaves become arguments as
they are first read (`Walk.leaf`).
"""
from __future__ import annotations

from collections import Counter

from .types import ValueType
from .walk import Walk

TREE_NAME = "params"
STYLES = ("flat", "flat", "dict", "layers", "modules")  # half the programs keep flat arguments
# generic role -> its key in each style's layers
ROLE_KEYS = {
    "dict": {"weight": "w", "bias": "b", "scale": "gamma", "shift": "beta", "embedding": "embedding",
             "position": "pos"},
    "layers": {"weight": "w", "bias": "b", "scale": "scale", "shift": "bias", "embedding": "embedding",
               "position": "position"},
    "modules": {"weight": "kernel", "bias": "bias", "scale": "scale", "shift": "bias", "embedding": "embedding",
                "position": "pos_embedding"},
}
FLAT_NAMES = {"weight": "w", "bias": "b", "scale": "gamma", "shift": "beta", "embedding": "table",
              "position": "pos"}
MODULE_NAMES = {"dense": "Dense", "norm": "LayerNorm", "embed": "Embed", "conv": "Conv"}
PROJECTIONS = ("query", "key", "value")  # attention's projections: named, not numbered, in every style


class Params:
    def __init__(self, w: Walk, style: str | None = None):
        self.w = w
        self.style = style or w.chooser.choice(STYLES)
        self.counts: Counter[str] = Counter()
        self.layers = 0  # list positions used (the `layers` style)

    def module(self, kind: str) -> Module:
        """The learned arrays of one layer of ``kind`` (dense, norm, or an attention projection)."""
        number = self.counts[kind]
        self.counts[kind] += 1
        return Module(self, kind, number)


class Module:
    def __init__(self, params: Params, kind: str, number: int):
        self.params, self.kind, self.number = params, kind, number
        self.position: int | None = None

    def get(self, role: str, vtype: ValueType):
        """A new argument (``flat``) or leaf for ``role`` (weight, bias, scale, shift)."""
        params, w = self.params, self.params.w
        if params.style == "flat":  # named as tutorials name them: w, b, w2, b2, gamma, beta, wq, table
            return w.arg(vtype, f"w{self.kind[0]}" if self.kind in PROJECTIONS else FLAT_NAMES[role])
        key = ROLE_KEYS[params.style][role]
        if params.style == "dict":
            if self.kind in PROJECTIONS:
                path = (f"w{self.kind[0]}",)  # wq, wk, wv
            else:
                path = (f"{key}{self.number + 1}",) if self.kind == "dense" or self.number else (key,)
        elif params.style == "layers":
            if self.position is None:
                self.position, params.layers = params.layers, params.layers + 1
            path = (self.position, key)
        else:
            module = self.kind if self.kind in PROJECTIONS else f"{MODULE_NAMES[self.kind]}_{self.number}"
            path = (module, key)
        return w.leaf(TREE_NAME, path, vtype)
