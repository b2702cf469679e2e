"""The oracles' names, in the order they run: JAX-free, for the CLI's parser and help."""
ORACLE_NAMES = ("crash", "eager_vs_jit", "gradient", "forward_vs_reverse", "vmap", "export", "xla_opt", "reference")
