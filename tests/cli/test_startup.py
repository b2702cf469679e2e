"""The CLI's parser, --help, merge and stats never import JAX (whose backend start costs ~0.5 s)."""
import subprocess
import sys

import pytest

from helpers import ROOT

PROBE = """
import atexit, sys
def report():
    heavy = sorted({m.split('.')[0] for m in sys.modules} & {'jax', 'jaxlib', 'hypothesis'})
    sys.stderr.write('HEAVY=' + ','.join(heavy) + '\\n')
atexit.register(report)
from fuzzgen.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def heavy_modules(*argv) -> list[str]:
    result = subprocess.run([sys.executable, "-c", PROBE, *map(str, argv)], cwd=ROOT, capture_output=True,
                            text=True, env={"JAX_PLATFORMS": "cpu", "PATH": "/usr/bin:/bin"})
    line = [x for x in result.stderr.splitlines() if x.startswith("HEAVY=")]
    assert line, result.stderr
    return [m for m in line[-1].removeprefix("HEAVY=").split(",") if m]


@pytest.mark.parametrize("argv", [("--help",), ("merge", "--help"), ("stats", "--help"), ("sample", "--help"),
                                  ("fuzz", "--help"), ("replay", "--help")])
def test_help_imports_no_jax(argv):
    assert heavy_modules(*argv) == []


def test_merge_and_stats_on_files_import_no_jax(small_sample, tmp_path):
    assert heavy_modules("stats", small_sample) == []
    shard = tmp_path / "missing.jsonl"
    assert heavy_modules("merge", tmp_path / "out.jsonl", shard) == []  # a usage error, still no JAX
