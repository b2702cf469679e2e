# jnp.unravel_index with unsigned indices returned all zeros (uint < -1 comparison)
# (fixed in 0.7.2, commit a192b72)
import os; os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np, jax, jax.numpy as jnp
bad = []
for dt in [np.uint8, np.uint32, np.int32]:
  idx = np.array([0, 5, 7, 11], dt)
  exp = np.unravel_index(idx, (3, 4))
  got = jnp.unravel_index(jnp.asarray(idx), (3, 4))
  for g, e in zip(got, exp):
    if not np.array_equal(np.asarray(g), e): bad.append((np.dtype(dt).name, np.asarray(g).tolist(), e.tolist()))
print("jax", jax.__version__, bad)
print("BUG" if bad else "OK")
