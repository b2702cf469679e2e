"""The README's layout section matches the tree: every package and top-level module, no more."""
import re

import pytest

from helpers import ROOT


def test_layout_section_lists_every_package_and_top_level_module():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Layout"):]
    listed = set(re.findall(r"^    (fuzzgen/[\w./]*)", section, flags=re.M))
    package = ROOT / "fuzzgen"
    actual = {f"fuzzgen/{p.name}/" for p in package.iterdir() if (p / "__init__.py").exists()}
    actual |= {f"fuzzgen/{p.name}" for p in package.glob("*.py") if p.name != "__init__.py"}
    assert listed == actual, f"missing from the README: {sorted(actual - listed)}; stale: {sorted(listed - actual)}"


def test_extension_table_names_files_that_exist():
    text = (ROOT / "README.md").read_text()
    table = text[text.index("### Extending fuzzgen"):text.index("## Performance")]
    for path in re.findall(r"`(fuzzgen/[\w/.]+\.py)`", table):
        assert (ROOT / path).exists(), path


@pytest.mark.slow
def test_example_outputs_are_what_the_code_writes():
    """`python tests/readme_examples.py` rewrites them after a deliberate change."""
    import readme_examples

    shown = readme_examples.blocks((ROOT / "README.md").read_text())
    assert set(shown) == set(readme_examples.EXAMPLES)
    for name, make in readme_examples.EXAMPLES.items():
        assert readme_examples.masked(shown[name]) == readme_examples.masked(make()), (
            f"README example {name!r} is stale: run python tests/readme_examples.py")
