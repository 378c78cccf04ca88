"""Damaged files: the store still opens, the damage is reported with its reason, the rest lists normally."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import tracker_core as tc
from tracker_core.records import FINISHED, UNREADABLE


def _run_dir(store: tc.Store, run_id: str) -> Path:
    return store.experiments_dir / store.get_run(run_id).experiment_id / "runs" / run_id


@pytest.fixture
def store_with_runs(tmp_path: Path) -> tuple[tc.Store, list[str]]:
    store = tc.Store(tmp_path / "store")
    ids = []
    for i in range(3):
        with store.start_run("e", f"r{i}") as run:
            run.log_metric("loss", float(i))
        ids.append(run.id)
    return store, ids


def test_torn_last_metric_line_is_ignored(store_with_runs: tuple[tc.Store, list[str]]) -> None:
    store, ids = store_with_runs
    path = _run_dir(store, ids[0]) / "metrics.jsonl"
    with open(path, "ab") as fh:
        fh.write(b'{"k":"loss","v":0.12')  # a writer killed mid-line
    assert [p.value for p in store.metric_history(ids[0], "loss")] == [0.0]


def test_garbage_line_in_the_middle_is_skipped(store_with_runs: tuple[tc.Store, list[str]]) -> None:
    store, ids = store_with_runs
    path = _run_dir(store, ids[0]) / "metrics.jsonl"
    with open(path, "ab") as fh:
        fh.write(b"\x00\x00garbage\n")
        fh.write(b'{"k":"loss","v":7.0,"s":9,"t":1.0}\n')
    assert [p.value for p in store.metric_history(ids[0], "loss")] == [0.0, 7.0]


def test_unknown_format_version_is_refused(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "s", create=True)
    marker = store.root / "tui-track-store.json"
    marker.write_text(json.dumps({"format": "tui-track", "version": 99}))
    with pytest.raises(tc.StoreError, match=r"format version 99; this tui-track reads version 1\. Upgrade"):
        tc.Store(store.root)


def test_foreign_directories_are_not_turned_into_stores(tmp_path: Path) -> None:
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "train.py").write_text("")
    with pytest.raises(tc.StoreError, match="not empty"):
        tc.Store(tmp_path / "project", create=True)
    (tmp_path / "file").write_text("")
    with pytest.raises(tc.StoreError, match="is a file"):
        tc.Store(tmp_path / "file", create=True)
    with pytest.raises(tc.StoreError, match="no tui-track store"):
        tc.Store(tmp_path / "missing", create=False)
    assert not (tmp_path / "missing").exists()


def test_corrupt_marker_is_reported(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "s", create=True)
    (store.root / "tui-track-store.json").write_text("{nope")
    with pytest.raises(tc.StoreError, match="unreadable"):
        tc.Store(store.root)


def test_damaged_experiment_file_is_listed_under_its_id(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "s")
    store.start_run("good").end()
    store.start_run("bad").end()
    bad = store.get_experiment("bad").id
    (store.experiments_dir / bad / "experiment.json").write_text("{")
    listed = {e.id: e for e in tc.Store(store.root).list_experiments()}
    assert listed[bad].name == bad and listed[bad].error is not None and "invalid JSON" in listed[bad].error
    assert [e.name for e in listed.values() if e.error is None] == ["good"]
    assert len(tc.Store(store.root).list_runs()) == 2  # the runs of both still list


# ---------------------------------------------------------------------------- the damage matrix
# Every file kind of the store x every way a file gets damaged. "unreadable" makes the file a
# directory: tests run as root, for whom permission bits never deny a read, while EISDIR really
# fails here (a chmod 000 test under another uid follows below).


def _truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: max(1, p.stat().st_size // 2)])


def _unreadable(p: Path) -> None:
    p.unlink()
    p.mkdir()
    (p / "x").write_text("")


DAMAGES: dict[str, object] = {
    "empty": lambda p: p.write_bytes(b""),
    "truncated": _truncate,
    "garbage": lambda p: p.write_bytes(b"\x00\xff garbage {[\n"),
    "wrong-shape": lambda p: p.write_text("[1, 2, 3]"),
    "wrong-type": None,  # per kind: a field that parses but has the wrong type
    "deleted": lambda p: p.unlink(),
    "unreadable": _unreadable,
}
WRONG_TYPES = {
    "run.json": [("start_time", "abc"), ("metrics_offset", -1), ("params", [1]), ("status", 3), ("pid", "x")],
    "experiment.json": [("name", 12)],
}


def _wrong_type(p: Path, field: str, value: object) -> None:
    data = json.loads(p.read_text())
    data[field] = value
    p.write_text(json.dumps(data))


def _snapshot(root: Path) -> dict[str, bytes | None]:
    """Every file's bytes, except derived indexes a reader may build (``.history/``, rebuilt from the source)."""
    found: dict[str, bytes | None] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if "/.history" in f"/{rel}":
            continue
        found[rel] = path.read_bytes() if path.is_file() else None
    return found


def _cli(store: Path, *args: str) -> tuple[int, str]:
    from click.testing import CliRunner

    from tui_track.cli import main

    result = CliRunner().invoke(main, ["--store", str(store), *args], catch_exceptions=True)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _store_with_victims(tmp_path: Path, count: int) -> tuple[tc.Store, list[str], str]:
    """A store with ``count`` runs to damage in experiment 'e' and a healthy run in 'healthy'."""
    store = tc.Store(tmp_path / "store")
    ids = []
    for i in range(count):
        with store.start_run("e", f"victim{i}", params={"i": i}) as run:
            run.log_metric("loss", float(i))
        ids.append(run.id)
    with store.start_run("healthy", "keep") as run:
        run.log_metric("loss", 0.5)
    return store, ids, run.id


def _damage_cases(kind: str) -> list[tuple[str, object]]:
    cases: list[tuple[str, object]] = []
    for name, damage in DAMAGES.items():
        if damage is None:
            for field, value in WRONG_TYPES.get(kind, []):
                cases.append((f"{name}:{field}", lambda p, f=field, v=value: _wrong_type(p, f, v)))
        else:
            cases.append((name, damage))
    return cases


@pytest.mark.parametrize("kind", ["run.json", "metrics.jsonl", "heartbeat", ".writer.lock"])
def test_run_file_damage_matrix(tmp_path: Path, kind: str) -> None:
    cases = _damage_cases(kind)
    store, ids, healthy = _store_with_victims(tmp_path, len(cases))
    for run_id, (_, damage) in zip(ids, cases, strict=True):
        path = _run_dir(store, run_id) / kind
        if not path.exists():
            path.write_text("")
        damage(path)  # type: ignore[operator]
    before = _snapshot(store.root)
    reader = tc.Store(store.root)
    listed = {r.id: r for r in reader.list_runs()}
    assert len(listed) == len(ids) + 1 and listed[healthy].status == FINISHED
    for run_id, (case, _) in zip(ids, cases, strict=True):
        summary = listed[run_id]
        if kind == "run.json":
            assert summary.status == UNREADABLE, case
            assert summary.error is not None and summary.error.startswith("run.json"), case
            assert reader.get_run(run_id).status == UNREADABLE
        else:  # the summaries live in run.json: the run lists as it was logged
            assert summary.status == FINISHED and summary.metrics["loss"].count == 1, case
    code, out = _cli(store.root, "runs", "--all", "--json")
    assert code == 0
    rows = {r["id"]: r for r in json.loads(out)}
    assert set(rows) == set(listed)
    if kind == "run.json":
        assert {rows[i]["status"] for i in ids} == {UNREADABLE}
        code, out = _cli(store.root, "show", ids[0])
        assert "unreadable" in out.lower() and "Traceback" not in out
    code, out = _cli(store.root, "experiments", "--json")
    assert code == 0 and {e["name"] for e in json.loads(out)} == {"e", "healthy"}
    assert _snapshot(store.root) == before  # readers changed no byte
    _app_lists(store.root, expected=len(ids), experiment="e")
    assert _snapshot(store.root) == before


def _app_lists(root: Path, *, expected: int, experiment: str) -> None:
    """The app opens the store and lists ``expected`` runs of ``experiment`` without an error."""
    import asyncio
    import time

    from tui_track.app import TuiTrackApp

    async def drive() -> None:
        app = TuiTrackApp(root, refresh_interval=0.2)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.main_screen
            deadline = time.monotonic() + 20
            while True:
                names = [e.name for e in screen.experiment_list.experiments]
                if experiment in names:
                    break
                assert time.monotonic() < deadline, f"experiments never listed: {names}"
                await pilot.pause(0.05)
            if (
                screen.table.runs
                and next(iter(screen.table.runs.values())).experiment_id != tc.Store(root).get_experiment(experiment).id
            ):
                return  # the app shows another experiment first: listing it without error is the point
            while len(screen.table.runs) < expected:
                assert time.monotonic() < deadline, f"runs never listed: {len(screen.table.runs)}"
                await pilot.pause(0.05)

    asyncio.run(drive())


@pytest.mark.parametrize("kind", ["experiment.json"])
def test_experiment_file_damage_matrix(tmp_path: Path, kind: str) -> None:
    store = tc.Store(tmp_path / "store")
    cases = _damage_cases(kind)
    victims = []
    for i, _ in enumerate(cases):
        store.start_run(f"victim{i}", "r").end()
        victims.append(store.get_experiment(f"victim{i}").id)
    store.start_run("healthy", "keep").end()
    for exp_id, (_, damage) in zip(victims, cases, strict=True):
        damage(store.experiments_dir / exp_id / kind)  # type: ignore[operator]
    before = _snapshot(store.root)
    reader = tc.Store(store.root)
    listed = {e.id: e for e in reader.list_experiments()}
    assert len(listed) == len(cases) + 1
    for exp_id, (case, _) in zip(victims, cases, strict=True):
        assert listed[exp_id].error is not None and listed[exp_id].error.startswith("experiment.json"), case
        assert listed[exp_id].run_count == 1
    assert reader.get_experiment("healthy").error is None
    assert len(reader.list_runs()) == len(cases) + 1  # every run still lists
    code, out = _cli(store.root, "experiments", "--json")
    assert code == 0 and len(json.loads(out)) == len(cases) + 1
    code, out = _cli(store.root, "runs", "--all", "--json")
    assert code == 0 and len(json.loads(out)) == len(cases) + 1
    assert _snapshot(store.root) == before
    _app_lists(store.root, expected=1, experiment="healthy")
    assert _snapshot(store.root) == before
    with pytest.raises(tc.TrackerError):
        reader.rename_experiment(victims[0], "renamed")  # a damaged file is never rewritten


@pytest.mark.parametrize("case", [c for c, _ in _damage_cases("marker")])
def test_marker_damage_is_one_clear_error(tmp_path: Path, case: str) -> None:
    store = tc.Store(tmp_path / "store")
    store.start_run("e").end()
    damage = dict(_damage_cases("marker"))[case]
    damage(store.root / "tui-track-store.json")  # type: ignore[operator]
    before = _snapshot(store.root)
    with pytest.raises(tc.StoreError) as info:
        tc.Store(store.root).list_runs()
    assert str(store.root) in str(info.value)
    code, out = _cli(store.root, "runs")
    assert code != 0 and len(out.strip().splitlines()) == 1 and str(store.root) in out
    assert _snapshot(store.root) == before


def test_marker_with_wrong_typed_version_is_refused(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "store", create=True)
    _wrong_type(store.root / "tui-track-store.json", "version", "1")
    with pytest.raises(tc.StoreError, match="version"):
        tc.Store(store.root)


@pytest.mark.parametrize("case", [c for c, _ in _damage_cases("cache")] + ["bad-entries"])
def test_summary_cache_damage_is_a_cache_miss(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    from tracker_core import index

    monkeypatch.setattr(index, "CACHE_REWRITE_AFTER", 1)
    store = tc.Store(tmp_path / "store")
    for i in range(4):
        with store.start_run("e", f"r{i}", params={"i": i}) as run:
            run.log_metric("loss", float(i))
    expected = {r.id: r for r in store.list_runs("e")}  # writes the cache
    cache = store.experiments_dir / store.get_experiment("e").id / ".summaries.jsonl"
    assert cache.is_file()
    if case == "bad-entries":
        lines = cache.read_bytes().splitlines(keepends=True)
        rec = json.loads(lines[1])
        rec[6] = "abc"  # start_time
        lines[1] = (json.dumps(rec) + "\n").encode()
        rec = json.loads(lines[2])
        rec[14] = {"loss": ["x", 1, 1, 0, 1, 0.0]}
        lines[2] = (json.dumps(rec) + "\n").encode()
        lines[3] = b"[1, 2]\n"
        cache.write_bytes(b"".join(lines))
    else:
        dict(_damage_cases("cache"))[case](cache)  # type: ignore[operator]
    monkeypatch.setattr(index, "CACHE_REWRITE_AFTER", 10**9)
    listed = {r.id: r for r in tc.Store(store.root).list_runs("e")}
    assert listed.keys() == expected.keys()
    for run_id, summary in listed.items():
        assert summary.status == FINISHED
        assert (summary.name, summary.start_time, summary.params) == (
            expected[run_id].name,
            expected[run_id].start_time,
            expected[run_id].params,
        )
        assert summary.metrics["loss"].last == expected[run_id].metrics["loss"].last


@pytest.mark.parametrize("case", ["garbage", "unreadable", "deleted"])
def test_deleted_run_marker_damage(tmp_path: Path, case: str) -> None:
    store, ids, healthy = _store_with_victims(tmp_path, 2)
    store.delete_run(ids[0])
    marker = store.experiments_dir / store.get_run(ids[0]).experiment_id / "deleted-runs" / ids[0]
    dict(_damage_cases("deleted"))[case](marker)  # type: ignore[operator]
    listed = {r.id for r in tc.Store(store.root).list_runs()}
    assert healthy in listed and ids[1] in listed
    assert (ids[0] in listed) == (case == "deleted")  # any marker still means deleted
    code, out = _cli(store.root, "runs", "--all", "--json")
    assert code == 0 and {r["id"] for r in json.loads(out)} == listed


def test_run_file_unreadable_for_another_user(tmp_path: Path) -> None:
    """chmod 000 really denies a read to an unprivileged reader (setpriv drops root here)."""
    import shutil
    import subprocess
    import sys

    if shutil.which("setpriv") is None or os.geteuid() != 0:
        pytest.skip("needs root and setpriv to read as another user")
    import tempfile

    tmp_path = Path(tempfile.mkdtemp(prefix="tt-damage-"))  # pytest's own tmp is closed to other users
    os.chmod(tmp_path, 0o755)
    store, ids, healthy = _store_with_victims(tmp_path, 2)
    for path in [store.root, *store.root.rglob("*")]:
        os.chmod(path, 0o777 if path.is_dir() else 0o666)
    os.chmod(_run_dir(store, ids[0]) / "run.json", 0o000)
    code = (
        "import json, sys, tracker_core as tc\n"
        "runs = tc.Store(sys.argv[1]).list_runs()\n"
        "print(json.dumps({r.id: [r.status, r.error] for r in runs}))\n"
    )
    out = subprocess.run(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", code, str(store.root)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    assert out.returncode == 0, out.stderr
    listed = json.loads(out.stdout)
    assert listed[ids[0]][0] == UNREADABLE and "EACCES" in listed[ids[0]][1]
    assert listed[ids[1]][0] == FINISHED and listed[healthy][0] == FINISHED
    shutil.rmtree(tmp_path)


def test_readers_never_create(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "path"
    store = tc.Store(missing)
    for read in (lambda: store.list_runs("x"), store.list_experiments, lambda: store.get_run("abcd")):
        with pytest.raises(tc.NotFoundError, match=str(missing)):
            read()
    assert not missing.exists() and not (tmp_path / "typo").exists()
    code, out = _cli(missing, "runs")
    assert code != 0 and "no tui-track store" in out and not missing.exists()
    store.start_run("e").end()  # a writer creates it
    assert [e.name for e in store.list_experiments()] == ["e"]


def test_leftover_creations_are_cleaned_by_a_later_writer(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "store")
    store.start_run("e").end()
    exp_id = store.get_experiment("e").id
    old_run = store.experiments_dir / exp_id / "runs" / ".creating-0123"
    fresh_run = store.experiments_dir / exp_id / "runs" / ".creating-4567"
    old_exp = store.experiments_dir / ".creating-89ab"
    for path in (old_run, fresh_run, old_exp):
        path.mkdir()
        (path / "run.json").write_text("{}")
    os.utime(old_run, (1, 1))
    tc.Store(store.root).list_runs()
    assert old_run.exists() and old_exp.exists()  # readers never touch them
    tc.Store(store.root).start_run("e").end()
    assert not old_run.exists() and not old_exp.exists()
    assert fresh_run.exists()  # may still be in progress
    assert len(tc.Store(store.root).list_runs()) == 2


@pytest.mark.parametrize("step", ["mkdir", "write", "heartbeat", "lock", "rename"])
def test_run_creation_interrupted_before_each_step_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    import tracker_core.storage.files as files_module
    import tracker_core.store as store_module

    store = tc.Store(tmp_path / "store")
    store.start_run("e", "first").end()
    before = _snapshot(store.root)

    class Boom(Exception):
        pass

    def fail(*args: object, **kwargs: object) -> None:
        raise Boom(step)

    targets = {
        "mkdir": (Path, "mkdir"),
        "write": (files_module, "write_json_atomic"),
        "heartbeat": (Path, "touch"),
        "lock": (store_module.WriterLock, "try_acquire"),
        "rename": (store_module.os, "rename"),
    }
    owner, name = targets[step]
    monkeypatch.setattr(owner, name, fail)
    with pytest.raises(Boom):
        store.start_run("e", "second")
    monkeypatch.undo()
    assert _snapshot(store.root) == before  # nothing half-made is left
    store.start_run("e", "second").end()  # the rerun ends as an uninterrupted one
    assert sorted(r.name for r in store.list_runs("e")) == ["first", "second"]


def test_experiment_creation_killed_midway_is_invisible_and_cleaned(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    store = tc.Store(tmp_path / "store")
    store.start_run("e").end()
    code = (
        "import os, signal, sys, tracker_core as tc\n"
        "import tracker_core.store as sm\n"
        "real = sm.os.rename\n"
        "def killed(src, dst):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "sm.os.rename = killed\n"
        "tc.Store(sys.argv[1]).start_run('new')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(store.root)], timeout=60)
    assert proc.returncode == -signal.SIGKILL
    leftovers = list(store.experiments_dir.glob(".creating-*"))
    assert len(leftovers) == 1
    assert [e.name for e in tc.Store(store.root).list_experiments()] == ["e"]
    tc.Store(store.root).start_run("new").end()  # the rerun creates it, cleaning the leftover
    assert not list(store.experiments_dir.glob(".creating-*"))
    assert sorted(e.name for e in tc.Store(store.root).list_experiments()) == ["e", "new"]
