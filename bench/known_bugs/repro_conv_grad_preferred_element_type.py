# grad of lax.conv_general_dilated with bf16 inputs and preferred_element_type=float32 crashed
# (jax-ml/jax#31592, fixed in 0.10.0, commit 585f9f2)
import os; os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np, jax, jax.numpy as jnp
x = jnp.ones((1, 8, 4), dtype=jnp.bfloat16)
w = jnp.ones((3, 4, 8), dtype=jnp.bfloat16)
def f(x, w):
  return jax.lax.conv_general_dilated(
      x, w, window_strides=(1,), padding="VALID", rhs_dilation=(1,),
      dimension_numbers=("NLC", "LIO", "NLC"), preferred_element_type=jnp.float32).sum()
try:
  gx, gw = jax.grad(f, argnums=(0, 1))(x, w)
  # reference: same computation in float32
  rx, rw = jax.grad(f, argnums=(0, 1))(x.astype(jnp.float32), w.astype(jnp.float32))
  ok = (gx.dtype == x.dtype and gw.dtype == w.dtype and
        np.allclose(np.asarray(gx, np.float32), rx) and np.allclose(np.asarray(gw, np.float32), rw))
  print("jax", jax.__version__, gx.dtype, gw.dtype)
except Exception as e:
  print("jax", jax.__version__, "raised", type(e).__name__, str(e)[:300]); ok = False
print("OK" if ok else "BUG")
