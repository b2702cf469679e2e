# jnp.log10 computed log(x)/log(10): log10(10) != 1 and log10(1000) != 3 in float32
# (fixed in 0.7.2, commit af03297 "Fix log10(10) == 1 equality")
import os; os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np, jax, jax.numpy as jnp
x = np.array([10., 100., 1000., 1e4, 1e5, 1e6], np.float32)
got = np.asarray(jnp.log10(x)); got_j = np.asarray(jax.jit(jnp.log10)(x))
exp = np.log10(x)
print("jax", jax.__version__, got.tolist(), "expected", exp.tolist())
print("OK" if (np.array_equal(got[:1], [1.0]) and np.array_equal(got_j[:1], [1.0])) else "BUG")
