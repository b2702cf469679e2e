"""Embedding lookups and convolution blocks in the `layer` category (`fuzzgen.grammar.blocks`):
drawn in every spelling, valid under narrow settings, and computing what an embedding and a
convolution compute."""
import numpy as np
import pytest

from fuzzgen.grammar import GrammarSettings
from fuzzgen.lowering.execution import make_inputs
from fuzzgen.program import RandomChooser, build_program
from fuzzgen.program.trees import with_leaves
from fuzzgen.trust.sandbox import load_function

DRAWS = 240


@pytest.fixture(scope="module")
def layers():
    return [build_program(RandomChooser(seed), "layer") for seed in range(DRAWS)]


def evaluate(program, inputs):
    return np.asarray(with_leaves(load_function(program.spec.source), program.args)(*inputs), np.float64)


def test_layer_draws_every_lookup_and_conv_form(layers):
    sources = [p.source for p in layers]
    spellings = {
        "a table indexed by ids": lambda s: "table[ids %" in s or "['embedding'][ids %" in s,
        "jnp.take(table, ids, axis=0)": lambda s: "jnp.take(" in s and "axis=0" in s,
        "one_hot(ids, vocab) @ table": lambda s: "jax.nn.one_hot(" in s and "@" in s,
        "learned positions": lambda s: "['pos" in s or "['position']" in s,
        "a conv with SAME padding": lambda s: "lax.conv_general_dilated(" in s and "(0, 1)" in s,
        "a conv with VALID padding": lambda s: "lax.conv_general_dilated(" in s and "((0, 0), (0, 0)))" in s,
        "a per-channel bias": lambda s: ".reshape((1, " in s and "lax.conv_general_dilated(" in s,
        "global average pooling": lambda s: "axis=(2, 3)" in s,
        "Flax's module names": lambda s: "['Conv_0']['kernel']" in s or "['Embed_0']['embedding']" in s,
    }
    missing = [name for name, found in spellings.items() if not any(found(s) for s in sources)]
    assert not missing, f"{missing} never drawn in {DRAWS} layer programs"
    conv = sum("lax.conv_general_dilated(" in s for s in sources) / len(sources)
    embedding = sum("%" in s and ("one_hot" in s or "take(" in s or "[" in s) for s in sources) / len(sources)
    assert 0.1 <= conv <= 0.35 and 0.1 <= embedding <= 0.4, (conv, embedding)


def test_an_embedding_reads_only_the_rows_its_ids_pick(layers):
    """Changing a table row that no id (mod the vocabulary) picks leaves the output as it was;
    changing a picked row changes it in some program (so the check is not vacuous)."""
    checked = changed = 0
    for program in layers:
        table = next((k for k, a in enumerate(program.args)
                      if (a.path and a.path[-1] == "embedding") or (not a.path and a.name == "table")), None)
        ids = [k for k, a in enumerate(program.args) if a.dtype == "int32"]
        if table is None or len(ids) != 1 or program.args[table].dtype != "float32":
            continue
        inputs = make_inputs(program.lowered_args, checked)
        vocab = program.args[table].shape[0]
        picked = set(np.asarray(inputs[ids[0]]).ravel() % vocab)
        before = evaluate(program, inputs)
        for row in range(vocab):
            edited = list(inputs)
            edited[table] = np.array(inputs[table])
            edited[table][row] += 1.5
            after = evaluate(program, edited)
            if row in picked:
                changed += not np.array_equal(after, before)
            else:
                assert np.array_equal(after, before), program.source
        checked += 1
        if checked == 8:
            break
    assert checked == 8 and changed


def test_conv_padding_is_same_or_valid_as_drawn(layers):
    """SAME padding, ``((k - 1) // 2, k // 2)`` per spatial axis, keeps the image's size; VALID,
    no padding, shrinks it by ``k - 1``; the channels become the kernel's output channels."""
    seen = set()
    for program in layers:
        first = program.source.splitlines()[1].strip()
        if not first.startswith("v0 = lax.conv_general_dilated(") or any(a.path for a in program.args):
            continue
        image, kernel = program.args[0].shape, program.args[1].shape
        spatial = len(image) - 2
        padding = eval(first.split(f", {(1,) * spatial}, ")[1][:-1])  # noqa: S307 - our own drawn source
        out = program.statement_types[0].shape
        assert out[:2] == (image[0], kernel[0]), program.source
        if all(pair == (0, 0) for pair in padding):
            assert out[2:] == tuple(i - k + 1 for i, k in zip(image[2:], kernel[2:])), program.source
            seen.add("valid")
        else:
            assert padding == tuple(((k - 1) // 2, k // 2) for k in kernel[2:]), program.source
            assert out[2:] == image[2:], program.source
            seen.add("same")
    assert seen == {"same", "valid"}


@pytest.mark.parametrize("grammar", [GrammarSettings(max_rank=3), GrammarSettings(max_rank=2, max_dim=2),
                                     GrammarSettings(max_arg_elements=4), GrammarSettings(dtypes=("float16",))],
                         ids=["rank3", "rank2-dim2", "four-elements", "float16-no-ints"])
def test_narrow_settings_fall_back_to_what_fits(grammar):
    for seed in range(60):
        program = build_program(RandomChooser(seed), "layer", grammar)
        assert all(len(a.shape) <= grammar.max_rank for a in program.args), program.source
        assert all(a.dtype in grammar.dtypes for a in program.args), program.source
        if grammar.max_rank < 4:
            assert "(1, 1), ((" not in program.source, program.source  # no 2-D conv without rank 4


def test_rotary_embeddings_turn_each_feature_pair_by_position_times_frequency():
    """Position t turns the pair (x[t, i], x[t, i + half]) by t * base ** (-i / half): position 0
    is unchanged, every pair keeps its length, and position 1's first pair turns by 1 radian."""
    from fuzzgen.grammar import ValueType
    from fuzzgen.grammar.blocks import rotary, rotary_angles
    from fuzzgen.program.builder import ProgramBuilder

    w = ProgramBuilder(RandomChooser(0), GrammarSettings())
    x = w.arg(ValueType((3, 4), "float32"))
    cos, sin = rotary_angles(w, 3, 4)
    program = w.finish("attention", rotary(w, x, cos, sin), "rope")
    inputs = make_inputs(program.lowered_args, 0)
    got, x = evaluate(program, inputs), np.asarray(inputs[0], np.float64)
    np.testing.assert_allclose(got[0], x[0], rtol=1e-6)
    np.testing.assert_allclose(np.hypot(got[:, :2], got[:, 2:]), np.hypot(x[:, :2], x[:, 2:]), rtol=1e-5)
    np.testing.assert_allclose(got[1, 0], x[1, 0] * np.cos(1.0) - x[1, 2] * np.sin(1.0), rtol=1e-5)
    assert not np.allclose(got[2], x[2])


def test_attention_rotates_queries_and_keys_now_and_then():
    rotated = [p for p in (build_program(RandomChooser(seed), "attention") for seed in range(120))
               if "jnp.concatenate(" in p.source]
    assert 0.05 <= len(rotated) / 120 <= 0.3
    assert all(p.source.count("jnp.concatenate(") == 2 and "jnp.cos(" in p.source for p in rotated)
