# jax.scipy.fft.dctn/idctn with s given and axes=None transformed all axes instead of the last len(s)
# axes like SciPy (jax-ml/jax#29426, fixed in 0.10.0)
import os; os.environ.setdefault("JAX_PLATFORMS", "cpu")
import numpy as np, jax, jax.numpy as jnp, scipy.fft as sf
from jax.scipy import fft as jf
x = np.arange(3.0, dtype=np.float32).reshape(1, 3)
bad = []
for name in ["dctn", "idctn"]:
  exp = getattr(sf, name)(x, type=2, s=(5,), axes=None)
  try:
    got = np.asarray(getattr(jf, name)(x, type=2, s=(5,), axes=None))
    if got.shape != exp.shape or not np.allclose(got, exp, atol=1e-4): bad.append((name, got.shape, exp.shape, got.tolist(), exp.tolist()))
  except Exception as e:
    bad.append((name, type(e).__name__, str(e)[:120]))
print("jax", jax.__version__); [print(b) for b in bad]
print("BUG" if bad else "OK")
