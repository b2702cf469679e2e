# jax.scipy.special.xlogy(0, nan) / xlog1py(0, nan) returned 0 instead of nan (jax-ml/jax#37751, fixed in 0.10.2)
import os; os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np, jax, jax.numpy as jnp
from jax.scipy import special as jsp
x = np.array([0., 0., 1.], np.float32); y = np.array([np.nan, 2., np.nan], np.float32)
a = np.asarray(jsp.xlogy(x, y)); b = np.asarray(jsp.xlog1py(x, y))
# scipy semantics: nan in y propagates even when x == 0; xlogy(0, finite) == 0
exp = np.array([np.nan, 0., np.nan], np.float32)
print("jax", jax.__version__, "xlogy", a, "xlog1py", b, "expected", exp)
ok = np.array_equal(a, exp, equal_nan=True) and np.array_equal(b, exp, equal_nan=True)
print("OK" if ok else "BUG")
