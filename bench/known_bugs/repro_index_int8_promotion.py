# x[999, jnp.int8(0)] with a small-int index: start indices were promoted to int8 together,
# so 999 overflowed and the wrong element was returned (jax-ml/jax#31396, fixed in 0.8.1)
import os; os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np, jax, jax.numpy as jnp
numbers = jnp.arange(1000)[:, None]
bad = []
for shape in [(), (1,)]:
  idx = jnp.int8(0).reshape(shape)
  for name, f in [("eager", lambda a, i: a[999, i]), ("jit", jax.jit(lambda a, i: a[999, i]))]:
    try:
      got = np.asarray(f(numbers, idx))
    except Exception as e:
      bad.append((shape, name, repr(e)[:100])); continue
    if not np.array_equal(got, np.array(999).reshape(shape)):
      bad.append((shape, name, got.tolist()))
print("jax", jax.__version__, bad)
print("BUG" if bad else "OK")
