# x[arr, ..., arr] with an empty Ellipsis between advanced indices gave wrong shape/values
# (fixed in 0.4.36, commit f6f4ef0 "Fix indexing corner case with empty ellipses")
import os; os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np, jax, jax.numpy as jnp
x = np.arange(60).reshape(3, 4, 5)
i = np.array([0, 1])
bad = []
for idx in [(i, ..., i), (slice(None), i, ..., i), (slice(None), ..., i, i), (i, i, ..., i)]:
  exp = x[idx]
  for name, f in [("eager", lambda a: a[idx]), ("jit", jax.jit(lambda a: a[idx]))]:
    try:
      got = np.asarray(f(jnp.asarray(x)))
      if got.shape != exp.shape or not np.array_equal(got, exp): bad.append((str(idx), name, got.shape, exp.shape))
    except Exception as e:
      bad.append((str(idx), name, repr(e)[:100]))
print("jax", jax.__version__, bad)
print("BUG" if bad else "OK")
