"""An example fuzzgen plugin: fuzz your own function, and a JAX function the catalog lacks.

    PYTHONPATH=examples fuzzgen fuzz --plugin softplus_ops --max-examples 200

Each op is one declarative record. ``ext.softplus`` names the user's function, passed as
``implementation=``; ``jnp.sinc`` needs no implementation. Their tags say where productions may
draw them ("unary" ops are applied to any floating value), so nothing else changes. ``weight=10``
makes each about as likely as ten built-in ops of its slot: without it, two ops among 38 unary
ones would be drawn in only ~2% of programs each.
"""
import jax.numpy as jnp

from fuzzgen.grammar import Call, Op, plugins, rules
from fuzzgen.grammar.catalog import FLOAT


def softplus(x):
    """log(1 + exp(x)), written the stable way."""
    return jnp.logaddexp(x, 0.0)


plugins.register(
    Op(name="softplus", render=Call("ext.softplus"), arity=1, operand_dtypes=(FLOAT,),
       dtype_rule=rules.same_as_first, shape_rule=rules.same_shape,
       tags=frozenset({"unary", "elementwise"}), primitives=("max", "log1p", "exp")),
    implementation=softplus,
    weight=10,
)

plugins.register(
    Op(name="sinc", render=Call("jnp.sinc"), arity=1, operand_dtypes=(FLOAT,),
       dtype_rule=rules.same_as_first, shape_rule=rules.same_shape,
       tags=frozenset({"unary", "elementwise"}), primitives=("sin", "div")),
    weight=10,
)
