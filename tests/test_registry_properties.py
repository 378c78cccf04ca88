"""Property-based tests of the registry API: any input gives a result or a TrackerError, never another
exception, and accepted values round-trip."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import tracker_core as tc
from tracker_core.registry import STAGES, Registry
from tracker_core.registry.records import normalize_stage

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_tmp = tempfile.TemporaryDirectory(prefix="registry-properties-")
REG = Registry(tc.Store(Path(_tmp.name) / "store"))
for _ in range(3):
    REG.register_object("m", {"w": 1})

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=20), st.integers(min_value=2**63)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8,
)
anything = st.one_of(json_values, st.binary(max_size=8), st.tuples(st.integers()), st.just(object()))
texts = st.one_of(st.text(max_size=80), st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,20}", fullmatch=True))
names = st.one_of(texts, st.just("m"), anything)
aliases = st.one_of(st.text(max_size=70), st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True), anything)
stages = st.one_of(st.sampled_from([*STAGES, "None", "Prod", "dev", " Staging "]), st.text(max_size=12), anything)
versions = st.one_of(
    st.integers(min_value=-3, max_value=5), st.sampled_from(["1", "v2", "V3", " 2 ", "0", "latest"]), texts, anything
)
reasons = st.one_of(st.none(), st.text(max_size=40), anything)


def _ok(call: Any, *args: Any, **kwargs: Any) -> tuple[bool, Any]:
    try:
        return True, call(*args, **kwargs)
    except tc.TrackerError:
        return False, None


def _is_json(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, list):
        return all(_is_json(v) for v in value)
    return isinstance(value, dict) and all(isinstance(k, str) and _is_json(v) for k, v in value.items())


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, (list, tuple)) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@SETTINGS
@given(name=names, version=versions, stage=stages, reason=reasons, expect_stage=st.one_of(stages, st.none()))
def test_promote(name: Any, version: Any, stage: Any, reason: Any, expect_stage: Any) -> None:
    ok, entries = _ok(REG.promote, name, version, stage, reason=reason)
    if ok:
        n = int(str(version).strip().lower().removeprefix("v"))
        assert REG.get_version(name, n).stage == normalize_stage(stage)
        if entries:
            assert REG.history(name)[-1].reason == reason or entries[-1].reason != reason
            assert entries[-1].reason == reason
    _ok(REG.promote, name, version, stage, expect_stage=expect_stage)
    _ok(REG.promote, name, version, stage, expect_current=version)
    _ok(REG.delete_version, name, version, reason=reason, expect_stage=expect_stage)
    _ok(REG.restore_version, name, version, reason=reason)


@SETTINGS
@given(name=names, alias=aliases, version=versions, expect=st.one_of(versions, st.none()), reason=reasons)
def test_aliases(name: Any, alias: Any, version: Any, expect: Any, reason: Any) -> None:
    ok, entry = _ok(REG.set_alias, name, alias, version, reason=reason)
    if ok:
        assert REG.resolve(f"models:/{name}@{alias}").version == entry.version
        assert REG.resolve(name, alias=alias).version == entry.version
        assert REG.get_model(name).aliases[alias] == entry.version
        assert alias in REG.get_version(name, entry.version).aliases
    _ok(REG.set_alias, name, alias, version, expect_current=expect)
    _ok(REG.delete_alias, name, alias, expect_current=expect, reason=reason)
    _ok(REG.delete_alias, name, alias)


@SETTINGS
@given(name=names, key=st.one_of(st.text(max_size=30), anything), value=anything, version=versions)
def test_tags(name: Any, key: Any, value: Any, version: Any) -> None:
    ok, _ = _ok(REG.set_model_tag, name, key, value)
    if ok and _is_json(value):  # other values are stored as their text (the store's value rule)
        assert _same(value, REG.get_model(name).tags[key])
    ok, _ = _ok(REG.set_version_tag, name, version, key, value)
    if ok and _is_json(value):
        assert _same(value, REG.get_version(name, version).tags[key])


@SETTINGS
@given(name=names, text=st.one_of(st.none(), st.text(max_size=60), anything), version=versions, reason=reasons)
def test_descriptions(name: Any, text: Any, version: Any, reason: Any) -> None:
    ok, _ = _ok(REG.set_model_description, name, text, reason=reason)
    if ok:
        assert REG.get_model(name).description == text
    ok, _ = _ok(REG.set_version_description, name, version, text, reason=reason)
    if ok:
        assert REG.get_version(name, version).description == text


@SETTINGS
@given(
    uri=st.one_of(
        st.text(max_size=40).map(lambda t: "models:/" + t),
        st.tuples(names, st.one_of(versions, stages, aliases)).map(lambda p: f"models:/{p[0]}/{p[1]}"),
        st.tuples(names, aliases).map(lambda p: f"models:/{p[0]}@{p[1]}"),
        anything,
    ),
    version=st.one_of(st.none(), versions),
    stage=st.one_of(st.none(), stages),
    alias=st.one_of(st.none(), aliases),
)
def test_resolve_and_load(uri: Any, version: Any, stage: Any, alias: Any) -> None:
    ok, found = _ok(REG.resolve, uri)
    if ok:
        assert found.model == "m" and not found.deleted
        assert REG.load(uri) == {"w": 1}
    _ok(REG.resolve, uri, version=version, stage=stage, alias=alias)
    _ok(REG.resolve, "m", version=version, stage=stage, alias=alias)


@settings(max_examples=25, deadline=None)
@given(name=names, description=st.one_of(st.none(), st.text(max_size=30), anything), tags=anything, stage=stages)
def test_register_object(name: Any, description: Any, tags: Any, stage: Any) -> None:
    ok, v = _ok(REG.register_object, name, [1, 2], description=description, tags=tags, stage=stage)
    if ok:
        assume(v is not None)
        assert REG.get_version(name, v.version).description == description
        assert REG.get_version(name, v.version).stage == normalize_stage(stage)
        assert REG.load(f"models:/{name}/{v.version}") == [1, 2]
        assert name in {m.name for m in REG.list_models()}
    for m in REG.list_models(include_deleted=True):
        assert m.error is None, m.error
