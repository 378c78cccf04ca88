"""Managing runs (tracker_core.manage and `tui-track run ...`): delete, restore, rename, tags, notes.

Also what makes it safe: a running run is refused (its writer alone changes it), a crashed run
is changed under its writer lock, two processes editing one run at once both land.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import make_crashed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tracker_core as tc
from tracker_core import manage
from tracker_core.errors import (
    AmbiguousIdError,
    NotFoundError,
    RunStateError,
    StateChangedError,
    TrackerError,
    ValidationError,
)
from tracker_core.query import search_runs
from tui_track.cli import main


@pytest.fixture
def store(tmp_path: Path) -> tc.Store:
    s = tc.Store(tmp_path / "store", create=True)
    for name in ("alpha", "beta", "gamma"):
        with s.start_run("exp", name, tags={"team": "ml"}) as run:
            run.log_param("lr", 0.1)
            run.log_metric("loss", 1.0)
    return s


def _id(store: tc.Store, name: str) -> str:
    return next(r.id for r in store.list_runs(include_deleted=True) if r.name == name)


def cli(store: tc.Store, *args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(main, ["--store", str(store.root), *args], input=input)


# ------------------------------------------------------------------ library
def test_delete_hides_and_restore_brings_back(store: tc.Store) -> None:
    a, b = _id(store, "alpha"), _id(store, "beta")
    deleted = manage.delete_runs(store, [a[:6], b])
    assert [r.deleted for r in deleted] == [True, True]
    assert {r.name for r in store.list_runs("exp")} == {"gamma"}
    hidden = [r for r in store.list_runs("exp", include_deleted=True) if r.deleted]
    assert {r.name for r in hidden} == {"alpha", "beta"}
    manage.delete_runs(store, [a])  # again: nothing changes, no error
    restored = manage.restore_runs(store, [a])
    assert restored[0].deleted is False
    assert {r.name for r in store.list_runs("exp")} == {"alpha", "gamma"}
    assert store.get_run(a).metrics["loss"].last == 1.0  # nothing of the run was lost


def test_bad_id_in_a_batch_changes_nothing(store: tc.Store) -> None:
    a = _id(store, "alpha")
    with pytest.raises(NotFoundError, match="zzzz"):
        manage.delete_runs(store, [a, "zzzz"])
    assert not store.get_run(a).deleted
    with pytest.raises(ValidationError, match="single string"):
        manage.delete_runs(store, a)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="no run ids"):
        manage.restore_runs(store, [])


def test_ambiguous_prefix_is_refused(store: tc.Store) -> None:
    ids = [r.id for r in store.list_runs()]
    common = ""
    for chars in zip(*ids, strict=False):
        if len(set(chars)) > 1:
            break
        common += chars[0]
    with pytest.raises((AmbiguousIdError, ValidationError)):
        manage.rename_run(store, common, "x")


def test_rename_keeps_everything_else(store: tc.Store) -> None:
    a = _id(store, "alpha")
    before = store.get_run(a)
    after = manage.rename_run(store, a[:8], "  alpha-v2  ")
    assert after.name == "alpha-v2"
    assert (after.params, after.tags, after.status, after.start_time, after.end_time) == (
        before.params,
        before.tags,
        before.status,
        before.start_time,
        before.end_time,
    )
    assert after.metrics["loss"].last == before.metrics["loss"].last
    assert store.list_runs("exp")[0].name in {"alpha-v2", "beta", "gamma"}
    assert any(r.name == "alpha-v2" for r in store.list_runs("exp"))  # the listing (and its cache) sees it


def test_rename_with_a_stale_expectation_is_refused(store: tc.Store) -> None:
    a = _id(store, "alpha")
    manage.rename_run(store, a, "renamed-elsewhere")
    with pytest.raises(StateChangedError, match="renamed-elsewhere") as info:
        manage.rename_run(store, a, "mine", expect_name="alpha")
    assert info.value.actual == "renamed-elsewhere"
    assert store.get_run(a).name == "renamed-elsewhere"


def test_tags_set_update_and_remove(store: tc.Store) -> None:
    a = _id(store, "alpha")
    run = manage.set_tags(store, a, {"reviewed": "yes", "score": 3, "nan": float("nan")})
    assert run.tags["reviewed"] == "yes" and run.tags["score"] == 3 and run.tags["team"] == "ml"
    assert run.tags["nan"] != run.tags["nan"]  # NaN survives strict JSON
    run = manage.update_tags(store, a, {"reviewed": "no"}, remove=["score"])
    assert run.tags == {"team": "ml", "reviewed": "no", "nan": run.tags["nan"]}
    with pytest.raises(NotFoundError, match=r"no tag 'absent'.*team"):
        manage.remove_tags(store, a, ["reviewed", "absent"])
    assert store.get_run(a).tags["reviewed"] == "no"  # refused as a whole
    with pytest.raises(ValidationError, match="both set and removed"):
        manage.update_tags(store, a, {"x": 1}, remove=["x"])
    with pytest.raises(ValidationError, match="no tags given"):
        manage.update_tags(store, a)
    assert search_runs(store, "exp", filter="tags.reviewed = 'no'")[0].id == a


def test_note_shows_as_a_tag_and_is_searchable(store: tc.Store) -> None:
    a = _id(store, "alpha")
    run = manage.set_note(store, a, "  overfits after epoch 12\nsee lr  ")
    assert run.tags[manage.NOTE_TAG] == "overfits after epoch 12\nsee lr"
    assert [r.id for r in search_runs(store, "exp", filter="tags.note LIKE '%overfit%'")] == [a]
    assert search_runs(store, "exp", filter="tags.note IS NULL") != []
    run = manage.set_note(store, a, "   ")
    assert manage.NOTE_TAG not in run.tags
    with pytest.raises(ValidationError, match="at most"):
        manage.set_note(store, a, "x" * (manage.MAX_NOTE_LENGTH + 1))
    with pytest.raises(ValidationError, match="control character"):
        manage.set_note(store, a, "bell\x07")
    with pytest.raises(ValidationError, match="must be text"):
        manage.set_note(store, a, 12)  # type: ignore[arg-type]


def test_a_running_run_is_refused_in_this_process(store: tc.Store) -> None:
    run = store.start_run("exp", "live")
    try:
        with pytest.raises(RunStateError, match="this process"):
            manage.rename_run(store, run.id, "x")
        manage.delete_runs(store, [run.id])  # deleting is a marker beside the run: allowed
        assert store.get_run(run.id).deleted
        run.log_metric("loss", 0.5)  # the writer is unaffected
    finally:
        run.end()
    assert store.get_run(run.id).metrics["loss"].last == 0.5


def test_a_run_running_in_another_process_is_refused(store: tc.Store) -> None:
    script = textwrap.dedent(
        f"""
        import sys, tracker_core as tc
        run = tc.Store({str(store.root)!r}).start_run("exp", "remote-writer")
        print(run.id, flush=True)
        sys.stdin.readline()
        run.set_tag("from", "writer")
        run.end()
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdin is not None
        run_id = proc.stdout.readline().strip()
        with pytest.raises(RunStateError, match=r"is running \(pid \d+ on .*only its writer"):
            manage.set_tags(store, run_id, {"from": "app"})
        with pytest.raises(RunStateError):
            manage.set_note(store, run_id, "hello")
        proc.stdin.write("\n")
        proc.stdin.flush()
        assert proc.wait(timeout=30) == 0
    finally:
        proc.kill()
    manage.set_note(store, run_id, "after it ended")  # now it may be changed
    tags = store.get_run(run_id).tags
    assert tags == {"from": "writer", "note": "after it ended"}


def test_a_crashed_run_can_be_changed_and_still_resumed(store: tc.Store) -> None:
    a = _id(store, "alpha")
    make_crashed(store, a)
    assert store.get_run(a).status == "crashed"
    manage.rename_run(store, a, "crashed-renamed")
    run = store.get_run(a)
    assert (run.name, run.status) == ("crashed-renamed", "crashed")
    with store.start_run(run_id=a) as resumed:  # the edit released the writer lock
        resumed.log_metric("loss", 0.25)
    assert store.get_run(a).metrics["loss"].last == 0.25 and store.get_run(a).name == "crashed-renamed"


def test_two_processes_tagging_one_run_both_land(store: tc.Store, tmp_path: Path) -> None:
    a = _id(store, "alpha")
    script = textwrap.dedent(
        """
        import sys, tracker_core as tc
        from tracker_core import manage
        store = tc.Store(sys.argv[1])
        for i in range(15):
            manage.set_tags(store, sys.argv[2], {f"{sys.argv[3]}{i}": i})
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", script, str(store.root), a, w]) for w in ("p", "q")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    tags = store.get_run(a).tags
    assert {f"{w}{i}" for w in "pq" for i in range(15)} <= set(tags)


def test_a_mirror_store_is_refused(store: tc.Store) -> None:
    store.remote_url = "s3://bucket/prefix"  # what Store sets for an s3:// mirror
    with pytest.raises(TrackerError, match="read-only mirror"):
        manage.rename_run(store, _id(store, "alpha"), "x")
    with pytest.raises(TrackerError, match="read-only mirror"):
        manage.delete_runs(store, [_id(store, "alpha")])


def test_a_damaged_run_file_is_named(store: tc.Store) -> None:
    a = _id(store, "alpha")
    path = Path(store.layout.run_dir(store.get_run(a).experiment_id, a)) / "run.json"
    path.write_text("{not json")
    with pytest.raises(TrackerError, match=r"run.json.*cannot be changed"):
        manage.rename_run(store, a, "x")
    assert path.read_text() == "{not json"  # left as it was


text = st.text(st.characters(codec="utf-8"), max_size=40) | st.text(max_size=5)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=text | st.integers() | st.none(), key=text, value=text | st.integers() | st.floats(), note=text)
def test_arguments_are_stored_exactly_or_refused(
    store: tc.Store, name: object, key: object, value: object, note: object
) -> None:
    a = min(r.id for r in store.list_runs("exp"))  # the same run in every example
    before = store.get_run(a)
    for call, check in (
        (lambda: manage.rename_run(store, a, name), lambda r: r.name == str(name).strip()),  # type: ignore[arg-type]
        (lambda: manage.set_tags(store, a, {key: value}), lambda r: key in r.tags),  # type: ignore[dict-item]
        (lambda: manage.set_note(store, a, note), lambda r: r.tags.get("note", "") == str(note).strip()),  # type: ignore[arg-type]
    ):
        try:
            run = call()
        except ValidationError as exc:
            assert str(exc)  # a message naming what was wrong
            assert store.get_run(a).params == before.params
            continue
        assert check(run)
        reread = store.get_run(a)
        assert (reread.name, reread.tags.keys()) == (run.name, run.tags.keys())


# ------------------------------------------------------------------ CLI
def test_cli_delete_deleted_restore(store: tc.Store) -> None:
    a, b = _id(store, "alpha"), _id(store, "beta")
    result = cli(store, "run", "delete", a[:8], b[:8])
    assert result.exit_code == 0, result.output
    assert f"deleted run {a[:8]} (alpha)" in result.output
    listed = cli(store, "run", "deleted", "--json")
    assert {r["name"] for r in json.loads(listed.output)} == {"alpha", "beta"}
    plain = cli(store, "run", "deleted", "exp", "--plain")
    assert "alpha" in plain.output and "exp" in plain.output
    assert "alpha" not in cli(store, "runs", "exp", "--plain").output
    restored = cli(store, "run", "restore", a[:8], "--json")
    assert json.loads(restored.output)[0]["deleted"] is False
    assert "alpha" in cli(store, "runs", "exp", "--plain").output


def test_cli_rename_tag_note(store: tc.Store) -> None:
    a = _id(store, "alpha")
    assert cli(store, "run", "rename", a[:8], "alpha2").exit_code == 0
    assert store.get_run(a).name == "alpha2"
    result = cli(store, "run", "tag", a[:8], "reviewed=yes", "stage=", "--json")
    assert json.loads(result.output) == {"team": "ml", "reviewed": "yes", "stage": ""}
    result = cli(store, "run", "tag", a[:8], "-r", "stage", "--plain")
    assert "reviewed" in result.output and "stage" not in result.output
    assert cli(store, "run", "note", a[:8], "needs more data").exit_code == 0
    assert cli(store, "run", "note", a[:8]).output.strip() == "needs more data"
    found = cli(store, "runs", "exp", "-f", "tags.note LIKE '%more data%'", "--json")
    assert [r["id"] for r in json.loads(found.output)] == [a]
    assert cli(store, "run", "note", a[:8], "-", input="from stdin\n").exit_code == 0
    assert store.get_run(a).tags["note"] == "from stdin"
    assert json.loads(cli(store, "run", "note", a[:8], "--clear", "--json").output) == {"id": a, "note": None}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "rename", "zzzzzz", "x"], "no run with id 'zzzzzz'"),
        (["run", "rename", "{a}", " "], "run name must not be empty"),
        (["run", "tag", "{a}", "novalue"], "is not KEY=VALUE"),
        (["run", "tag", "{a}", "k=1", "-r", "k"], "both set and removed"),
        (["run", "tag", "{a}", "-r", "absent"], "no tag 'absent'"),
        (["run", "note", "{a}", "x", "--clear"], "not both"),
        (["run", "delete", "{a}", "zzzzzz"], "no run with id 'zzzzzz'"),
    ],
)
def test_cli_errors_are_one_line(store: tc.Store, args: list[str], message: str) -> None:
    a = _id(store, "alpha")
    result = cli(store, *[x.replace("{a}", a[:8]) for x in args])
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output
    assert not store.get_run(a).deleted


def test_a_live_listing_sees_the_change(store: tc.Store) -> None:
    from tracker_core.index import RunIndex

    a = _id(store, "alpha")
    index = RunIndex(store, store.get_run(a).experiment_id)
    index.refresh()
    manage.rename_run(store, a, "renamed")
    manage.set_note(store, a, "seen")
    changes = index.refresh(full=True)
    assert a in changes.updated
    assert (index.runs[a].name, index.runs[a].tags["note"]) == ("renamed", "seen")
