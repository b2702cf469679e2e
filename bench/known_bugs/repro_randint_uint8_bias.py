# jax.random.randint for 8/16-bit dtypes was strongly biased (jax-ml/jax#27702/#27742, fixed in 0.7.1,
# behind jax_safer_randint which defaults to True). Chi-square test of uniformity over 100 bins.
import os; os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np, jax, jax.numpy as jnp, scipy.stats as st
n, bins = 200_000, 100
data = np.asarray(jax.random.randint(jax.random.PRNGKey(7534892), (n,), 0, bins, dtype='uint8'))
counts = np.bincount(data, minlength=bins)
chi2 = ((counts - n / bins) ** 2 / (n / bins)).sum()
p = st.chi2.sf(chi2, bins - 1)
print("jax", jax.__version__, "chi2", chi2, "p", p, "min/max count", counts.min(), counts.max())
print("OK" if p > 1e-6 else "BUG")
