"""fuzzgen: a grammar-based program fuzzer with a typed AST for JAX."""
__version__ = "0.1.0"
