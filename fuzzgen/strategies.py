"""Public Hypothesis strategies: use them in anyone's ``@given`` test.

>>> from fuzzgen.strategies import programs
>>> @given(programs(category="matmul", dtypes=("float32",)))
... def test_matmul_lowers(program): ...
"""
from __future__ import annotations

import difflib

from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from .program import HypothesisChooser, Program, build_program
from .program.drivers import FocusedChooser
from .grammar import ALL_CATEGORY_NAMES, CATEGORY_NAMES, DTYPES, MIX_NAMES, MIXES, OPS, GrammarSettings, InvalidSettings
from .grammar.walk import MAX_RANK

# With ``ops=``: programs built per draw until one calls a wanted op (each build reads more of
# Hypothesis' choices, and shrinking makes the first one do); none of them doing so rejects the draw.
FOCUS_ATTEMPTS = 64


def programs(
    *,
    category: str | None = None,
    categories: tuple[str, ...] | None = None,
    dtypes: tuple[str, ...] | None = None,
    max_rank: int | None = None,
    max_statements: int | None = None,
    max_dim: int | None = None,
    ops: tuple[str, ...] | None = None,
    mix: str | None = None,
) -> st.SearchStrategy[Program]:
    """Return a strategy for valid JAX programs drawn from the grammar.

    category: one of the ten category names, an opt-in one (control_flow, vmap, layer, norm,
        attention, loss, optimizer, train_step), or None
        (default) for any of the ten.
    categories: several of those, drawn equally often (give ``category`` or ``categories``).
    mix: a named mix (``fuzzgen.grammar.MIX_NAMES``: "seed", "realistic"), its categories drawn
        with its shares (instead of ``category``/``categories``).
    dtypes: allowed dtypes, at least one floating (default: float32, float16, bfloat16, int32).
    max_rank: largest array rank, 0-4 (default 4).
    max_statements: most statements in multi-statement programs (default 6).
    max_dim: largest array dimension (default 4).
    ops: op record names (``OPS``, plugins' included): only programs that call at least one of
        them, drawn from every category (the opt-in ones too) unless ``category``/``categories``
        narrow it. Those ops are picked 32 times as often (``drivers.FOCUS_BOOST``) wherever
        the grammar chooses among op names; an op that no category reaches makes every draw fail (Hypothesis reports
        it as unsatisfiable).

    Programs shrink towards fewer statements, smaller shapes, the first ops of each group and
    float32.
    """
    if category is not None and category not in ALL_CATEGORY_NAMES:
        raise InvalidArgument(f"category={category!r} is not one of {ALL_CATEGORY_NAMES}")
    if categories is not None:
        if category is not None:
            raise InvalidArgument(f"give category={category!r} or categories={categories!r}, not both")
        bad = [c for c in categories if c not in ALL_CATEGORY_NAMES] if isinstance(categories, (tuple, list)) else None
        if bad is None or bad or not categories:
            raise InvalidArgument(f"categories={categories!r} must be a non-empty tuple of {ALL_CATEGORY_NAMES}")
    if mix is not None:
        if category is not None or categories is not None:
            raise InvalidArgument(f"give mix={mix!r} or category/categories, not both")
        if mix not in MIX_NAMES:
            raise InvalidArgument(f"mix={mix!r} is not one of {MIX_NAMES}")
        categories = tuple(name for name, weight in MIXES[mix] for _ in range(weight))
    if max_rank is not None and not (isinstance(max_rank, int) and 0 <= max_rank <= MAX_RANK):
        raise InvalidArgument(f"max_rank={max_rank!r} must be an int between 0 and {MAX_RANK}")
    if max_statements is not None and not (isinstance(max_statements, int) and max_statements >= 1):
        raise InvalidArgument(f"max_statements={max_statements!r} must be an int of at least 1")
    if ops is not None:
        check_op_names(ops)
    defaults = GrammarSettings()
    try:
        settings = GrammarSettings(
            dtypes=tuple(dtypes) if dtypes is not None else DTYPES,
            max_rank=defaults.max_rank if max_rank is None else max_rank,
            max_statements=defaults.max_statements if max_statements is None else max_statements,
            max_dim=defaults.max_dim if max_dim is None else max_dim,
        )
    except InvalidSettings as error:
        raise InvalidArgument(str(error)) from None
    every = ALL_CATEGORY_NAMES if ops else CATEGORY_NAMES
    categories = tuple(categories) if categories else (category,) if category else every
    wanted = frozenset(ops or ())

    @st.composite
    def _programs(draw) -> Program:
        chooser = HypothesisChooser(draw)
        if not wanted:
            return build_program(chooser, chooser.choice(categories), settings)
        chooser = FocusedChooser(chooser, wanted)
        for _ in range(FOCUS_ATTEMPTS):
            program = build_program(chooser, chooser.choice(categories), settings)
            if program.ops & wanted:
                return program
        reject()

    return _programs()


def check_op_names(ops) -> tuple[str, ...]:
    """``ops`` as a tuple, or InvalidArgument naming the first name that is not an op (with the
    closest ones): for ``programs(ops=...)`` and ``fuzz --ops``."""
    if not isinstance(ops, (tuple, list)) or not ops or not all(isinstance(name, str) for name in ops):
        raise InvalidArgument(f"ops={ops!r} must be a non-empty tuple of op names")
    for name in ops:
        if name not in OPS:
            close = difflib.get_close_matches(name, [op.name for op in OPS], n=3)
            hint = (f"did you mean {', '.join(close)}?" if close else
                    "list them with: python -c 'import fuzzgen.grammar as g; print(*sorted({o.name for o in g.OPS}))'")
            raise InvalidArgument(f"no op named {name!r} in the grammar; {hint}")
    return tuple(ops)


__all__ = ["check_op_names", "programs"]
