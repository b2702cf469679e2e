# jnp.linalg.norm of an empty matrix with ord in (1, inf, 2) raised "zero-size array to reduction operation max"
# instead of returning 0 (as NumPy >= 2.x does; norm of the zero map is 0). Fixed in 0.5.3, commit 897e1a1.
import os; os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np, jax, jax.numpy as jnp
bad = []
for shape in [(0, 3), (3, 0), (0, 0)]:
  x = np.zeros(shape, np.float32)
  for ord in [1, np.inf, 2, 'fro', 'nuc']:
    exp = 0.0   # every proper matrix norm of an empty (zero) matrix is 0
    try:
      got = float(jnp.linalg.norm(x, ord=ord))
      if not np.isclose(got, exp): bad.append((shape, ord, got, exp))
    except Exception as e:
      bad.append((shape, ord, type(e).__name__, str(e)[:80]))
print("jax", jax.__version__); [print(b) for b in bad]
print("BUG" if bad else "OK")
