# jax.scipy.fft.idct cast float64 input to float32 (lost precision / wrong dtype) under x64
# (fixed in 0.4.34, commit 96268dc)
import os; os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np, jax
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp, scipy.fft as sf
from jax.scipy import fft as jf
x = np.random.RandomState(0).randn(16)
got = jf.idct(x); exp = sf.idct(x)
err = np.max(np.abs(np.asarray(got) - exp))
print("jax", jax.__version__, got.dtype, "max abs err", err)
print("OK" if (got.dtype == np.float64 and err < 1e-12) else "BUG")
