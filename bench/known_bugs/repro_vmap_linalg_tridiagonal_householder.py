# vmap of jax.scipy.linalg.hessenberg / lax.linalg.tridiagonal / householder_product had broken
# batching rules (fixed in 0.5.1, commit ea4e324)
import os; os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np, jax, jax.numpy as jnp
import jax.scipy.linalg as jsl
rng = np.random.RandomState(0)
a = rng.randn(2, 4, 4).astype(np.float32); s = a + a.transpose(0, 2, 1)
bad = []
def check(name, f, x):
  try:
    ref = f(x); got = jax.vmap(f)(x)
    for r, g in zip(jax.tree.leaves(ref), jax.tree.leaves(got)):
      if not np.allclose(np.asarray(r), np.asarray(g), atol=1e-4): bad.append((name, "mismatch"))
  except Exception as e:
    bad.append((name, type(e).__name__, str(e)[:150]))
check("hessenberg", lambda x: jsl.hessenberg(x, calc_q=True), a)
check("tridiagonal", lambda x: jax.lax.linalg.tridiagonal(x, lower=True), s)
taus = rng.rand(2, 3).astype(np.float32)
try:
  ref = jax.lax.linalg.householder_product(a, taus); got = jax.vmap(jax.lax.linalg.householder_product)(a, taus)
  if not np.allclose(ref, got, atol=1e-4): bad.append(("householder_product", "mismatch"))
except Exception as e:
  bad.append(("householder_product", type(e).__name__, str(e)[:150]))
print("jax", jax.__version__); [print(b) for b in bad]
print("BUG" if bad else "OK")
