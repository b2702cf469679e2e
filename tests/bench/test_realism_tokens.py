"""The realism benchmark's tokenizer (bench/realism_tokens.py) on hand-written snippets, and its
stored corpus. No sampling: fast."""
import sys
import textwrap
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import realism  # noqa: E402
from realism_tokens import source_functions  # noqa: E402


def tokens_of(source, array_math_only=False):
    return [dict(tokens) for tokens in source_functions(textwrap.dedent(source), array_math_only)]


def test_import_aliases_resolve_to_canonical_names():
    [tokens] = tokens_of("""
        import jax.numpy as np2
        from jax import lax, random, numpy as jn
        from jax.nn import relu
        import jax.scipy.special as jss
        import jax
        def f(x, key):
            np2.sum(x); jn.linalg.norm(x); lax.exp(x); random.normal(key); relu(x)
            jss.erf(x); jax.vmap(f); jax.numpy.mean(x)
    """)
    assert tokens == {"call:jnp.sum": 1, "call:jnp.linalg.norm": 1, "call:lax.exp": 1,
                      "call:jax.random.normal": 1, "call:jax.nn.relu": 1,
                      "call:jax.scipy.special.erf": 1, "call:jax.vmap": 1, "call:jnp.mean": 1}


def test_plain_numpy_is_ignored_and_rebinding_wins():
    source = """
        from jax import numpy as np
        import numpy as np
        def f(x):
            return np.sum(x)
    """
    assert tokens_of(source) == [{}]
    assert tokens_of(source, array_math_only=True) == []


def test_sources_without_imports_get_jnp_lax_jax_prebound():
    [tokens] = tokens_of("def f(a):\n    return lax.erf(jnp.abs(a)) + jax.nn.relu(a)\n")
    assert tokens == {"call:lax.erf": 1, "call:jnp.abs": 1, "call:jax.nn.relu": 1, "op:+": 1}


def test_methods_attributes_and_at_updates():
    [tokens] = tokens_of("""
        import numpy as np
        def f(self, x):
            y = x.astype(np.float32).reshape(-1).sum()
            np.reshape(x, 3)
            return y.T, x.shape, x.ndim, self.dtype, x.at[0].set(1), x.at[1:].add(2)
    """)
    assert tokens == {"method:astype": 1, "method:reshape": 1, "method:sum": 1, "attr:T": 1,
                      "attr:shape": 1, "attr:ndim": 1, "index:at_set": 1, "index:at_add": 1}


def test_operators():
    [tokens] = tokens_of("""
        def f(a, b):
            a += b
            return -a * b ** 2 @ b // 2 % 3, ~a & b | a ^ b, not a, a == b, a < b <= 3, a is b, -1
    """)
    assert tokens == {"op:+": 1, "op:neg": 1, "op:*": 1, "op:**": 1, "op:@": 1, "op://": 1,
                      "op:%": 1, "op:~": 1, "op:&": 1, "op:|": 1, "op:^": 1, "op:not": 1,
                      "op:==": 1, "op:<": 1, "op:<=": 1}


def test_indexing_forms():
    [tokens] = tokens_of("""
        from typing import Optional
        def f(x, i, d):
            z: Optional[int] = None
            return (x[0], x[-1], x[1:], x[None], x[...], x[:, None], x[..., ::2], x[i], x[i, 0],
                    d["key"], x.shape[0])
    """)
    assert tokens == {"index:int": 2, "index:slice": 1, "index:newaxis": 2, "index:ellipsis": 2,
                      "index:tuple_static": 2, "index:array": 2, "attr:shape": 1}


def test_nested_defs_are_counted_separately():
    functions = tokens_of("""
        import jax.numpy as jnp
        def outer(x):
            def inner(y):
                return jnp.exp(y)
            class Helper:
                def method(self, z):
                    return z.sum()
            return jnp.sum(inner(x), axis=lambda: jnp.tanh(x))
    """)
    assert functions == [{"call:jnp.sum": 1, "call:jnp.tanh": 1}, {"call:jnp.exp": 1},
                         {"method:sum": 1}]


def test_unparsable_source_gives_none():
    assert source_functions("def f(:\n") is None


def test_stored_corpus_loads():
    corpus = realism.load_corpus()
    assert corpus["function_count"] == len(corpus["functions"]) >= 1000
    assert len(corpus["repositories"]) >= 5
    assert all(len(repo["commit"]) == 40 for repo in corpus["repositories"])
    assert sum(corpus["token_totals"].values()) == corpus["token_count"]
