# jnp.floor_divide / jnp.divmod of floats by zero gave nan instead of +-inf (jax-ml/jax#37752, fixed in 0.10.2)
import os; os.environ.setdefault("JAX_PLATFORMS", "cpu")
import warnings; warnings.simplefilter("ignore")
import numpy as np, jax, jax.numpy as jnp
x = np.arange(-2, 3, dtype=np.float32); y = np.zeros(5, np.float32)
with np.errstate(all="ignore"):
  e_fd = np.floor_divide(x, y); e_q, e_r = np.divmod(x, y)
g_fd = np.asarray(jnp.floor_divide(x, y)); g_q, g_r = map(np.asarray, jnp.divmod(x, y))
print("jax", jax.__version__, "floor_divide", g_fd, "expected", e_fd)
print("divmod q", g_q, "expected", e_q, "r", g_r, "expected", e_r)
ok = (np.array_equal(g_fd, e_fd, equal_nan=True) and np.array_equal(g_q, e_q, equal_nan=True)
      and np.array_equal(g_r, e_r, equal_nan=True))
print("OK" if ok else "BUG")
