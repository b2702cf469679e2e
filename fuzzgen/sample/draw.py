"""Records as a pure function of (seed, index): the deterministic sampling driver.

Categories are balanced in blocks: indices [k*B, (k+1)*B) hold each of the B asked-for
categories exactly once, in an order shuffled by (seed, block). Any index range, split in any
way across processes or machines, draws the same programs.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

import jax

from ..program import Program, RandomChooser, build_program, derived_seed
from ..program.canonical import canonical_hash
from ..grammar import ALL_CATEGORY_NAMES, CATEGORY_NAMES, GRAMMAR_VERSION, GrammarSettings
from ..lowering.execution import describe_values, make_inputs
from ..ir import ALL_IR_KINDS, IR_KINDS
from ..lowering.lower import lower_spec


@dataclass(frozen=True)
class SampleConfig:
    seed: int = 0
    ir: tuple[str, ...] = IR_KINDS
    categories: tuple[str, ...] = CATEGORY_NAMES
    settings: GrammarSettings = field(default_factory=GrammarSettings)
    io: bool = False
    splits: tuple[tuple[str, float], ...] = ()  # e.g. (("train", 0.98), ("valid", 0.01), ("test", 0.01))
    dedup: bool = False
    plugins: tuple[str, ...] = ()  # modules whose ops join the grammar (loaded in every worker)
    # parts of each block per category, in the order of ``categories`` (a named mix, `--mix`);
    # () draws each category equally often
    weights: tuple[int, ...] = ()

    def __post_init__(self):
        if not self.ir:
            raise ValueError("ir=() is empty; ask for at least one of " + ",".join(IR_KINDS))
        bad = [k for k in self.ir if k not in ALL_IR_KINDS]
        if bad:
            raise ValueError(f"ir={','.join(self.ir)} has unknown {bad}; choose from {','.join(ALL_IR_KINDS)}")
        if not self.categories:
            raise ValueError("categories=() is empty; ask for at least one of " + ",".join(CATEGORY_NAMES))
        bad = [c for c in self.categories if c not in ALL_CATEGORY_NAMES]
        if bad:
            raise ValueError(f"categories has unknown {bad}; choose from {','.join(ALL_CATEGORY_NAMES)}")
        if len(set(self.categories)) != len(self.categories):
            raise ValueError(f"categories={','.join(self.categories)} names a category twice")
        if self.splits:
            validate_splits(self.splits)
        if self.weights and (len(self.weights) != len(self.categories) or not all(
                isinstance(k, int) and not isinstance(k, bool) and 1 <= k <= 100 for k in self.weights)):
            raise ValueError(f"weights={self.weights!r} must be one int from 1 to 100 per category "
                             f"({len(self.categories)} categories)")

    def identity(self) -> dict:
        """What makes two runs' records the same: compared on resume and merge."""
        return {
            "seed": self.seed,
            "ir": list(self.ir),
            "categories": list(self.categories),
            "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in vars(self.settings).items()},
            "io": self.io,
            "splits": [list(pair) for pair in self.splits],
            "dedup": self.dedup,
            "jax_version": jax.__version__,
            "grammar": GRAMMAR_VERSION,
            # only when set, so that the identity of every run without plugins stays as it was
            **({"plugins": list(self.plugins)} if self.plugins else {}),
            **({"weights": list(self.weights)} if self.weights else {}),
        }


def category_for_index(seed: int, index: int, categories: tuple[str, ...] = CATEGORY_NAMES,
                       weights: tuple[int, ...] = ()) -> str:
    """The category of record ``index``: each block of sum(weights) indices holds every category
    as many times as its weight (once each without weights), in an order shuffled per block."""
    order = [name for name, weight in zip(categories, weights or (1,) * len(categories)) for _ in range(weight)]
    block, position = divmod(index, len(order))
    random.Random(derived_seed(seed, "block", block)).shuffle(order)
    return order[position]


def program_for_index(config: SampleConfig, index: int) -> Program:
    category = category_for_index(config.seed, index, config.categories, config.weights)
    chooser = RandomChooser(derived_seed(config.seed, "program", index))
    return build_program(chooser, category, config.settings)


def input_seed_for_index(seed: int, index: int) -> int:
    return derived_seed(seed, "inputs", index) % 2**32


def make_record(config: SampleConfig, index: int, program: Program) -> dict:
    input_seed = input_seed_for_index(config.seed, index) if config.io else None
    concrete = make_inputs(program.lowered_args, input_seed) if config.io else None
    spec = program.spec
    lowered = lower_spec(spec, config.ir, concrete)
    record = {
        "id": spec.id,
        "seed": config.seed,
        "index": index,
        "category": program.category,
        "function_name": program.function_name,
        "python": program.source,
        "args": [a.to_json() for a in spec.args],
    }
    if program.vmap_axes is not None:
        record["vmap"] = {"in_axes": list(program.vmap_axes), "axis_size": program.axis_size}
    for kind in ALL_IR_KINDS:
        if kind in config.ir:
            record[kind] = lowered.ir[kind]
    if config.io:
        record["io"] = {
            "input_seed": input_seed,
            "outputs": describe_values(lowered.values["forward"]),
            "gradients": None if program.forward_only else describe_values(lowered.values["backward"]),
        }
    program_hash = canonical_hash(spec.source, spec.args, spec.vmap_axes)
    record["meta"] = {
        "jax_version": jax.__version__,
        "primitives": list(lowered.primitives),
        "n_statements": program.n_statements,
        "canonical_hash": program_hash,
    }
    if spec.forward_only:
        record["meta"]["forward_only"] = spec.forward_only
    if config.splits:
        record["meta"]["split"] = split_for_hash(program_hash, config.splits)
    if config.plugins:  # what replay and validate need to load (--plugin) to check this record
        record["meta"]["plugins"] = list(config.plugins)
    return record


def validate_splits(splits) -> None:
    names = [name for name, _ in splits]
    if len(set(names)) != len(names):
        raise ValueError(f"split names {names} repeat a name")
    if any(not name.isidentifier() for name in names):
        raise ValueError(f"split names {names} must be plain words such as train, valid, test")
    if any(not 0 < share <= 1 for _, share in splits) or abs(sum(share for _, share in splits) - 1) > 1e-9:
        raise ValueError(f"split shares {[share for _, share in splits]} must be positive and sum to 1")


def split_for_hash(program_hash: str, splits) -> str:
    """The split of a program, from its canonical hash alone: renamed copies land together."""
    position = int(program_hash, 16) / 16 ** len(program_hash)
    cumulative = 0.0
    for name, share in splits:
        cumulative += share
        if position < cumulative:
            return name
    return splits[-1][0]


def record_line(config: SampleConfig, index: int, program: Program | None = None) -> tuple[str, str]:
    """The JSONL line for ``index`` (newline included: the unit every engine writes) and the
    program's canonical hash (what dedup compares)."""
    record = make_record(config, index, program or program_for_index(config, index))
    return json.dumps(record, ensure_ascii=False) + "\n", record["meta"]["canonical_hash"]
