"""The grammar checker: hostile sources never run, and every grammar program passes.

Each hostile source creates a sentinel file if it ever executes. `test_payloads_are_live` runs
them unchecked in plain Python to show that each one really would; every other test asserts
that, behind the checker, the sentinel never appears.
"""
import ast
import re
import json
import pickle
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jax import lax

from fuzzgen.program import ArgSpec
from fuzzgen.trust.checker import UntrustedSourceError, check_source
from fuzzgen.trust.limits import MAX_DEPTH, cross_check
from fuzzgen.grammar import EXTRA_CATEGORY_NAMES, OPS, Call, Op, Operator, Registry
from fuzzgen.grammar import rules
from fuzzgen.grammar.catalog import FLOAT
from fuzzgen.trust.sandbox import load_checked_function
from fuzzgen.trust import check_program
from fuzzgen.strategies import programs
from helpers import ROOT, run_cli
from inprocess import run_main

OPEN = "lax.__dict__['__builtins__']['open']"  # reaches open() even with empty __builtins__

# (id, source, parameter names, fragment of the rejection). SENTINEL becomes the sentinel path.
HOSTILE = [
    ("dunder_import", "def f(a):\n    v0 = __import__('pathlib').Path(SENTINEL).touch()\n    return a\n",
     "a", "line 2: call of \"__import__('pathlib')"),
    ("subclasses_gadget", "def f(a):\n    v0 = [c for c in ().__class__.__bases__[0].__subclasses__() "
     "if c.__name__ == '_wrap_close'][0].__init__.__globals__['__builtins__']['open'](SENTINEL, 'w')\n"
     "    return a\n", "a", "line 2: call of '[c for c in"),
    ("open", "def f(a):\n    v0 = open(SENTINEL, 'w')\n    return a\n", "a", "line 2: call of 'open'"),
    ("jnp_load_pickle", "def f(a):\n    v0 = jnp.load(PICKLE, allow_pickle=True)\n    return a\n", "a",
     "line 2: attribute 'jnp.load' is not a grammar op"),
    ("lax_dict", "def f(a):\n    v0 = lax.__dict__\n    v1 = v0['__builtins__']['open'](SENTINEL, 'w')\n"
     "    return a\n", "a", "line 2: attribute 'lax.__dict__' is not a grammar op"),
    ("lax_dict_call", f"def f(a):\n    v0 = {OPEN}(SENTINEL, 'w')\n    return a\n", "a",
     "line 2: call of \"lax.__dict__['__builtins__']['open']\" is not a grammar op"),
    ("decorator", "@(lambda fn: [open(SENTINEL, 'w'), fn][1])\ndef f(a):\n    return a\n", "a", "line 1: decorator"),
    ("default_arg", "def f(a, b=open(SENTINEL, 'w')):\n    return a\n", "ab", "line 1: parameter 'b' has a default"),
    ("default_arg_gadget", f"def f(a, b={OPEN}(SENTINEL, 'w')):\n    return a\n", "ab", "has a default"),
    ("nested_function", "def f(a):\n    def g():\n        return open(SENTINEL, 'w')\n    v0 = g()\n    return a\n",
     "a", "line 2: nested function"),
    ("walrus", f"def f(a):\n    v0 = jnp.sin((w := {OPEN}(SENTINEL, 'w')) and a)\n    return v0\n", "a",
     "line 2: boolean operator"),
    ("walrus_bare", f"def f(a):\n    v0 = jnp.sin((w := {OPEN}(SENTINEL, 'w')))\n    return a\n", "a",
     "line 2: walrus (:=)"),
    ("lambda", "def f(a):\n    v0 = (lambda: open(SENTINEL, 'w'))()\n    return a\n", "a", "line 2: call of \"(lambda"),
    ("lambda_value", "def f(a):\n    v0 = lambda: open(SENTINEL, 'w')\n    v1 = v0()\n    return a\n", "a",
     "line 2: lambda"),
    ("list_comprehension", "def f(a):\n    v0 = [open(SENTINEL, 'w') for i in (1,)]\n    return a\n", "a",
     "line 2: list comprehension"),
    ("set_comprehension", "def f(a):\n    v0 = {open(SENTINEL, 'w') for i in (1,)}\n    return a\n", "a",
     "line 2: set comprehension"),
    ("f_string", "def f(a):\n    v0 = f\"{open(SENTINEL, 'w')}\"\n    return a\n", "a", "line 2: f-string"),
    ("getattr", "def f(a):\n    v0 = getattr(lax, '__dict__')['__builtins__']['open'](SENTINEL, 'w')\n    return a\n",
     "a", "line 2: call of \"getattr(lax, '__dict__')"),
    ("globals", "def f(a):\n    v0 = globals()['lax'].__dict__['__builtins__']['open'](SENTINEL, 'w')\n    return a\n",
     "a", "line 2: call of \"globals()['lax']"),
    ("exec", "def f(a):\n    v0 = exec(\"open(SENTINEL, 'w')\")\n    return a\n", "a", "line 2: call of 'exec'"),
    ("eval", "def f(a):\n    v0 = eval(\"open(SENTINEL, 'w')\")\n    return a\n", "a", "line 2: call of 'eval'"),
    ("array_method_globals", "def f(a):\n    v0 = a.sum.__func__.__globals__\n"
     "    v1 = v0['__builtins__']['open'](SENTINEL, 'w')\n    return a\n", "a", "line 2: attribute 'a.sum.__func__"),
    ("function_globals", "def f(a):\n    v0 = lax.logistic.__globals__['__builtins__']['open'](SENTINEL, 'w')\n"
     "    return a\n", "a", "line 2: call of \"lax.logistic.__globals__"),
    ("import", "def f(a):\n    import os\n    v0 = os.open(SENTINEL, os.O_CREAT | os.O_WRONLY)\n    return a\n", "a",
     "line 2: import"),
    ("from_import", "def f(a):\n    from pathlib import Path\n    v0 = Path(SENTINEL).touch()\n    return a\n", "a",
     "line 2: import"),
    ("global", f"def f(a):\n    global jnp\n    jnp = {OPEN}(SENTINEL, 'w')\n    return a\n", "a", "line 2: global"),
    ("class", "def f(a):\n    class C:\n        x = open(SENTINEL, 'w')\n    return a\n", "a",
     "line 2: class definition"),
    ("starred", "def f(a):\n    v0 = jnp.sin(*[a, open(SENTINEL, 'w')][:1])\n    return v0\n", "a",
     "line 2: starred argument"),
    ("module_code_before", "v = open(SENTINEL, 'w')\ndef f(a):\n    return a\n", "a",
     "line 1: assignment \"v = open("),
    ("module_code_after", "def f(a):\n    return a\nv = open(SENTINEL, 'w')\n", "a", "line 3: assignment"),
    ("keyword_param_code", f"def f(a):\n    return jnp.sum(a, axis={OPEN}(SENTINEL, 'w'))\n", "a",
     "line 2: parameter"),
    ("conditional_expression", "def f(a):\n    return a if open(SENTINEL, 'w') else a\n", "a",
     "line 2: conditional expression"),
    ("homoglyph_open", "def f(a):\n    v0 = \uff4f\uff50\uff45\uff4e(SENTINEL, 'w')\n    return a\n", "a",
     "line 2: call of"),
    ("builtins_name", "def f(a):\n    v0 = __builtins__['open'](SENTINEL, 'w')\n    return a\n", "a",
     "line 2: call of \"__builtins__['open']\""),
    ("builtins_value", "def f(a):\n    v0 = __builtins__\n    v1 = v0['open'](SENTINEL, 'w')\n    return a\n", "a",
     "line 2: name '__builtins__' is not bound"),
    ("assert", "def f(a):\n    assert open(SENTINEL, 'w')\n    return a\n", "a", "line 2: assert"),
    ("with", "def f(a):\n    with open(SENTINEL, 'w'):\n        pass\n    return a\n", "a", "line 2: with statement"),
    ("lambda_body_in_cond", "def f(a):\n    v0 = jnp.sum(a, axis=None) > 0.0\n"
     "    v1 = lax.cond(v0, lambda x0: jnp.sin(open(SENTINEL, 'w')), lambda x1: x1, a)\n    return v1\n",
     "a", "line 3: call of 'open'"),
    ("lambda_default_in_cond", "def f(a):\n    v0 = jnp.sum(a, axis=None) > 0.0\n"
     "    v1 = lax.cond(v0, lambda x0, d=open(SENTINEL, 'w'): x0, lambda x1: x1, a)\n    return v1\n",
     "a", "line 3: a lambda may only have plain parameters"),
    ("lambda_where_no_function_goes", "def f(a):\n    v0 = jnp.sin((lambda: open(SENTINEL, 'w'))())\n"
     "    return v0\n", "a", "line 2: call of \"(lambda"),
    ("tuple_target_gadget", f"def f(a):\n    v0, v1 = {OPEN}(SENTINEL, 'w'), a\n    return v1\n", "a",
     "line 2: tuple"),
    ("call_on_module_call", f"def f(a):\n    v0 = jnp({OPEN}(SENTINEL, 'w')).sin(a)\n    return v0\n", "a",
     "line 2: call of \"jnp(lax.__dict__"),
    ("call_on_module_subscript", f"def f(a):\n    v0 = lax[{OPEN}(SENTINEL, 'w')].logistic(a)\n    return v0\n",
     "a", "line 2: call of \"lax[lax.__dict__"),
    ("augmented_assignment", f"def f(a):\n    v0 = a\n    v0 += {OPEN}(SENTINEL, 'w')\n    return v0\n",
     "a", "line 3: augmented assignment"),
    # The forms of issue 13: gathers, einsum strings, tree maps and transforms in the source.
    ("gather_index_gadget", f"def f(a):\n    v0 = a[{OPEN}(SENTINEL, 'w')]\n    return a\n", "a",
     "line 2: call of \"lax.__dict__"),
    ("einsum_spec_gadget", f"def f(a):\n    v0 = jnp.einsum({OPEN}(SENTINEL, 'w'), a, a)\n    return a\n", "a",
     "must be a literal"),
    ("tree_map_leaf_gadget", f"def f(a):\n    v0, v1 = jax.tree.map(lambda t: t, (a, {OPEN}(SENTINEL, 'w')))\n"
     "    return v0\n", "a", "line 2: call of \"lax.__dict__"),
    ("vmap_body_open", "def f(a):\n    v0 = jax.vmap(lambda r: jnp.sin(open(SENTINEL, 'w')))(a)\n    return a\n",
     "a", "line 2: call of 'open'"),
    ("vmap_keyword_gadget", f"def f(a):\n    v0 = jax.vmap(lambda r: r, in_axes={OPEN}(SENTINEL, 'w'))(a)\n"
     "    return a\n", "a", "must be a literal"),
    ("transformed_operand_gadget", f"def f(a):\n    v0 = jax.jit(lambda t: t)({OPEN}(SENTINEL, 'w'))\n"
     "    return a\n", "a", "line 2: call of \"lax.__dict__"),
    ("finfo_gadget", f"def f(a):\n    v0 = a + jnp.finfo({OPEN}(SENTINEL, 'w')).eps\n    return a\n", "a",
     "line 2: attribute"),
    ("axis_name_gadget", f"def f(a):\n    v0 = jax.vmap(lambda r: lax.pmean(r, {OPEN}(SENTINEL, 'w')), axis_name='i')(a)\n"
     "    return a\n", "a", "must be a literal"),
    # Helpers and keyword-only numbers (issue 14): what a def before the program may hold.
    ("helper_body_open", "def g(x):\n    return jnp.sin(open(SENTINEL, 'w'))\ndef f(a):\n    return g(a)\n", "a",
     "line 2: call of 'open'"),
    ("helper_keyword_default_gadget", f"def g(x, *, eps={OPEN}(SENTINEL, 'w')):\n    return x\n"
     "def f(a):\n    return g(a)\n", "a", "line 1: keyword-only parameter 'eps' must have a number"),
    ("program_keyword_default_gadget", f"def f(a, *, eps={OPEN}(SENTINEL, 'w')):\n    return a\n", "a",
     "line 1: keyword-only parameter 'eps' must have a number"),
    ("helper_positional_default", "def g(x, e=open(SENTINEL, 'w')):\n    return x\ndef f(a):\n    return g(a)\n",
     "a", "line 1: parameter 'e' has a default"),
    ("helper_decorator", "@(lambda fn: [open(SENTINEL, 'w'), fn][1])\ndef g(x):\n    return x\n"
     "def f(a):\n    return g(a)\n", "a", "line 1: decorator"),
    ("helper_call_keyword_gadget", f"def g(x, *, eps=1e-05):\n    return x + eps\n"
     f"def f(a):\n    return g(a, eps={OPEN}(SENTINEL, 'w'))\n", "a", "line 4: keyword 'eps' of 'g' must be a number"),
    ("helper_call_starred", "def g(x):\n    return x\ndef f(a):\n    return g(*[a, open(SENTINEL, 'w')][:1])\n",
     "a", "line 4: starred argument"),
    ("helper_calls_helper", "def g(x):\n    return jnp.sin(open(SENTINEL, 'w'))\ndef h(x):\n    return g(x)\n"
     "def f(a):\n    return h(a)\n", "a", "line 2: call of 'open'"),
    ("helper_nested_def", "def g(x):\n    def k():\n        return open(SENTINEL, 'w')\n    v0 = k()\n    return x\n"
     "def f(a):\n    return g(a)\n", "a", "line 2: nested function"),
    ("helper_kwargs", "def g(x, **k):\n    return x\ndef f(a):\n    return g(a, e=open(SENTINEL, 'w'))\n", "a",
     "line 1: only plain positional parameters"),
    ("program_recurses", "def f(a):\n    v0 = open(SENTINEL, 'w')\n    return f(a)\n", "a", "line 2: call of 'open'"),
    ("if_body_open", "def f(a, *, on=True):\n    if on:\n        v0 = open(SENTINEL, 'w')\n    return a\n", "a",
     "line 3: call of 'open'"),
    ("if_test_call", "def f(a, *, on=True):\n    if open(SENTINEL, 'w'):\n        a = jnp.sin(a)\n    return a\n", "a",
     "line 2: an if tests a keyword-only flag"),
    ("if_else_open", "def f(a, *, on=False):\n    if on:\n        a = jnp.sin(a)\n    else:\n"
     "        v0 = open(SENTINEL, 'w')\n    return a\n", "a", "an if has no else"),
    ("if_nested_def", "def f(a, *, on=True):\n    if on:\n        def g():\n            return open(SENTINEL, 'w')\n"
     "        v0 = g()\n    return a\n", "a", "line 3: nested function"),
    ("flag_default_gadget", f"def f(a, *, on={OPEN}(SENTINEL, 'w')):\n    return a\n", "a",
     "keyword-only parameter 'on' must have a number, True or False"),
    ("for_body_open", "def f(a):\n    for i in range(2):\n        v0 = open(SENTINEL, 'w')\n    return a\n", "a",
     "line 3: call of 'open'"),
    ("for_over_call", "def f(a):\n    for i in [open(SENTINEL, 'w')]:\n        a = jnp.sin(a)\n    return a\n", "a",
     "line 2: a for loop runs over range"),
    ("for_range_gadget", f"def f(a):\n    for i in range({OPEN}(SENTINEL, 'w')):\n        a = jnp.sin(a)\n"
     "    return a\n", "a", "line 2: a for loop runs over range"),
    ("for_else_open", "def f(a):\n    for i in range(1):\n        a = jnp.sin(a)\n    else:\n"
     "        v0 = open(SENTINEL, 'w')\n    return a\n", "a", "a for loop has no else"),
    ("module_code_between_definitions", "def g(x):\n    return x\nv = open(SENTINEL, 'w')\n"
     "def f(a):\n    return g(a)\n", "a", "line 3: assignment"),
    # tree results: `return loss, {'mu': mu, 'nu': nu}` is the one place a dict display may stand
    ("result_value_open", "def f(a):\n    return a, {'w': open(SENTINEL, 'w')}\n", "a", "line 2: call of 'open'"),
    ("result_key_gadget", f"def f(a):\n    return {{{OPEN}(SENTINEL, 'w'): a}}\n", "a",
     "line 2: a result key must be an identifier string"),
    ("result_dict_splat", f"def f(a):\n    return {{'w': a, **{OPEN}(SENTINEL, 'w')}}\n", "a",
     "line 2: StarredDictElement"),
    ("result_tuple_splat", f"def f(a):\n    return a, *{OPEN}(SENTINEL, 'w')\n", "a", "line 2: starred expression"),
    ("result_nested_deep", "def f(a):\n    return a, {'b': (a, open(SENTINEL, 'w'))}\n", "a",
     "line 2: a result display nested 3 deep"),
    ("dict_outside_return", f"def f(a):\n    v0 = {{'k': {OPEN}(SENTINEL, 'w')}}\n    return a\n", "a",
     "line 2: dict"),
    ("helper_returns_dict", "def g(x):\n    return {'k': open(SENTINEL, 'w')}\n\n\ndef f(a):\n    v0 = g(a)\n"
     "    return a\n", "a", "line 2: dict"),
]
HOSTILE_IDS = [h[0] for h in HOSTILE]


class _OpensOnLoad:
    """Unpickling this opens a file: what `jnp.load(..., allow_pickle=True)` would run."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return open, (self.path, "w")


def materialize(tmp_path, source):
    """The source with its sentinel path filled in, and that path (which must stay absent)."""
    sentinel = tmp_path / "sentinel"
    pickled = tmp_path / "payload.npy"
    if "PICKLE" in source and not pickled.exists():
        np.save(pickled, np.array([_OpensOnLoad(sentinel)], dtype=object), allow_pickle=True)
    return source.replace("SENTINEL", repr(str(sentinel))).replace("PICKLE", repr(str(pickled))), sentinel


def specs(names):
    return tuple(ArgSpec(name, (3,), "float32") for name in names)


@pytest.mark.parametrize("name, template, params, fragment", HOSTILE, ids=HOSTILE_IDS)
def test_hostile_source_is_rejected_before_exec(tmp_path, name, template, params, fragment):
    source, sentinel = materialize(tmp_path, template)
    with pytest.raises(UntrustedSourceError) as rejected:
        check_source(source, specs(params), "f")
    message = str(rejected.value)
    assert fragment in message and len(message.splitlines()) == 1, message
    with pytest.raises(UntrustedSourceError):
        load_checked_function(source, specs(params), "f")
    with pytest.raises(UntrustedSourceError):
        check_program(source, "f", specs(params))
    assert not sentinel.exists()


@pytest.mark.parametrize("name, template, params, fragment", HOSTILE, ids=HOSTILE_IDS)
def test_payloads_are_live(tmp_path, name, template, params, fragment):
    """Unchecked, with builtins, each source does create its sentinel: the tripwire works."""
    source, sentinel = materialize(tmp_path, template)
    namespace = {"jnp": jnp, "lax": lax, "jax": jax}
    try:
        exec(compile(source, "<hostile>", "exec"), namespace)  # noqa: S102 - the point of the test
        namespace["f"](*[jnp.ones(3, "float32") for _ in params])
    except Exception:  # noqa: BLE001 - many payloads fail after their side effect
        pass
    assert sentinel.exists()


def hostile_corpus(tmp_path):
    path = tmp_path / "hostile.jsonl"
    lines = []
    for name, template, params, _ in HOSTILE:
        source, _ = materialize(tmp_path, template)
        lines.append(json.dumps({"id": name, "category": "elementwise", "function_name": "f", "python": source,
                                 "args": [a.to_json() for a in specs(params)],
                                 "ir_sha256": {"jaxpr": {"forward": "0" * 64, "backward": "0" * 64}}}))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_replay_rejects_every_hostile_case(tmp_path, capsys):
    corpus = hostile_corpus(tmp_path)
    status, out, err = run_main(capsys, "replay", corpus, "--update")
    assert status == 1, err
    assert out.count("rejected  ") == len(HOSTILE)
    assert f"0 same, 0 changed, {len(HOSTILE)} rejected, 0 error" in out
    assert not (tmp_path / "sentinel").exists()
    assert corpus.read_text().count("\n") == len(HOSTILE)  # --update left it as it was


def test_replay_in_a_fresh_process_rejects_them_too(tmp_path):
    result = run_cli("replay", hostile_corpus(tmp_path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{len(HOSTILE)} rejected" in result.stdout
    assert not (tmp_path / "sentinel").exists()


def test_rejection_names_the_node_and_its_line():
    source = "def f(a):\n    v0 = jnp.sin(a)\n    v1 = os.system('x')\n    return v0\n"
    with pytest.raises(UntrustedSourceError, match=r"^line 3: attribute 'os.system' is not a grammar op$"):
        check_source(source, specs("a"))


@pytest.mark.parametrize("source, fragment", [
    ("def f(a):\n    return b\n", "name 'b' is not bound before use"),
    ("def f(a):\n    v0 = v0\n    return a\n", "name 'v0' is not bound"),
    ("def f(a):\n    v0 = a\n    v0 = a\n    return v0\n", "'v0' is already bound"),
    ("def f(a):\n    return 'x'\n", "string"),
    ("def f(a):\n    return b'x'\n", "string"),
    ("def f(a):\n    return a[a, 0]\n", "must be integers, slices of integers, None or ..."),
    ("def f(a):\n    return a['ij']\n", "must be integers"),
    ("def f(a):\n    return jnp.sin('ij')\n", "string"),
    ("def f(a):\n    return jnp.einsum('ij\\n', a, a)\n", "must be a literal"),
    ("def f(a):\n    return jnp.einsum(r'ij', a, a)\n", "must be a literal"),
    # static shapes and axes: `jnp.shape(x)` and `x.ndim - k` of bound names, as parameters only
    ("def f(a):\n    return jnp.zeros(jnp.shape(a + 1.0))\n", "must be a literal"),
    ("def f(a):\n    return jnp.zeros(jnp.shape(b))\n", "must be a literal"),
    ("def f(a):\n    return jnp.sum(a, axis=a.ndim + 1)\n", "must be a literal"),
    ("def f(a):\n    return a * a.ndim\n", "attribute 'a.ndim'"),
    ("def f(a):\n    return a * jnp.shape(a)\n", "is not a grammar op"),
    # machine epsilon: only `jnp.finfo(<dtype>).eps`
    ("def f(a):\n    return a + jnp.finfo(a).eps\n", "attribute 'jnp.finfo(a).eps'"),
    ("def f(a):\n    return a + jnp.finfo(a.dtype).max\n", "is not a grammar op"),
    ("def f(a):\n    return a.eps\n", "attribute 'a.eps'"),
    ("def f(a):\n    return jnp.finfo(a.dtype)\n", "attribute 'jnp.finfo'"),
    # axis names: only from AXIS_NAMES, only where a vmap names its axis or a collective reads it
    ("def f(a):\n    return jax.vmap(lambda r: lax.psum(r, 'os'), axis_name='os')(a)\n", "str is not allowed"),
    ("def f(a):\n    return jax.vmap(lambda r: jnp.sum(r, axis='i'), axis_name='i')(a)\n", "str is not allowed"),
    ("def f(a):\n    return jax.vmap(lambda r: r, in_axes='i')(a)\n", "str is not allowed"),
    ("def f(a):\n    return a[jnp.sin]\n", "attribute 'jnp.sin'"),
    ("def f(a):\n    return a[0.5]\n", "must be integers"),
    ("def f(a):\n    return a[a:]\n", "slice bounds"),
    ("def f(a):\n    return a[()]\n", "must be integers"),
    ("def f(a):\n    return a[0, 0, 0, 0, 0, 0, 0, 0, 0]\n", "1 to 8 parts, not 9"),
    ("def f(a):\n    return jnp.pi\n", "attribute 'jnp.pi'"),
    ("def f(a):\n    return jax.numpy.sin(a)\n", "attribute 'jax.numpy.sin'"),
    ("def f(a):\n    return jax.nn\n", "attribute 'jax.nn'"),
    ("def f(a):\n    return a.shape\n", "attribute 'a.shape'"),
    ("def f(a):\n    return a.T.__class__\n", "attribute 'a.T.__class__'"),
    ("def f(a):\n    return a.sum(axis=a)\n", "must be a literal"),
    ("def f(a):\n    return a.astype(jnp.complex64)\n", "must be a literal"),
    ("def f(a):\n    return a.sum(bogus=1)\n", "matches no grammar op"),
    ("def f(a):\n    return a.tolist()\n", "attribute 'a.tolist'"),
    ("def f(a):\n    return jnp.sin(a).item()\n", "call of 'jnp.sin(a).item'"),
    ("def f(a):\n    return True\n", "'True' is only allowed as a parameter"),
    ("def f(a):\n    return jnp\n", "module 'jnp'"),
    ("def f(a):\n    return a << a\n", "operator '<<'"),
    ("def f(a):\n    return a ^ a\n", "operator '^'"),
    ("def f(a):\n    return a < a < a\n", "chained comparison"),
    ("def f(a):\n    return not a\n", "operator 'not'"),
    ("def f(a):\n    return 1j\n", "imaginary number"),
    ("def f(a):\n    return jnp.sin(a, 1)\n", "matches no grammar op"),
    ("def f(a):\n    return jnp.sum(a, bogus=1)\n", "keyword(s) bogus"),
    ("def f(a):\n    return jnp.sum(a, axis=0, axis=1)\n", "repeated"),
    ("def f(a):\n    return jnp.sum(a, axis=a)\n", "must be a literal"),
    ("def f(a):\n    return jnp.sum(a, **{'axis': 0})\n", "starred argument"),
    ("def f(a):\n    return 1" + "0" * 40 + "\n", "numeric literal"),
    ("def f(a):\n    v0 = a\n", "must end with a return"),
    ("def f(a):\n    return a\n    v0 = a\n", "return must be the last"),
    ("def f(a):\n    return\n", "must return a value"),
    ("def f(a):\n    v0 = a; v1 = a\n    return a\n", "';' is not allowed"),
    ("def f(a): return a\n", "indented block"),
    ("def f(a, b):\n    return a\n", "do not match the arg specs"),
    ("def f(b):\n    return b\n", "do not match the arg specs"),
    ("def f(a, /):\n    return a\n", "plain positional"),
    ("def f(*a):\n    return a\n", "plain positional"),
    ("def f(a: int):\n    return a\n", "annotation"),
    ("def f(a) -> int:\n    return a\n", "return annotations"),
    ("async def f(a):\n    return a\n", "async"),
    ("def _f(a):\n    return a\n", "underscore"),
    ("def jnp(a):\n    return a\n", "reserved"),
    ("def f(a):\n    v\u00e9 = a\n    return a\n", "not a plain ASCII identifier"),
    ("def f(a):\n    return yield_ + a\n", "not bound"),
    ("", "exactly one function definition, found 0"),
    ("def f(a):\n    return a\ndef g(a):\n    return a\n", "helper 'f' is defined but never called by 'g'"),
    ("def g(x):\n    return x\ndef f(a):\n    return g(a, a)\n", "takes 1 positional argument(s), not 2"),
    ("def g(x, *, eps=1e-05):\n    return x\ndef f(a):\n    return g(a, tol=1e-05)\n",
     "no keyword-only parameter 'tol'"),
    ("def g(x):\n    return x\ndef g(y):\n    return y\ndef f(a):\n    return g(a)\n", "already bound"),
    ("def g(x):\n    return x\ndef f(a):\n    g = jnp.sin(a)\n    return g\n", "is a helper's name"),
    ("def g(x):\n    return x\ndef f(g):\n    return g\n", "is a helper's name"),
    ("def g(x):\n    return x\ndef f(a):\n    v0 = g\n    return g(a)\n", "name 'g' is not bound"),
    ("def g(x):\n    return g(x)\ndef f(a):\n    return g(a)\n", "call of 'g'"),
    ("def g(x):\n    return a\ndef f(a):\n    return g(a)\n", "name 'a' is not bound"),
    ("def f(a):\n    return f(a)\n", "call of 'f'"),
    ("def f(a, *, eps=1e-05):\n    return jnp.reshape(a, eps.shape)\n", "must be a literal"),
    ("def f(a, *, eps):\n    return a\n", "keyword-only parameter 'eps' must have a number"),
    ("def f(a, *, eps=None):\n    return a\n", "keyword-only parameter 'eps' must have a number"),
    ("".join(f"def g{k}(x):\n    return x\n" for k in range(9)) + "def f(a):\n    return g0(a)\n",
     "at most 8 helpers"),
    ("def f(a, *, eps=1e-05):\n    if eps:\n        a = jnp.sin(a)\n    return a\n", "tests a keyword-only flag"),
    ("def f(a, *, on=True):\n    if not on:\n        a = jnp.sin(a)\n    return a\n", "tests a keyword-only flag"),
    ("def f(a, *, on=True):\n    if on:\n        v0 = jnp.sin(a)\n    return v0\n", "name 'v0' is not bound"),
    ("def f(a, *, on=True):\n    if on:\n        return a\n    return a\n", "return"),
    ("def f(a, *, on=True):\n    if on:\n        on = jnp.sin(a)\n    return a\n", "already bound"),
    ("def f(a, *, on=True):\n    if on:\n        if on:\n            a = jnp.sin(a)\n    return a\n",
     "if statement"),
    ("def f(a, *, on=True):\n    if on:\n        v0, v1 = a, a\n    return a\n", "binds one name"),
    ("def f(a, *, on=True):\n    if on:\n        a = jnp.sin(a)\n", "must end with a return"),
    ("def f(a):\n    for i in range(1000000000):\n        a = jnp.sin(a)\n    return a\n", "at most 8 iterations"),
    ("def f(a):\n    for i in range(3, 1):\n        a = jnp.sin(a)\n    return a\n", "runs over range"),
    ("def f(a):\n    for i in range(0, 4, 2):\n        a = jnp.sin(a)\n    return a\n", "runs over range"),
    ("def f(a):\n    for i in range(-1):\n        a = jnp.sin(a)\n    return a\n", "runs over range"),
    ("def f(a):\n    for i, j in range(2):\n        a = jnp.sin(a)\n    return a\n", "binds one name"),
    ("def f(a):\n    for i in range(2):\n        for j in range(2):\n            a = jnp.sin(a)\n    return a\n",
     "for loop"),
    ("def f(a):\n    for i in range(2):\n        v0 = jnp.sin(a)\n    return v0\n", "name 'v0' is not bound"),
    ("def f(a):\n    for i in range(2):\n        i = jnp.sin(a)\n    return a\n", "already bound"),
    ("def f(a):\n    for a in range(2):\n        v0 = jnp.sin(a)\n    return a\n", "already bound"),
    ("def f(a):\n    v0 = range(2)\n    return a\n", "call of 'range'"),
    ("def f(range):\n    for i in range(2):\n        range = jnp.sin(range)\n    return range\n", "reserved"),
    ("def f(a):\n    range = jnp.sin(a)\n    return range\n", "reserved"),
    ("def range(x):\n    return x\ndef f(a):\n    return range(a)\n", "reserved"),
    ("def f(a, *, on=True):\n    return a * on\n", "only tested by an if"),
    ("def f(a):\n    for i in range(2):\n        a = a * i\n    return a\n", "only tested by an if or used as a tree"),
    ("def f(a):\n    return (a\n", "syntax error"),
    ("def f(a):\n    return a\x00\n", "null bytes"),
    ("def f(a):\n    return " + "-" * 100_000 + "a\n", "characters; at most"),
    ("def f(a):\n    return " + "-" * (MAX_DEPTH + 1) + "a\n", "nested"),
    ("def f(a):\n    return " + "+".join(["a"] * 30_000) + "\n", "nested"),
    ("def f(a):\n    return " + "(" * 5000 + "a" + ")" * 5000 + "\n", "syntax error"),
])
def test_non_grammar_source_is_rejected(source, fragment):
    with pytest.raises(UntrustedSourceError) as rejected:
        check_source(source, specs("a"))
    assert fragment in str(rejected.value) and len(str(rejected.value).splitlines()) == 1


def test_the_function_name_must_match_the_record():
    source = "def g(a):\n    return a\n"
    assert check_source(source, specs("a")).function_name == "g"
    with pytest.raises(UntrustedSourceError, match="named 'g', but the record says 'f'"):
        check_source(source, specs("a"), "f")


@given(programs())
def test_every_grammar_program_passes(program):
    assert check_source(program.source, program.args, program.function_name).function_name == program.function_name


@pytest.mark.parametrize("category", EXTRA_CATEGORY_NAMES)
@settings(max_examples=30)
@given(data=st.data())
def test_every_opt_in_program_passes(category, data):
    """control_flow draws lambdas, tuple-packed branches and two-result scans; vmap plain programs."""
    program = data.draw(programs(category=category))
    assert check_source(program.source, program.args, program.function_name).function_name == program.function_name


@pytest.mark.parametrize("source, fragment", [
    ("def f(a):\n    v0 = lax.cond(a > 0.0, lambda x0, y1: x0, lambda x2: x2, a)\n    return v0\n",
     "takes a lambda of 1 parameter(s), not 2"),
    ("def f(a):\n    v0 = lax.cond(a > 0.0, jnp.sin, lambda x2: x2, a)\n    return v0\n", "must be a lambda"),
    ("def f(a):\n    v0 = lax.cond(a > 0.0, lambda a: a, lambda x2: x2, a)\n    return v0\n", "already bound"),
    ("def f(a):\n    v0 = lax.cond(a > 0.0, lambda x0: x0, lambda x0: x0, a)\n    return x0\n", "'x0' is not bound"),
    ("def f(a, b):\n    v0 = lax.scan(lambda c0, x1: (c0, c0), a, b)\n    return v0\n", "1 name(s) bound to a value "
     "with 2 result(s)"),
    ("def f(a, b):\n    return lax.scan(lambda c0, x1: (c0, c0), a, b)\n", "has 2 results"),
    ("def f(a, b):\n    v0, v1, v2 = lax.scan(lambda c0, x1: (c0, c0), a, b)\n    return v0\n", "3 name(s)"),
    ("def f(a, i):\n    v0 = lax.switch(i, a)\n    return v0\n", "matches no grammar op"),
    ("def f(a, i):\n    v0 = lax.switch(i, lambda x0: x0, a)\n    return v0\n", "takes a tuple of 3 operands"),
    ("def f(a, i):\n    v0 = lax.switch(i, [lambda x0: x0, lambda x1: x1, lambda x2: x2], a)\n    return v0\n",
     "takes a tuple of 3 operands"),
    ("def f(a):\n    v0 = lax.fori_loop(a, 3, lambda i0, c1: c1, a)\n    return v0\n", "must be a literal"),
    ("def f(a):\n    v0 = v1 = a\n    return v0\n", "chained assignment"),
    ("def f(a, b):\n    v0, a.x = lax.scan(lambda c0, x1: (c0, c0), a, b)\n    return v0\n",
     "must be a name or a tuple of names"),
])
def test_control_flow_syntax_is_checked_too(source, fragment):
    with pytest.raises(UntrustedSourceError) as rejected:
        check_source(source, specs(source[source.index("(") + 1:source.index(")")].split(", ")))
    assert fragment in str(rejected.value)


def test_every_committed_corpus_program_passes():
    from fuzzgen.records.schema import parse_args

    path = ROOT / "corpus" / "regression.jsonl"
    for line, text in enumerate(path.read_text().splitlines(), 1):
        record = json.loads(text)
        args = parse_args(record["args"])
        assert check_source(record["python"], args, record["function_name"]).function_name == record["function_name"]


def test_static_parameters_take_every_literal_the_builder_renders():
    source = ("def f(a):\n    v0 = jnp.reshape(a, (3, 1))\n    v1 = jnp.sum(v0, axis=(-1,), keepdims=True)\n"
              "    v2 = jnp.sum(v1, axis=None, keepdims=False)\n    return jnp.transpose(v1, ())\n")
    assert check_source(source, specs("a")).function_name == "f"


def test_the_allow_list_comes_from_the_registry():
    """A plugin's op is accepted once registered, and an operator nobody registered is not."""
    softplus = Op(name="softplus", render=Call("ext.softplus", keyword=("beta",)), arity=1, operand_dtypes=(FLOAT,),
                  dtype_rule=rules.same_as_first, shape_rule=rules.same_shape, tags=frozenset({"unary"}))
    power = Op(name="shift_operator", render=Operator("<<"), arity=2, operand_dtypes=(FLOAT, FLOAT),
               dtype_rule=rules.promoted, shape_rule=rules.broadcast, tags=frozenset({"arith"}))
    registry = Registry()
    for op in (*OPS, softplus, power):
        registry.register(op)
    source = "def f(a):\n    return ext.softplus(a << a, beta=2.0)\n"
    assert check_source(source, specs("a"), registry=registry).function_name == "f"
    with pytest.raises(UntrustedSourceError, match="attribute 'ext.softplus' is not a grammar op"):
        check_source(source, specs("a"))
    with pytest.raises(UntrustedSourceError, match="reserved"):
        check_source("def f(ext):\n    return ext\n", specs(["ext"]), registry=registry)
    only_sin = Registry()
    only_sin.register(OPS["sin"])
    with pytest.raises(UntrustedSourceError, match="operator '\\+'"):
        check_source("def f(a):\n    return jnp.sin(a) + a\n", specs("a"), registry=only_sin)


@pytest.mark.parametrize("source", [
    "def f(a):\n    return a[0]\n",
    "def f(a):\n    return a.__class__\n",
    "def f(a):\n    return jax.nn.relu(a)\n",
    "def f(a):\n    return a.sum()\n",
    "def f(a):\n    return open('x')\n",
    "def f(a):\n    return 'x'\n",
    "def f(a):\n    return 'ij'\n",
    "def f(a):\n    return jnp.sin('ij', a)\n",
    "@jnp.sin\ndef f(a):\n    return a\n",
    "def f(a=1):\n    return a\n",
    "def f(a):\n    return __builtins__\n",
    "x = 1\n",
    "def f(a):\n    def g(x):\n        return x\n    return a\n",
    "def f(a):\n    return g(a)\n",
    "def f(a):\n    return f(a)\n",
    "def g(x):\n    return x\ndef f(a):\n    return open(a)\n",
    "def f(a, *, eps=jnp):\n    return a\n",
    "def f(a, *, eps):\n    return a\n",
    "def f(a, *args):\n    return a\n",
    "def f(a, *, on=True):\n    if on:\n        a = a\n    else:\n        a = a\n    return a\n",
    "def f(a, *, on=True):\n    if on > 0:\n        a = a\n    return a\n",
    "def f(a):\n    for i in range(2):\n        a = a\n    else:\n        a = a\n    return a\n",
    "def f(a):\n    for i in range(a):\n        a = a\n    return a\n",
    "def f(a):\n    for i in range(2.0):\n        a = a\n    return a\n",
    "def f(a):\n    v0 = range(2)\n    return a\n",
    "def f(a):\n    v0 = {'w': a}\n    return a\n",
    "def f(a):\n    return {'w': {'x': a}}['w']\n",
    "def f(a):\n    return a, {1: a}\n",
    "def f(a):\n    return a, {'not a key': a}\n",
    "def f(a):\n    return a, {**a}\n",
    "def g(x):\n    return {'w': x}\ndef f(a):\n    return g(a)\n",
])
def test_cpythons_tree_is_checked_too(source):
    """The backstop behind libcst: were libcst ever to see these differently, CPython's tree still fails."""
    with pytest.raises(UntrustedSourceError, match="CPython"):
        cross_check(ast.parse(source), frozenset({"jnp", "lax"}))


HELPER_PROGRAM = (
    "def layer_norm(x, scale, shift, *, eps=1e-05):\n"
    "    v0 = jnp.mean(x, axis=-1, keepdims=True)\n"
    "    v1 = x - v0\n"
    "    v2 = jnp.var(x, axis=-1, keepdims=True)\n"
    "    return v1 * lax.rsqrt(v2 + eps) * scale + shift\n"
    "\n\n"
    "def norm_0001(x, gamma, beta, *, eps=0.001):\n"
    "    h = layer_norm(x, gamma, beta)\n"
    "    return layer_norm(h * eps, gamma, beta, eps=1e-06)\n"
)


def test_helpers_and_keyword_only_numbers_pass_both_walls_and_run():
    """A helper called twice, once with its default eps and once with another, and the program's
    own keyword-only number: checked, then loaded and run against NumPy."""
    args = tuple(ArgSpec(name, (2, 3), "float32") if name == "x" else ArgSpec(name, (3,), "float32")
                 for name in ("x", "gamma", "beta"))
    checked = check_source(HELPER_PROGRAM, args, "norm_0001")
    cross_check(ast.parse(HELPER_PROGRAM), frozenset({"jnp.mean", "jnp.var", "lax.rsqrt"}), subscripts=True)
    function = load_checked_function(HELPER_PROGRAM, args, checked.function_name)
    x, gamma, beta = np.arange(6.0, dtype=np.float32).reshape(2, 3), np.float32([1, 2, 3]), np.float32([0, 1, 0])

    def layer_norm(v, eps):
        return (v - v.mean(-1, keepdims=True)) / np.sqrt(v.var(-1, keepdims=True) + eps) * gamma + beta

    expected = layer_norm(layer_norm(x, 1e-05) * 0.001, 1e-06)
    np.testing.assert_allclose(np.asarray(function(x, gamma, beta)), expected, rtol=1e-4, atol=1e-5)


FLAG_PROGRAM = (
    "def norm_0002(x, gamma, *, use_scale=True, use_bias=False):\n"
    "    v0 = x - jnp.mean(x, axis=-1, keepdims=True)\n"
    "    if use_scale:\n"
    "        v1 = jnp.abs(gamma)\n"
    "        v0 = v0 * v1\n"
    "    if use_bias:\n"
    "        v0 = v0 + 1.0\n"
    "    return v0\n"
)


def test_flags_and_ifs_pass_both_walls_and_run_as_python_does():
    """``if use_scale:`` rebinds a name from before it; each flag's default decides, and a
    caller's value too."""
    args = (ArgSpec("x", (2, 3), "float32"), ArgSpec("gamma", (3,), "float32"))
    checked = check_source(FLAG_PROGRAM, args, "norm_0002")
    cross_check(ast.parse(FLAG_PROGRAM), frozenset({"jnp.mean", "jnp.abs"}), subscripts=True)
    function = load_checked_function(FLAG_PROGRAM, args, checked.function_name)
    x, gamma = np.arange(6.0, dtype=np.float32).reshape(2, 3), np.float32([1, -2, 3])
    centered = x - x.mean(-1, keepdims=True)
    np.testing.assert_allclose(np.asarray(function(x, gamma)), centered * np.abs(gamma), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(function(x, gamma, use_scale=False, use_bias=True)), centered + 1.0,
                               rtol=1e-6)


RANK_PROGRAM = (
    "def layer_0005(x, w):\n"
    "    if x.ndim > 2:\n"
    "        x = x.reshape((-1, x.shape[-1]))\n"
    "    if w.ndim == 1:\n"
    "        w = jnp.expand_dims(w, 1)\n"
    "    return x @ w\n"
)


def test_ifs_on_an_arguments_rank_pass_both_walls_and_run_as_python_does():
    """``if x.ndim > 2:`` is decided by the argument's rank when traced: a rank-3 input is folded
    into a batch of rows, a rank-2 one is used as it is."""
    for shape in ((2, 3, 4), (6, 4)):
        args = (ArgSpec("x", shape, "float32"), ArgSpec("w", (4,), "float32"))
        checked = check_source(RANK_PROGRAM, args, "layer_0005")
        function = load_checked_function(RANK_PROGRAM, args, checked.function_name)
        x, w = np.arange(24, dtype=np.float32).reshape(shape), np.float32([1, -1, 2, 0])
        np.testing.assert_allclose(np.asarray(function(x, w)), x.reshape(6, 4) @ w[:, None], rtol=1e-6)
    cross_check(ast.parse(RANK_PROGRAM), frozenset({"jnp.expand_dims"}), frozenset({"reshape", "ndim", "shape"}),
                subscripts=True)


@pytest.mark.parametrize("edit, fragment", [
    (("x.ndim > 2", "x.ndim > w.ndim"), "an if tests a keyword-only flag .* or the rank"),
    (("x.ndim > 2", "x.shape[0] > 2"), "the rank of an argument"),
    (("x.ndim > 2", "x.ndim > 2.0"), "the rank of an argument"),
    (("x.ndim > 2", "x.ndim > 2 > 1"), "chained comparison"),
    (("x.ndim > 2", "x.ndim is 2"), "the rank of an argument"),
    (("x.ndim > 2", "OPEN(SENTINEL, 'w').ndim > 2"), "the rank of an argument"),
    (("w.ndim == 1", "x.ndim == 1"), "not bound again before"),  # x was bound again by the first if
    (("    return x @ w", "    v0 = x @ w\n    if v0.ndim == 1:\n        v0 = jnp.sin(v0)\n    return v0"),
     "the rank of an argument"),  # a local's rank: only arguments are tested
    (("        w = jnp.expand_dims(w, 1)\n", "        w = jnp.expand_dims(w, 1)\n    else:\n"
                                               "        w = OPEN(SENTINEL, 'w')\n"), "an if has no else"),
])
def test_ifs_on_a_rank_are_admitted_only_on_arguments(tmp_path, edit, fragment):
    source, sentinel = materialize(tmp_path, RANK_PROGRAM.replace(*edit).replace("OPEN", OPEN))
    args = (ArgSpec("x", (2, 3, 4), "float32"), ArgSpec("w", (4,), "float32"))
    with pytest.raises(UntrustedSourceError, match=fragment):
        check_source(source, args, "layer_0005")
    assert not sentinel.exists()


def test_an_if_on_a_trees_rank_is_refused():
    source = "def f(params, x):\n    if params.ndim == 2:\n        x = jnp.sin(x)\n    return x\n"
    with pytest.raises(UntrustedSourceError, match="the rank of an argument"):
        check_source(source, (*TREE_ARGS[:2], ArgSpec("x", (2,), "float32")), "f")


LOOP_PROGRAM = (
    "def layer_0003(x, params):\n"
    "    for i in range(1, 3):\n"
    "        v0 = x @ params[i]['w']\n"
    "        x = jnp.tanh(v0)\n"
    "    return x + params[0]['w'][0]\n"
)


def test_a_loop_over_layer_positions_passes_both_walls_and_runs_as_python_does():
    args = (ArgSpec("x", (2,), "float32"), *(ArgSpec("params", (2, 2), "float32", (k, "w")) for k in range(3)))
    checked = check_source(LOOP_PROGRAM, args, "layer_0003")
    cross_check(ast.parse(LOOP_PROGRAM), frozenset({"jnp.tanh"}), subscripts=True,
                tree_parameters=frozenset({"params"}))
    function = load_checked_function(LOOP_PROGRAM, args, checked.function_name)
    x = np.float32([0.5, -1.0])
    layers = [{"w": np.float32([[1, 2], [3, 4]]) * (k + 1) / 10} for k in range(3)]
    h = x
    for k in (1, 2):
        h = np.tanh(h @ layers[k]["w"])
    np.testing.assert_allclose(np.asarray(function(x, layers)), h + layers[0]["w"][0], rtol=1e-6)
    # a position the loop takes must hold the leaf at every position
    with pytest.raises(UntrustedSourceError, match="line 3: index"):
        check_source(LOOP_PROGRAM.replace("range(1, 3)", "range(1, 4)"), args, "layer_0003")


LIST_LOOP_PROGRAM = (
    "def layer_0006(x, layers):\n"
    "    for layer in layers:\n"
    "        v0 = x @ layer['w']\n"
    "        x = jnp.tanh(v0 + layer['b'])\n"
    "    return x\n"
)
LIST_ARGS = (ArgSpec("x", (2,), "float32"),
             *(ArgSpec("layers", shape, "float32", (k, key)) for k in range(3) for key, shape in (("b", (2,)), ("w", (2, 2)))))


def test_a_loop_over_a_list_tree_passes_both_walls_and_runs_as_python_does():
    checked = check_source(LIST_LOOP_PROGRAM, LIST_ARGS, "layer_0006")
    cross_check(ast.parse(LIST_LOOP_PROGRAM), frozenset({"jnp.tanh"}), subscripts=True,
                tree_parameters=frozenset({"layers"}))
    function = load_checked_function(LIST_LOOP_PROGRAM, LIST_ARGS, checked.function_name)
    x = np.float32([0.5, -1.0])
    layers = [{"b": np.float32([k, -k]) / 10, "w": np.float32([[1, 2], [3, 4]]) * (k + 1) / 10} for k in range(3)]
    h = x
    for layer in layers:
        h = np.tanh(h @ layer["w"] + layer["b"])
    np.testing.assert_allclose(np.asarray(function(x, layers)), h, rtol=1e-6)


@pytest.mark.parametrize("edit, args, fragment", [
    (("layer['b']", "layer['c']"), LIST_ARGS, "index"),  # a leaf no position holds
    (("v0 + layer['b']", "v0 + jnp.sin(layer)"), LIST_ARGS, "only tested by an if or used as a tree position"),
    (("v0 + layer['b']", "v0 + layers[layer]['b']"), LIST_ARGS, "index"),  # the variable is a layer, no position
    (("for layer in layers:", "for layer in x:"), LIST_ARGS, "or over a tree argument that is a list"),
    (("for layer in layers:", "for layer in OPEN(SENTINEL, 'w'):"), LIST_ARGS, "or over a tree argument"),
    (("    return x\n", "    return x + layer['b']\n"), LIST_ARGS, "not bound|index"),  # gone after the loop
    ((), (ArgSpec("x", (2,), "float32"), ArgSpec("layers", (2,), "float32", ("b",)),
          ArgSpec("layers", (2, 2), "float32", ("w",))), "or over a tree argument that is a list"),  # a dict
    ((), (ArgSpec("x", (2,), "float32"), *(ArgSpec("layers", (2, 2), "float32", (k, "w")) for k in range(9))),
     "at most 8 iterations"),
])
def test_a_loop_over_a_tree_is_admitted_only_over_a_list_read_leaf_by_leaf(tmp_path, edit, args, fragment):
    source = LIST_LOOP_PROGRAM.replace(*edit) if edit else LIST_LOOP_PROGRAM
    source, sentinel = materialize(tmp_path, source.replace("OPEN", OPEN))
    with pytest.raises(UntrustedSourceError, match=fragment):
        check_source(source, args, "layer_0006")
    assert not sentinel.exists()


def test_the_backstop_admits_a_loop_over_a_tree_parameter_only():
    targets = frozenset({"jnp.tanh"})
    cross_check(ast.parse(LIST_LOOP_PROGRAM), targets, subscripts=True, tree_parameters=frozenset({"layers"}))
    with pytest.raises(UntrustedSourceError, match="no tree argument.*CPython"):
        cross_check(ast.parse(LIST_LOOP_PROGRAM), targets, subscripts=True, tree_parameters=frozenset({"x"}))


TREE_RESULT_PROGRAM = (
    "def optimizer_0004(param, grad):\n"
    "    v0 = 0.1 * grad\n"
    "    return param - v0, {'nu': jnp.square(v0), 'mu': v0}\n"
)


def test_a_tree_result_passes_both_walls_and_runs_as_python_does():
    """A tuple holding a dict with identifier keys: both walls admit it, and it runs; keys
    repeated, not identifiers, or a third level are refused, and only the program's own return
    may hold a display."""
    args = (ArgSpec("param", (2,), "float32"), ArgSpec("grad", (2,), "float32"))
    checked = check_source(TREE_RESULT_PROGRAM, args, "optimizer_0004")
    cross_check(ast.parse(TREE_RESULT_PROGRAM), frozenset({"jnp.square"}))
    new, state = load_checked_function(TREE_RESULT_PROGRAM, args, checked.function_name)(
        np.float32([1, 2]), np.float32([10, 20]))
    np.testing.assert_allclose(np.asarray(new), [0, 0], atol=1e-6)
    assert sorted(state) == ["mu", "nu"]
    np.testing.assert_allclose(np.asarray(state["nu"]), [1, 4], rtol=1e-6)
    for edited, fragment in ((("'mu': v0", "'nu': v0"), "appears twice"), (("'mu'", "'m u'"), "identifier string"),
                             (("'mu': v0", "'mu': (v0, {'k': v0})"), "nested 3 deep"),
                             (("param - v0, ", ""), None)):
        source = TREE_RESULT_PROGRAM.replace(*edited)
        if fragment is None:  # a dict alone is a tree result too
            check_source(source, args, "optimizer_0004")
            continue
        with pytest.raises(UntrustedSourceError, match=fragment):
            check_source(source, args, "optimizer_0004")


TREE_MAP_PROGRAM = (
    "def optimizer_0005(params, grads):\n"
    "    v0 = jax.tree_util.tree_map(lambda g0: 0.001 * jnp.square(g0), grads)\n"
    "    v1 = jax.tree.map(lambda p1, g2, v3: p1 - 0.1 * g2 / (jnp.sqrt(v3) + 1e-06), params, grads, v0)\n"
    "    return v1, {'nu': v0}\n"
)
TREE_ARGS = tuple(ArgSpec(tree, shape, "float32", (key,)) for tree in ("params", "grads")
                  for key, shape in (("b", (2,)), ("w", (3, 2))))


def test_maps_over_whole_trees_pass_both_walls_and_run_as_python_does():
    checked = check_source(TREE_MAP_PROGRAM, TREE_ARGS, "optimizer_0005")
    function = load_checked_function(TREE_MAP_PROGRAM, TREE_ARGS, checked.function_name)
    params = {"b": np.float32([1, 2]), "w": np.ones((3, 2), np.float32)}
    grads = {"b": np.float32([3, 4]), "w": np.full((3, 2), 2, np.float32)}
    new, state = function(params, grads)
    for key in ("b", "w"):
        nu = 0.001 * grads[key] ** 2
        np.testing.assert_allclose(np.asarray(state["nu"][key]), nu, rtol=1e-6)
        np.testing.assert_allclose(np.asarray(new[key]), params[key] - 0.1 * grads[key] / (np.sqrt(nu) + 1e-6),
                                   rtol=1e-5)


@pytest.mark.parametrize("body, fragment", [
    ("    v0 = jax.tree.map(lambda p: OPEN(SENTINEL, 'w'), params)\n    return v0\n", "grammar op"),
    ("    v0 = jax.tree.map(lambda p: p, params, is_leaf=lambda n: OPEN(SENTINEL, 'w'))\n    return v0\n",
     "matches no grammar op"),
    ("    v0 = jax.tree.map(lambda p: p, params)\n    return OPEN(SENTINEL, 'w')(v0)\n", "grammar op"),
    ("    v0 = jax.tree.map(lambda p: p, params)\n    v1 = v0.__class__\n    return v1\n", "not a grammar op"),
    ("    v0 = jax.tree.map(lambda p: p, params)\n    return v0 + 1.0\n", "may only be mapped over"),
    ("    return jax.tree.map(lambda p: p, params)\n", "assignment of its own"),
    ("    v0 = jnp.sin(jax.tree.map(lambda p: p, params))\n    return v0\n", "assignment of its own"),
    ("    v0 = jax.tree.map(lambda p, q, r, s: p, params, grads, params, grads)\n    return v0\n", "at most 3"),
    ("    v0 = jax.tree.map(lambda p, q: p, params)\n    return v0\n", "lambda of 1 parameter"),
    ("    v0 = jax.tree.map(jnp.sin, params)\n    return v0\n", "must be a lambda"),
    ("    v0 = jax.tree.map(lambda p: p, params, grads=grads)\n    return v0\n", "tree names, nothing else"),
    ("    v0, v1 = jax.tree.map(lambda p: p, params)\n    return v0\n", "bound to one name"),
    ("    v0 = jax.tree.map(lambda p: p, params)\n    v0 = jax.tree.map(lambda p: p, v0)\n    return v0\n",
     "already bound"),
])
def test_maps_over_whole_trees_are_admitted_only_as_the_grammar_writes_them(tmp_path, body, fragment):
    source, sentinel = materialize(tmp_path, "def f(params, grads):\n" + body.replace("OPEN", OPEN))
    with pytest.raises(UntrustedSourceError, match=fragment):
        check_source(source, TREE_ARGS, "f")
    assert not sentinel.exists()


def test_a_helper_maps_no_trees():
    source = ("def g(x):\n    v0 = jax.tree.map(lambda p: p, x)\n    return x\n\n\n"
              "def f(params, grads):\n    return g(params['b'])\n")
    with pytest.raises(UntrustedSourceError, match="a helper maps no trees"):
        check_source(source, TREE_ARGS, "f")


TREE_STEP_PROGRAM = (
    "def train_step_0006(params, x):\n"
    "    v0, v1 = jax.value_and_grad(lambda p0: jnp.mean(jnp.square(x @ p0['w'] + p0['b'])))(params)\n"
    "    v2 = jax.tree.map(lambda p1, g2: p1 - 0.1 * g2, params, v1)\n"
    "    return v0, v2\n"
)
TREE_STEP_ARGS = TREE_ARGS[:2] + (ArgSpec("x", (4, 3), "float32"),)


def test_gradients_over_whole_trees_pass_both_walls_and_run_as_python_does():
    checked = check_source(TREE_STEP_PROGRAM, TREE_STEP_ARGS, "train_step_0006")
    function = load_checked_function(TREE_STEP_PROGRAM, TREE_STEP_ARGS, checked.function_name)
    params = {"b": np.float32([1, -2]), "w": np.arange(6, dtype=np.float32).reshape(3, 2) / 10}
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)
    loss, new = function(params, x)
    z = x.astype(np.float64) @ params["w"] + params["b"]
    dz = 2 * z / z.size  # d mean(z ** 2) / dz
    np.testing.assert_allclose(float(loss), np.mean(z ** 2), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(new["w"]), params["w"] - 0.1 * (x.T @ dz), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(new["b"]), params["b"] - 0.1 * dz.sum(axis=0), rtol=1e-5)
    grad_only = TREE_STEP_PROGRAM.replace("v0, v1 = jax.value_and_grad", "v1 = jax.grad").replace("v0, v2", "v2")
    check_source(grad_only, TREE_STEP_ARGS, "train_step_0006")


GRADIENT = "jax.value_and_grad(lambda p: jnp.sum(p['w']))"


@pytest.mark.parametrize("body, fragment", [
    ("    v0, v1 = jax.value_and_grad(lambda p: OPEN(SENTINEL, 'w'))(params)\n    return v0\n", "grammar op"),
    ("    v0, v1 = jax.value_and_grad(lambda p: jnp.sum(p['w']), has_aux=OPEN(SENTINEL, 'w'))(params)\n"
     "    return v0\n", "one lambda, nothing else"),
    (f"    v0, v1 = {GRADIENT}(tree=params)\n    return v0\n", "applied to the tree alone"),
    ("    v0, v1 = jax.value_and_grad(lambda p: jnp.sum(p))(params)\n    return v0\n", "leaf by leaf"),
    ("    v0, v1 = jax.value_and_grad(lambda p: jnp.sum(p['z']))(params)\n    return v0\n", "must be integers"),
    ("    v0, v1 = jax.value_and_grad(lambda p, q: jnp.sum(p['w']))(params)\n    return v0\n",
     "lambda of 1 parameter"),
    (f"    v0 = {GRADIENT}(params)\n    return v0\n", "bound to 2 name"),
    ("    v0, v1 = jax.grad(lambda p: jnp.sum(p['w']))(params)\n    return v0\n", "bound to 1 name"),
    (f"    v0, v1 = {GRADIENT}(params)\n    return v1 + 1.0\n", "may only be mapped over"),
    (f"    v0, v1 = {GRADIENT}(params)\n    v2, v3 = jax.value_and_grad(lambda q: jnp.sum(q['w']))(v1)\n"
     "    return v2\n", "'v1' is not one"),
    (f"    v0, v1 = {GRADIENT}(params)\n    return p['w']\n", "must be integers"),  # p is a tree in the lambda only
    (f"    v0, v1 = {GRADIENT}(params)\n    return p\n", "not bound"),
    (f"    return {GRADIENT}(params)\n", "assignment of its own"),
    (f"    v0 = jnp.sin({GRADIENT}(params)[0])\n    return v0\n", "assignment of its own"),
    (f"    v0, v1 = {GRADIENT}(params)\n    v1 = jnp.sin(v0)\n    return v1\n", "already bound"),
])
def test_gradients_over_whole_trees_are_admitted_only_as_the_grammar_writes_them(tmp_path, body, fragment):
    source, sentinel = materialize(tmp_path, "def f(params, grads):\n" + body.replace("OPEN", OPEN))
    with pytest.raises(UntrustedSourceError, match=fragment):
        check_source(source, TREE_ARGS, "f")
    assert not sentinel.exists()


def test_a_helper_takes_no_gradient_over_a_tree_and_the_backstop_reads_keys_only_of_tree_gradients():
    source = (f"def g(x):\n    v0, v1 = {GRADIENT}(params)\n    return x\n\n\n"
              "def f(params, grads):\n    return g(params['b'])\n")
    with pytest.raises(UntrustedSourceError, match="a helper takes no gradient over a tree"):
        check_source(source, TREE_ARGS, "f")
    with pytest.raises(UntrustedSourceError, match="must be integers"):  # of its own array: p is no tree
        check_source(source.replace("(params)\n    return x", "(x)\n    return x"), TREE_ARGS, "f")
    targets = frozenset({"jax.value_and_grad", "jnp.sum"})
    tree = ast.parse(f"def f(params):\n    v0, v1 = {GRADIENT}(params)\n    return v0\n")
    cross_check(tree, targets, subscripts=True, tree_parameters=frozenset({"params"}))
    with pytest.raises(UntrustedSourceError, match="CPython"):  # the same lambda over an array: no tree, no key
        cross_check(tree, targets, subscripts=True, tree_parameters=frozenset())


def test_the_backstop_passes_grammar_programs():
    cross_check(ast.parse("def f(a, b):\n    v0 = jnp.sum(a * -1.0, axis=(0,), keepdims=True)\n"
                          "    return jnp.where(v0 > b, lax.logistic(v0), -b)\n"),
                frozenset({"jnp.sum", "jnp.where", "lax.logistic"}))
    cross_check(ast.parse("def f(a):\n    v0 = jax.nn.relu(a[..., None, 1:]).astype(jnp.float16)\n"
                          "    return v0.T.sum(axis=-1)\n"),
                frozenset({"jax.nn.relu"}), frozenset({"astype", "T", "sum"}), subscripts=True)


@pytest.mark.parametrize("source, fragment", [
    ("def f(a):\n    return jax.nn(a)\n", "attribute 'jax.nn'"),
    ("def f(a):\n    return jax.numpy.sin(a)\n", "attribute 'jax.numpy.sin'"),
    ("def f(a):\n    return a.shape\n", "attribute 'shape'"),
    ("def f(a):\n    return a.T.__class__\n", "attribute '__class__'"),
])
def test_the_backstop_allows_exactly_the_registered_attribute_chains(source, fragment):
    with pytest.raises(UntrustedSourceError, match=f"{re.escape(fragment)}.*CPython"):
        cross_check(ast.parse(source), frozenset({"jax.nn.relu"}), frozenset({"T", "sum"}), subscripts=True)


@pytest.mark.parametrize("source", [
    "def f(a):\n    return a / a.shape[-1]\n",
    "def f(a):\n    return jnp.minimum(a, jnp.zeros(a.shape, dtype=a.dtype))\n",
    "def f(a):\n    v0 = a.astype(jnp.float16)\n    return v0.T[..., None, 1:].sum(axis=-1) + jnp.arange(2, dtype=v0.dtype)\n",
    "def f(a):\n    return jax.nn.softmax(jnp.concatenate((a, jax.nn.gelu(a, approximate=False)), axis=0), axis=-1)\n",
    "def f(a):\n    return jnp.where((a > 0.0) & ~jnp.isnan(a) | (a == 1.0), a ** 2.0, a % 3.0)\n",
    "def f(a):\n    v0 = a.at[0].set(1.0)\n    return v0.at[..., 1:].add(jnp.sin(a)[0])\n",
])
def test_real_jax_spellings_pass(source):
    assert check_source(source, specs("a")).function_name == "f"


@pytest.mark.parametrize("source, fragment", [
    ("def f(a):\n    return a / b.shape[0]\n", "attribute 'b.shape'"),
    ("def f(a):\n    return a / a.shape[a]\n", "attribute 'a.shape'"),
    ("def f(a):\n    return a / (a + a).shape[0]\n", "attribute '(a + a).shape'"),
    ("def f(a):\n    return a.shape\n", "attribute 'a.shape'"),
    ("def f(a):\n    return jnp.zeros(b.shape)\n", "must be a literal"),
    ("def f(a):\n    return jnp.zeros(a.size)\n", "must be a literal"),
    ("def f(a):\n    return a.astype(a.dtype.type)\n", "must be a literal"),
    ("def f(a):\n    return a.at[0]\n", "attribute 'a.at'"),
    ("def f(a):\n    return a.at[a].set(1.0)\n", "must be integers"),
    ("def f(a):\n    return a.at[0].get()\n", "'a.at[0].get' is not a grammar op"),
    ("def f(a):\n    return a.at[0].set(1.0, mode=2)\n", "one positional update value"),
    ("def f(a):\n    return a.at[0].set(b)\n", "name 'b' is not bound"),
])
def test_type_facts_are_read_only_off_bound_names(source, fragment):
    with pytest.raises(UntrustedSourceError, match=re.escape(fragment)):
        check_source(source, specs("a"))


def test_a_program_sees_only_the_jax_targets_ops_render_as():
    from fuzzgen.trust.sandbox import jax_namespace

    namespace = jax_namespace()
    assert sorted(vars(namespace)) == ["checkpoint", "grad", "jit", "nn", "ops", "random", "scipy", "tree",
                                       "tree_util", "value_and_grad", "vmap"]
    assert namespace.ops.segment_sum is jax.ops.segment_sum and not hasattr(namespace.ops, "segment_max")
    assert namespace.nn.relu is jax.nn.relu and not hasattr(namespace.nn, "initializers")
    assert namespace.random.normal is jax.random.normal and not hasattr(namespace.random, "choice")
    assert jax_namespace() is namespace  # built once per registry, not once per program
    assert not hasattr(namespace, "numpy") and not hasattr(namespace, "config")


def test_pickle_payload_helper_is_a_real_payload(tmp_path):
    """The jnp.load case is only meaningful if loading the prepared file would run code."""
    source, sentinel = materialize(tmp_path, "PICKLE")
    pickle.loads(pickle.dumps(_OpensOnLoad(sentinel)))
    assert sentinel.exists() and sys.modules.get("numpy") is not None


def test_the_reducers_probe_form_admits_a_tuple_of_grammar_values_and_nothing_more():
    """`tuple_return=True` admits `return (e1, e2, ...)` of any length, each element checked as
    any value is; without it a returned tuple is a tree result, of two to MAX_RESULT_LEAVES
    values, and inside it an element is still an expression."""
    from fuzzgen.program.trees import MAX_RESULT_LEAVES
    from fuzzgen.trust import check_source

    args = (ArgSpec("a", (3,), "float32"),)
    probe = "def f(a):\n    v0 = jnp.sin(a)\n    return (v0, a + 1.0, jnp.cos(v0),)\n"
    assert check_source(probe, args, "f", tuple_return=True).text == probe
    assert check_source(probe, args, "f").text == probe  # a tree result of three values
    for elements in (["v0"], ["v0"] * (MAX_RESULT_LEAVES + 1)):
        long_probe = f"def f(a):\n    v0 = jnp.sin(a)\n    return ({', '.join(elements)},)\n"
        assert check_source(long_probe, args, "f", tuple_return=True).text == long_probe
        with pytest.raises(UntrustedSourceError, match="two values or more|at most"):
            check_source(long_probe, args, "f")
    for element in ("jnp.save(a)", "__import__('os')", "*a", "(lambda: a)()", "a.real"):
        with pytest.raises(UntrustedSourceError):
            check_source(f"def f(a):\n    return (a, {element})\n", args, "f", tuple_return=True)


@pytest.mark.parametrize("source, fragment", [
    ("def f(a):\n    return jax.vmap(jnp.sin)(a)\n", "must be a lambda"),
    ("def f(a):\n    return jax.vmap(lambda r: r, lambda r: r)(a)\n", "takes one lambda"),
    ("def f(a):\n    return jax.vmap(lambda r: r)(a, in_axes=0)\n", "takes one lambda"),
    ("def f(a):\n    return jax.vmap(lambda r: r, in_axes=a)(a)\n", "must be a literal"),
    ("def f(a):\n    return jax.pmap(lambda r: r)(a)\n", "is not a grammar op"),
    ("def f(a):\n    return jnp.sin(a)(a)\n", "is not a grammar op"),
    ("def f(a):\n    return jax.grad(lambda r, s: r)(a)\n", "takes a lambda of 1 parameter(s), not 2"),
    ("def f(a):\n    return jax.grad(lambda r: r)(a, a, a)\n", "matches no grammar op"),
])
def test_transforms_in_the_source_are_checked(source, fragment):
    with pytest.raises(UntrustedSourceError, match=re.escape(fragment)):
        check_source(source, specs("a"))


def test_transforms_in_the_source_pass_both_walls():
    source = ("def f(a, b):\n    v0 = jax.vmap(lambda r0, s1: r0 * s1, in_axes=(0, None))(a, b)\n"
              "    v1, v2 = jax.value_and_grad(lambda t2: jnp.sum(jnp.sin(t2)))(v0)\n"
              "    return jax.jit(lambda t3: t3 * 2.0)(v2) + v1\n")
    check_source(source, [ArgSpec("a", (2, 3), "float32"), ArgSpec("b", (3,), "float32")])
    cross_check(ast.parse(source), frozenset({"jax.vmap", "jax.value_and_grad", "jax.jit", "jnp.sum", "jnp.sin"}))


def test_static_shapes_and_axes_of_bound_names_are_parameters():
    source = ("def f(a):\n    v0 = jnp.zeros(jnp.shape(a), dtype=a.dtype)\n"
              "    return jnp.mean(a - v0, axis=a.ndim - 1, keepdims=True) + jnp.sum(a, axis=a.ndim - 2)\n")
    assert check_source(source, [ArgSpec("a", (3, 2), "float32")]).text == source


def test_machine_epsilon_is_a_static_float():
    source = ("def f(a):\n    v0 = a / (jnp.linalg.norm(a, axis=-1, keepdims=True) + jnp.finfo(a.dtype).eps)\n"
              "    return v0 * lax.rsqrt(jnp.var(v0) + jnp.finfo(jnp.bfloat16).eps)\n")
    assert check_source(source, [ArgSpec("a", (3, 2), "float32")]).text == source


def test_a_vmap_may_name_its_axis_for_the_collectives_inside():
    source = ("def f(a):\n    v0 = jax.vmap(lambda r: r - lax.pmean(r, 'batch'), axis_name='batch')(a)\n"
              "    return jax.vmap(lambda r: r * lax.psum(r, 'i') + lax.axis_index('i').astype(jnp.float32), "
              "axis_name='i')(v0)\n")
    assert check_source(source, [ArgSpec("a", (3, 2), "float32")]).text == source


def test_einsum_specifications_and_gathers_are_grammar_forms():
    """The one string a program may hold is an einsum specification, and an index may be an int
    array expression (a gather): both walls admit exactly these."""
    source = ("def f(a, b, c):\n    v0 = jnp.einsum('ij,jk->ik', a, b)\n"
              "    return v0[c % v0.shape[0]] + jnp.einsum('...i,io->...o', a, b)[0]\n")
    check_source(source, [ArgSpec("a", (2, 3), "float32"), ArgSpec("b", (3, 4), "float32"),
                          ArgSpec("c", (2,), "int32")])
    cross_check(ast.parse(source), frozenset({"jnp.einsum"}), frozenset({"shape"}), subscripts=True)
    with pytest.raises(UntrustedSourceError, match="CPython"):
        cross_check(ast.parse("def f(a):\n    return jnp.einsum(a, 'ij')\n"), frozenset({"jnp.einsum"}))
