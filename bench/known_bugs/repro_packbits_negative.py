# jnp.packbits treated negative integers as 0 bits (used x > 0 instead of x != 0); fixed in 0.6.1
import os; os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np, jax, jax.numpy as jnp
x = np.array([-1, 0, -3, 1, 0, 0, 0, -2], np.int8)
got = np.asarray(jnp.packbits(x)); exp = np.packbits(x)
print("jax", jax.__version__, got, "expected", exp)
print("OK" if np.array_equal(got, exp) else "BUG")
