"""Property-based tests of the logging API: any input gives a result or a TrackerError, and what is
accepted reads back exactly through a Store."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tracker_core as tc
from tracker_core.errors import TrackerError
from tracker_core.validation import same_value

# Modest example counts keep the suite fast; no deadline: the machine is shared and noisy.
settings.register_profile("ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Text with everything: control characters, lone surrogates, dots, slashes, very long strings.
any_text = st.text(alphabet=st.characters(), max_size=300) | st.sampled_from(
    ["", " ", ".", "..", "a/../b", "/abs", "a/b", "x" * 251, "\ud800", "ok", "a\x00b", "é" * 200]
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**1100), max_value=2**1100)
    | st.floats(allow_nan=True, allow_infinity=True)
    | any_text
)
json_like = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text, inner, max_size=4),
    max_leaves=12,
)
odd_objects = st.sampled_from([object(), b"bytes", 1j, {1, 2}, (1, 2), Path("p"), float, Ellipsis])
anything = json_like | odd_objects


def fresh_store() -> tuple[tempfile.TemporaryDirectory[str], tc.Store]:
    tmp = tempfile.TemporaryDirectory()
    return tmp, tc.Store(Path(tmp.name) / "store")


def attempt(call: Any) -> tuple[bool, Any]:
    """(True, result) or (False, the TrackerError); anything else fails the test."""
    try:
        return True, call()
    except TrackerError as exc:
        assert str(exc), "a TrackerError must say what is wrong"
        return False, exc


def all_runs(store: tc.Store) -> list[Any]:
    if not (store.root / "experiments").is_dir():
        return []
    return [r for e in store.list_experiments() for r in store.list_runs(e.id)]


def no_leftovers(root: Path) -> None:
    bad = [p for p in root.rglob("*") if p.name.endswith(".tmp") or p.name.startswith(".creating")]
    assert bad == []


@given(params=st.dictionaries(any_text, anything, max_size=4), tags=st.dictionaries(any_text, anything, max_size=3))
def test_params_and_tags_round_trip_or_are_refused(params: dict[Any, Any], tags: dict[Any, Any]) -> None:
    tmp, store = fresh_store()
    with tmp:
        ok, run = attempt(lambda: store.start_run("e", params=params, tags=tags))
        if not ok:
            assert all_runs(store) == []  # nothing was created
            no_leftovers(Path(tmp.name))
            return
        run.end()
        got = tc.Store(Path(tmp.name) / "store").get_run(run.id)
        assert same_value(got.params, run.params) and same_value(got.tags, run.tags)
        for key, value in params.items():
            stored = got.params[key]
            if type(value) in (int, bool, str) or value is None:
                assert type(stored) is type(value) and stored == value  # exact, big integers included
            elif type(value) is float:
                assert same_value(stored, value)


@given(
    key=any_text,
    values=st.lists(
        st.floats(allow_nan=True, allow_infinity=True)
        | st.integers(min_value=-(2**1100), max_value=2**1100)
        | st.booleans()
        | st.none()
        | any_text,
        min_size=1,
        max_size=5,
    ),
    step=st.none() | st.integers(min_value=-(2**70), max_value=2**70),
    timestamp=st.none() | st.floats() | st.integers(min_value=-(2**1100), max_value=2**1100),
)
def test_metric_points_round_trip_or_are_refused(key: Any, values: list[Any], step: Any, timestamp: Any) -> None:
    tmp, store = fresh_store()
    with tmp:
        run = store.start_run("e")
        accepted: list[tuple[float, int | None, float | None]] = []
        for value in values:
            ok, _ = attempt(lambda v=value: run.log_metric(key, v, step=step, timestamp=timestamp))
            if ok:
                accepted.append((float(value), step, timestamp))
        run.end()
        summary = store.get_run(run.id)
        if not accepted:
            assert summary.metrics == {}
            return
        history = store.metric_history(run.id, key)
        assert len(history) == len(accepted)
        for point, (value, want_step, want_ts) in zip(history, accepted, strict=True):
            assert same_value(point.value, value)
            if want_step is not None:
                assert point.step == want_step
            if want_ts is not None:
                assert point.timestamp == float(want_ts)
        assert summary.metrics[key].count == len(accepted)
        assert same_value(summary.metrics[key].last, accepted[-1][0]) or math.isnan(accepted[-1][0])


@given(name=any_text, experiment=any_text, interval=st.floats() | st.integers() | st.none() | any_text)
def test_start_run_names_and_flush_interval(name: Any, experiment: Any, interval: Any) -> None:
    tmp, store = fresh_store()
    with tmp:
        ok, run = attempt(lambda: store.start_run(experiment, name, flush_interval=interval))
        if ok:
            run.end()
            got = store.get_run(run.id)
            assert got.name == name.strip() and got.status == "finished"
            assert store.get_experiment(got.experiment_id).name == experiment.strip()
        else:
            assert all_runs(store) == []
            no_leftovers(Path(tmp.name))


@given(path=any_text, text=any_text, payload=json_like)
def test_artifacts_round_trip_or_are_refused(path: Any, text: Any, payload: Any) -> None:
    tmp, store = fresh_store()
    with tmp:
        run = store.start_run("e")
        ok, rel = attempt(lambda: run.log_text(text, path))
        if ok:
            assert store.artifact_path(run.id, rel).read_bytes().decode("utf-8") == text  # exactly, "\r" too
        ok, rel = attempt(lambda: run.log_dict(payload, path + ".json" if isinstance(path, str) else path))
        if ok:
            from tracker_core.jsonio import read_json

            assert same_value(read_json(store.artifact_path(run.id, rel)), run_json_value(payload))
        source = Path(tmp.name) / "src"
        source.mkdir(exist_ok=True)
        ok, made = attempt(lambda: _write_source(source, path))
        if ok and made is not None:
            ok2, rel = attempt(lambda: run.log_artifact(made, "copied"))
            if ok2:
                assert store.artifact_path(run.id, rel).read_bytes() == b"data"
        run.end()
        no_leftovers(Path(tmp.name) / "store")


def run_json_value(value: Any) -> Any:
    from tracker_core.validation import json_value

    return json_value(value)


def _write_source(folder: Path, name: Any) -> Path | None:
    """A local file named ``name`` to log, if the OS can make one (else None)."""
    if not isinstance(name, str) or "/" in name or name in ("", ".", ".."):
        return None
    try:
        target = folder / name
        target.write_bytes(b"data")
    except (OSError, ValueError, UnicodeEncodeError):
        return None
    return target
