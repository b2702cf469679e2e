"""The dataset tools: statistics and charts, export to other layouts and Parquet with a dataset
card, and validate (every IR text re-checked against the compiler)."""
from ..lazy import lazy_exports

_EXPORTS = {"collect_stats": "stats", "DatasetStats": "stats", "write_plots": "plots", "export_records": "export",
            "export_parquet": "parquet", "validate_file": "validate", "validate_record": "validate"}
__getattr__ = lazy_exports(__name__, _EXPORTS)
__all__ = list(_EXPORTS)
