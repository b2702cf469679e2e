# jax.scipy.stats.binom.logpmf / betabinom.logpmf at k == n == 0 returned nan instead of 0 (log 1)
# (fixed in 0.4.32, commit 3a0e437)
import os; os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np, jax, jax.numpy as jnp, scipy.stats as ss
from jax.scipy import stats as js
got1 = float(js.binom.logpmf(0, 0, 0.8, 0)); exp1 = ss.binom.logpmf(0, 0, 0.8, 0)
got2 = float(js.betabinom.logpmf(0, 0, 10, 5, 0)); exp2 = ss.betabinom.logpmf(0, 0, 10, 5, 0)
print("jax", jax.__version__, got1, exp1, got2, exp2)
print("OK" if (np.isclose(got1, exp1) and np.isclose(got2, exp2)) else "BUG")
