# jax.scipy.stats.expon.ppf ignored scale/loc properly (jax-ml/jax#36757, fixed in 0.10.1)
import os; os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np, jax, jax.numpy as jnp
from jax.scipy.stats import expon
import sys
if not hasattr(expon, 'ppf'):
  print('jax', jax.__version__, 'has no jax.scipy.stats.expon.ppf (added in 0.5.1); bug cannot occur'); print('OK'); sys.exit(0)
bad = []
for scale in (0.5, 2.0, 10.0):
  for loc in (0.0, 1.5):
    got = float(expon.ppf(0.5, loc=loc, scale=scale)); exp = loc - scale * np.log1p(-0.5)
    if not np.isclose(got, exp, rtol=1e-5): bad.append((loc, scale, got, exp))
print("jax", jax.__version__, bad)
print("BUG" if bad else "OK")
