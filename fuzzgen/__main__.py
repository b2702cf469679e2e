"""`python -m fuzzgen`: the same as the `fuzzgen` command."""
import sys

from .cli.main import main

sys.exit(main())
