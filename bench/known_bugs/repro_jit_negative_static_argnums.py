# jit with negative static_argnums was mishandled by the C++ dispatch fast path (fixed in jaxlib 0.4.31)
import os; os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np, jax, jax.numpy as jnp
def f(x, n):
  return x * n
g = jax.jit(f, static_argnums=(-1,))
x = jnp.ones(3)
res = []
try:
  for n in [1, 2, 3, 2, 1]:
    res.append(float(g(x, n)[0]))
  ok = res == [1.0, 2.0, 3.0, 2.0, 1.0]
except Exception as e:
  print("raised", type(e).__name__, str(e)[:200]); ok = False
print("jax", jax.__version__, res)
print("OK" if ok else "BUG")
