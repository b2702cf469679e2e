# jacrev(vmap(dynamic_index_in_dim)) with out-of-bound (clamped) index gave a wrong (zero) gradient
# (jax-ml/jax#34228, fixed in 0.9.0): the vmap rule used PROMISE_IN_BOUNDS gather mode.
import os; os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np, jax, jax.numpy as jnp
def f(x, i):
  return jax.lax.dynamic_index_in_dim(x, i, axis=0, keepdims=False)
x = jnp.array([1.0]); i = jnp.array([1])  # out of bounds -> clamped to 0
g_scalar = np.asarray(jax.jacrev(f)(x, i[0]))
g_vmap = np.asarray(jax.jacrev(jax.vmap(f, (None, 0)))(x, i))
print("jax", jax.__version__, "unbatched", g_scalar, "vmapped", g_vmap, "expected [[1.]]")
ok = np.array_equal(g_scalar, [1.0]) and np.array_equal(g_vmap, [[1.0]])
print("OK" if ok else "BUG")
