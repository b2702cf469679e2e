# jnp.pad with 2-D input and constant_values=(before, after) gave wrong corner values
# (jax-ml/jax#26888, fixed in 0.5.3)
import os; os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np, jax, jax.numpy as jnp
x = np.ones((2, 3), np.float32)
exp = np.pad(x, ((1, 1), (1, 1)), constant_values=(5, 7))
got = np.asarray(jnp.pad(x, ((1, 1), (1, 1)), constant_values=(5, 7)))
print("jax", jax.__version__); print("got\n", got); print("expected\n", exp)
print("OK" if np.array_equal(got, exp) else "BUG")
