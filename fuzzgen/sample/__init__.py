"""The sample job: records as a pure function of (seed, index), the local worker pool, crash-safe
runs with resume and shards, merge, progress, and the Ray engine (`fuzzgen.sample.ray`)."""
from ..lazy import lazy_exports

_EXPORTS = {"SampleConfig": "draw", "make_record": "draw", "program_for_index": "draw", "record_line": "draw",
            "run_sample": "run", "Shard": "run", "Summary": "run", "merge_shards": "merge", "Progress": "progress"}
__getattr__ = lazy_exports(__name__, _EXPORTS)
__all__ = list(_EXPORTS)
