# jax.scipy.special.gammainc/gammaincc wrong at boundary points (a == 0, x == 0 / inf)
# (fixed in 0.5.3, commit 82b2591)
import os; os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np, jax, jax.numpy as jnp, scipy.special as ss
from jax.scipy import special as jsp
a = np.array([0., 0., 0., 1., 2., 0.5], np.float32)
x = np.array([0., 1., np.inf, 0., np.inf, 1.], np.float32)
bad = []
for name, jf, sf in [("gammainc", jsp.gammainc, ss.gammainc), ("gammaincc", jsp.gammaincc, ss.gammaincc)]:
  got = np.asarray(jf(a, x)); exp = sf(a.astype(np.float64), x.astype(np.float64))
  if not np.allclose(got, exp, rtol=1e-5, equal_nan=True): bad.append((name, got.tolist(), exp.tolist()))
print("jax", jax.__version__); [print(b) for b in bad]
print("BUG" if bad else "OK")
