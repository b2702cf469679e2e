# grad of logsumexp(x, where=mask) was nonzero/nan at masked-out positions (fixed in 0.5.0, commit f0392a1)
import os; os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np, jax, jax.numpy as jnp
from jax.scipy.special import logsumexp
x = jnp.array([0., 0., 0., 0., 100.])
mask = jnp.arange(5) < 4
g = np.asarray(jax.grad(lambda x: logsumexp(x, where=mask))(x))
g2 = np.asarray(jax.grad(lambda x: jax.nn.logsumexp(x, where=mask))(x))
exp = np.array([0.25, 0.25, 0.25, 0.25, 0.])
print("jax", jax.__version__, g, g2, "expected", exp)
print("OK" if (np.allclose(g, exp) and np.allclose(g2, exp)) else "BUG")
