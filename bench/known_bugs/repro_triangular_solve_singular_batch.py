# Batched triangular solves with singular (zero-diagonal) matrices produced finite garbage instead of inf/nan
# on CPU (jax-ml/jax#3589, #15429; fixed in jaxlib 0.4.31)
import os; os.environ.setdefault("JAX_PLATFORMS", "cpu")
import warnings; warnings.simplefilter("ignore")
import numpy as np, jax, jax.numpy as jnp
a = np.tril(np.ones((4, 3, 3), np.float32)); a[:, 1, 1] = 0.0   # singular lower-triangular, batched
b = np.ones((4, 3, 1), np.float32)
got = np.asarray(jax.lax.linalg.triangular_solve(a, b, left_side=True, lower=True))
got2 = np.asarray(jax.scipy.linalg.solve_triangular(a, b, lower=True))
print("jax", jax.__version__, got[0].ravel(), got2[0].ravel())
# forward substitution divides by a[1,1] == 0 -> the solution must contain non-finite values
ok = (not np.all(np.isfinite(got))) and (not np.all(np.isfinite(got2)))
print("OK" if ok else "BUG")
