# jnp.cumsum(..., dtype=...) with bool input/output wrong vs NumPy (jax-ml/jax#37991, fixed in 0.10.2;
# an earlier dtype=bool bug was fixed in 0.4.34)
import os; os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np, jax, jax.numpy as jnp
bad = []
for dt in [bool, np.float32, np.int8, np.int32]:
  x = np.array([-1, 0, 1], dtype=dt)
  for odt in [None, bool, np.float32, np.int8, np.int32]:
    exp_dtype = odt or (dt if dt != bool else jnp.int32)
    exp = np.cumsum(x, dtype=odt).astype(exp_dtype)
    for name, f in [("eager", lambda x: jnp.cumsum(x, dtype=odt)), ("jit", jax.jit(lambda x: jnp.cumsum(x, dtype=odt)))]:
      try:
        got = np.asarray(f(x))
      except Exception as e:
        bad.append((dt.__name__ if hasattr(dt,'__name__') else dt, odt, name, repr(e)[:80])); continue
      if not np.array_equal(got, exp) or (got.dtype != np.dtype(exp_dtype)):
        bad.append((np.dtype(dt).name, odt and np.dtype(odt).name, name, got.tolist(), str(got.dtype), exp.tolist()))
print("jax", jax.__version__)
for b in bad: print("mismatch", b)
print("BUG" if bad else "OK")
