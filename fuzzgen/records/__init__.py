"""Records: the one schema, JSONL reading, corpus cases and atomic files. JAX-free; nothing here
executes a record's python (that needs `fuzzgen.trust.check_program` first)."""
from .atomic import OutputError, StagedFile, write_atomically
from .corpus import Case, parse_case
from .dataset import check_record, iter_dataset_records
from .jsonl import ReadStats, RecordError, expand_paths, iter_records
from .schema import FIELDS, META_FIELDS, SchemaError, located

__all__ = ["Case", "FIELDS", "META_FIELDS", "OutputError", "ReadStats", "RecordError", "SchemaError", "StagedFile",
           "check_record", "expand_paths", "iter_dataset_records", "iter_records", "located", "parse_case",
           "write_atomically"]
