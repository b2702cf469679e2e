# jax.scipy.special.betainc wrong for edge cases (a == 0 or b == 0, tiny a)
# (fixed in 0.6.0, commit ab42a3e)
import os; os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np, jax, jax.numpy as jnp, scipy.special as ss
from jax.scipy import special as jsp
a = np.array([0., 0., 1., 1., 1e-30, 2.], np.float32)
b = np.array([1., 1., 0., 0., 1., 3.], np.float32)
x = np.array([0.5, 0., 0.5, 1., 0.5, 0.3], np.float32)
got = np.asarray(jsp.betainc(a, b, x)); exp = ss.betainc(a.astype(np.float64), b.astype(np.float64), x.astype(np.float64))
print("jax", jax.__version__, got.tolist(), "expected", exp.tolist())
print("OK" if np.allclose(got, exp, rtol=1e-4, atol=1e-6, equal_nan=True) else "BUG")
