# jax.nn.initializers.orthogonal() raised ZeroDivisionError for zero-size shapes (fixed in 0.10.0, commit ef01847)
import os; os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np, jax, jax.numpy as jnp
bad = []
init = jax.nn.initializers.orthogonal()
for shape in [(0, 3), (3, 0), (0, 0)]:
  try:
    v = init(jax.random.PRNGKey(0), shape, jnp.float32)
    if v.shape != shape: bad.append((shape, v.shape))
  except Exception as e:
    bad.append((shape, type(e).__name__, str(e)[:80]))
print("jax", jax.__version__, bad)
print("BUG" if bad else "OK")
