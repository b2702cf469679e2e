"""``jax.random``: keys made from an int32 seed (``jax.random.PRNGKey(seed)`` or the typed
``jax.random.key(seed)``), split (``key, sub = jax.random.split(key)``) and folded
(``jax.random.fold_in(key, 1)``), and the samplers real code draws noise, dropout masks,
initial weights and indices with.

A key is a value inside a program only: programs take an int32 seed and return floats. Samplers
are drawn with static shapes, so their output depends on the seed alone and carries no gradient;
``jax.random.categorical`` is left out (its sample jumps as the logits move, which a gradient
check by finite differences would flag). ``randint`` draws indices in bounds for a gather.
"""
from __future__ import annotations

from .. import indexing, rules
from ..ops import OPS, Call, Op, require
from ..types import INT_DTYPES, KEY_DTYPES, RAW_KEY, TYPED_KEY
from .core import FLOAT

KEYS = frozenset(KEY_DTYPES)
SEED = frozenset(INT_DTYPES)
KEY_PRIMITIVES = ("random_seed", "random_wrap", "random_unwrap")
BITS = ("random_bits", "random_wrap", "shift_right_logical", "or", "bitcast_convert_type", "sub", "max")


def key_shape(dtype: str) -> tuple[int, ...]:
    return (2,) if dtype == RAW_KEY else ()


def _seed_key(operands, params):
    require(operands[0].shape == (), f"a key is made from a scalar seed, not {operands[0]}")
    return ()


def _raw_key(operands, params):
    _seed_key(operands, params)
    return (2,)


def _is_key(operands) -> bool:
    return operands[0].shape == key_shape(operands[0].dtype)


def _split_shapes(operands, params):
    return (operands[0].shape, operands[0].shape)


def _split_dtypes(operands, params):
    return (operands[0].dtype, operands[0].dtype)


def _sample_shape(operands, params):
    return tuple(params["shape"])


def _sampler(name, *, positional=("shape",), keyword=("dtype",), dtype_rule=None, primitives=BITS):
    return Op(name=name, render=Call(f"jax.random.{name}", positional=positional, keyword=keyword), arity=1,
              operand_dtypes=(KEYS,), dtype_rule=dtype_rule or indexing.dtype_or("float32"),
              shape_rule=_sample_shape, tags=frozenset({"sampler"}), requires=_is_key, differentiable=False,
              primitives=primitives)


RANDOM_OPS = (
    Op(name="prng_key", render=Call("jax.random.PRNGKey"), arity=1, operand_dtypes=(SEED,),
       dtype_rule=rules.cast_to(RAW_KEY), shape_rule=_raw_key,
       tags=frozenset({"random_key"}), differentiable=False, weight=3, primitives=KEY_PRIMITIVES),
    Op(name="typed_key", render=Call("jax.random.key"), arity=1, operand_dtypes=(SEED,),
       dtype_rule=rules.cast_to(TYPED_KEY), shape_rule=_seed_key, tags=frozenset({"random_key"}),
       differentiable=False, primitives=("random_seed",)),
    Op(name="key_split", render=Call("jax.random.split"), arity=1, operand_dtypes=(KEYS,), dtype_rule=_split_dtypes,
       shape_rule=_split_shapes, tags=frozenset({"key_derivation"}), requires=_is_key, differentiable=False,
       results=2, primitives=("random_split", "random_wrap", "random_unwrap", "slice", "squeeze")),
    Op(name="fold_in", render=Call("jax.random.fold_in", positional=("data",)), arity=1, operand_dtypes=(KEYS,),
       dtype_rule=rules.same_as_first, shape_rule=rules.same_shape, tags=frozenset({"key_derivation"}),
       requires=_is_key, differentiable=False, draw_params=lambda chooser, operands: {"data": chooser.integer(0, 7)},
       primitives=("random_fold_in", "random_wrap", "random_unwrap")),
    _sampler("normal", primitives=BITS + ("erf_inv", "mul", "nextafter")),
    _sampler("uniform", keyword=("dtype", "minval", "maxval")),
    _sampler("truncated_normal", positional=("lower", "upper", "shape"),
             primitives=BITS + ("erf", "erf_inv", "mul", "nextafter", "clamp")),
    _sampler("gumbel", primitives=BITS + ("log", "neg")),
    _sampler("bernoulli", positional=("p", "shape"), keyword=(), dtype_rule=rules.boolean, primitives=BITS + ("lt",)),
    _sampler("randint", positional=("shape", "minval", "maxval"), keyword=(), dtype_rule=rules.cast_to("int32"),
             primitives=BITS + ("rem", "add", "mul")),
    Op(name="permutation", render=Call("jax.random.permutation"), arity=2, operand_dtypes=(KEYS, FLOAT),
       dtype_rule=lambda operands, params: operands[1].dtype, shape_rule=lambda operands, params: operands[1].shape,
       tags=frozenset({"shuffle"}), requires=lambda operands: _is_key(operands) and operands[1].rank >= 1,
       primitives=("random_bits", "sort", "gather", "iota")),
)

for _op in RANDOM_OPS:
    OPS.register(_op)
