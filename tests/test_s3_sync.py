"""``tui-track sync`` with an ``s3://`` remote, against a real SeaweedFS server on loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import seaweed_server

import tracker_core as tc
from tracker_core.errors import RemoteConflictError, RemoteError, TrackerError
from tracker_core.remote import open_remote
from tracker_core.sync import sync

BUCKET = seaweed_server.BUCKET
CLI = [sys.executable, "-c", "from tui_track.cli import main; main()"]


@pytest.fixture
def url(s3_url: str) -> str:
    return s3_url


def _files(root: Path) -> dict[str, bytes]:
    """Every run and registry file of a store, by path relative to it (ids are the same on both sides)."""
    out = {}
    for base in ("experiments", "registry"):
        for p in sorted((root / base).rglob("*")):
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts):
                out[p.relative_to(root).as_posix()] = p.read_bytes()
    return out


def _fill(store: tc.Store, n: int, experiment: str = "churn") -> list[str]:
    ids = []
    for i in range(n):
        with store.start_run(experiment, f"r{i}") as run:
            run.log_params({"i": i})
            for step in range(3):
                run.log_metric("loss", 1.0 / (step + 1 + i), step=step)
            ids.append(run.id)
    return ids


def test_conditional_writes_on_seaweedfs(url: str) -> None:
    remote = open_remote(url)
    tag = remote.write("k", b"one", expect=None)
    with pytest.raises(RemoteConflictError):
        remote.write("k", b"two", expect=None)
    new = remote.write("k", b"three", expect=tag)
    with pytest.raises(RemoteConflictError):
        remote.write("k", b"four", expect=tag)
    blob = remote.read("k", 2)
    assert blob is not None and blob.data == b"ree" and blob.etag == new
    assert remote.read("absent") is None
    assert set(remote.list()) == {"k"}


def test_push_pull_round_trip_with_registry_is_byte_identical(url: str, tmp_path: Path) -> None:
    a = tc.Store(tmp_path / "a")
    ids = _fill(a, 3)
    (tmp_path / "model.bin").write_bytes(b"weights")
    with a.start_run("churn", "with-model") as run:
        run.log_artifact(tmp_path / "model.bin")
    from tracker_core.registry import Registry

    Registry(a).register_file("clf", tmp_path / "model.bin", source_run_id=run.id)
    Registry(a).promote("clf", 1, "production")
    done = subprocess.run([*CLI, "sync", str(a.root), url], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    report = sync(url, tmp_path / "b")
    assert report.copied == 4
    b = tc.Store(tmp_path / "b", create=False)
    ours, theirs = _files(a.root), _files(b.root)
    # model.json is rewritten by the registry's journaled merge (its journal and times): compared by meaning below
    assert {k: v for k, v in ours.items() if not k.endswith("model.json")} == {
        k: v for k, v in theirs.items() if not k.endswith("model.json")
    }
    assert set(ours) == set(theirs)
    assert {r.id for r in b.list_runs()} == {*ids, run.id}
    assert Registry(b).get_version("clf", 1).stage == "production"
    # a second pass moves nothing
    again = sync(a.root, url)
    assert again.copied == 0 and again.unchanged == 5
    assert sync(url, tmp_path / "b").copied == 0


def _count_gets(remote) -> list[str]:  # type: ignore[no-untyped-def]
    calls: list[str] = []
    remote.client.meta.events.register("before-call.s3.GetObject", lambda **kw: calls.append("get"))
    remote.client.meta.events.register("before-call.s3.ListObjectsV2", lambda **kw: calls.append("list"))
    remote.client.meta.events.register("before-call.s3.PutObject", lambda **kw: calls.append("put"))
    return calls


def test_pull_costs_requests_in_proportion_to_what_changed(url: str, tmp_path: Path) -> None:
    from tracker_core.remote.sync import pull_into, push

    a = tc.Store(tmp_path / "a")
    ids = _fill(a, 60)
    push(a.root, open_remote(url))
    b = tc.Store(tmp_path / "b")
    pull_into(open_remote(url), b)
    for run_id in ids[:5]:  # five runs change: a tag and more history
        run_dir = a.experiments_dir / a.get_run(run_id).experiment_id / "runs" / run_id
        with open(run_dir / "metrics.jsonl", "ab") as f:
            f.write(b'{"key": "loss", "value": 0.5, "step": 9, "timestamp": 1790000000.0}\n')
    pusher = open_remote(url)
    calls = _count_gets(pusher)
    pushed = push(a.root, pusher)
    assert pushed.units == 5
    assert calls.count("put") <= 5 * 2 + 1
    puller = open_remote(url)
    calls = _count_gets(puller)
    pulled, merged = pull_into(puller, b)
    assert pulled.units == 5 and merged.updated == 5
    assert calls.count("get") <= 1 + 5 * 2, calls
    assert _files(a.root) == _files(b.root)
    calls.clear()
    assert pull_into(puller, b)[0].units == 0
    assert calls.count("get") == 1  # the manifest only


def test_a_pull_merges_only_what_changed_and_a_merge_cut_short_is_finished_by_the_rerun(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker_core import manage
    from tracker_core import sync as store_sync
    from tracker_core.remote.sync import PENDING, mirror_dir, pull_into, push

    a = tc.Store(tmp_path / "a")
    ids = _fill(a, 8)
    push(a.root, open_remote(url))
    b = tc.Store(tmp_path / "b")
    assert pull_into(open_remote(url), b)[1].copied == 8
    for run_id in ids[:2]:
        manage.set_tags(a, run_id, {"round": 2})
    push(a.root, open_remote(url))
    real = store_sync.merge_stores
    merges: list[object] = []

    def cut_short(src, dst, only=None):  # type: ignore[no-untyped-def]
        merges.append(only)
        raise OSError("killed during the merge")

    monkeypatch.setattr(store_sync, "merge_stores", cut_short)
    with pytest.raises(OSError, match="killed"):
        pull_into(open_remote(url), b)  # the mirror has the two runs; the store does not yet
    experiment = a.get_run(ids[0]).experiment_id
    assert merges == [{experiment: set(ids[:2])}]  # only the changed runs, not all eight
    assert (mirror_dir(b.root, url) / PENDING).is_file()
    monkeypatch.setattr(store_sync, "merge_stores", real)
    pulled, merged = pull_into(open_remote(url), b)
    assert pulled.units == 0  # nothing new on the remote ...
    assert merged.updated == 2 and merged.unchanged == 6  # ... yet the pending runs are merged now
    assert {r: b.get_run(r).tags.get("round") for r in ids[:3]} == {ids[0]: 2, ids[1]: 2, ids[2]: None}
    assert _files(a.root) == _files(b.root)
    assert not (mirror_dir(b.root, url) / PENDING).exists()


def test_live_run_is_followed_from_a_second_store(url: str, tmp_path: Path) -> None:
    from tracker_core.remote.sync import pull_into, push

    a = tc.Store(tmp_path / "a")
    b = tc.Store(tmp_path / "b")
    with a.start_run("live", "training") as run:
        for step in range(5):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
        run.flush()
        push(a.root, open_remote(url))
        pull_into(open_remote(url), b)
        first = [p.step for p in b.metric_history(run.id, "loss")]
        for step in range(5, 9):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
        run.flush()
        push(a.root, open_remote(url))
        remote = open_remote(url)
        segments = [k for k in remote.list() if "metrics.jsonl@" in k]
        assert len(segments) == 2  # the new points went as an appended range
        pull_into(remote, b)
        assert b.get_run(run.id).status == "running"
        later = [p.step for p in b.metric_history(run.id, "loss")]
    assert first == list(range(5)) and later == list(range(9))


def test_bad_bucket_and_credentials_are_one_line_errors(seaweed, tmp_path: Path, monkeypatch) -> None:
    a = tc.Store(tmp_path / "a")
    _fill(a, 1)
    with pytest.raises(RemoteError, match="bucket 'no-such-bucket' does not exist"):
        sync(a.root, "s3://no-such-bucket/p")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wrong")
    with pytest.raises(RemoteError, match="refused the credentials") as caught:
        sync(a.root, f"s3://{BUCKET}/p")
    assert "\n" not in str(caught.value)
    done = subprocess.run(
        [*CLI, "sync", str(a.root), f"s3://{BUCKET}/p"],
        capture_output=True, text=True, check=False, env={**os.environ},
    )  # fmt: skip
    assert done.returncode != 0 and "Traceback" not in done.stderr and "credentials" in done.stderr
    assert issubclass(RemoteError, TrackerError)


_WORKER = textwrap.dedent(
    """
    import sys
    import tracker_core as tc
    from tracker_core.registry import Registry
    from tracker_core.sync import sync
    root, url, box = sys.argv[1], sys.argv[2], sys.argv[3]
    store = tc.Store(root)
    for i in range(3):
        with store.start_run("shared", f"{box}-{i}") as run:
            run.log_metric("loss", 0.1 * i, step=0)
    registry = Registry(store)
    with open(f"{root}/m.bin", "wb") as f:
        f.write(box.encode())
    registry.register_file("shared-model", f"{root}/m.bin")
    registry.promote("shared-model", 1, "production")
    sync(root, url)
    """
)


@pytest.mark.slow
def test_four_boxes_push_into_one_prefix_at_once(url: str, tmp_path: Path) -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", _WORKER, str(tmp_path / f"box{n}"), url, f"box{n}"]) for n in range(4)
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    merged = tc.Store(tmp_path / "merged")
    sync(url, merged.root)
    runs = merged.list_runs()
    assert sorted(r.name for r in runs) == sorted(f"box{n}-{i}" for n in range(4) for i in range(3))
    assert len({r.experiment_id for r in runs}) == 1  # four "shared" experiments became one
    from tracker_core.registry import Registry

    versions = Registry(merged).list_versions("shared-model")
    assert sorted(v.version for v in versions) == [1, 2, 3, 4]  # every box's version, numbers unique
    assert [v.stage for v in versions].count("production") == 1
    history = Registry(merged).history("shared-model")
    assert sum(1 for e in history if e.action == "register") == 4


def _wait(condition, timeout: float = 90.0) -> None:  # type: ignore[no-untyped-def]
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_background_push_follows_a_live_run(url: str, tmp_path: Path) -> None:
    from tracker_core.remote.sync import pull_into

    a = tc.Store(tmp_path / "a")
    b = tc.Store(tmp_path / "b")
    run = tc.start_run("bg", "training", store=a, remote=url, push_interval=0.2, flush_interval=0.05)
    try:
        pusher = run._pusher  # type: ignore[attr-defined]
        for step in range(50):
            run.log_metric("loss", 1.0 / (step + 1), step=step)
        _wait(lambda: pusher.pushes > 0)
        _wait(lambda: pull_into(open_remote(url), b) and len(b.metric_history(run.id, "loss")) == 50)
        assert b.get_run(run.id).status == "running"
    finally:
        tc.end_run()
    pull_into(open_remote(url), b)
    assert b.get_run(run.id).status == "finished"
    assert _files(a.root) == _files(b.root)


def test_background_push_arguments_are_checked_first(tmp_path: Path) -> None:
    from tracker_core.errors import ValidationError

    store = tc.Store(tmp_path / "a")
    with pytest.raises(ValidationError, match="push_interval"):
        store.start_run("x", push_interval=0)
    with pytest.raises(ValidationError, match="s3://"):
        store.start_run("x", remote="ftp://nope")
    assert not store.root.exists()  # refused before anything was written, even the store


def _registry_store(tmp_path: Path, url: str, versions: int) -> None:
    from tracker_core.registry import Registry

    a = tc.Store(tmp_path / "origin")
    _fill(a, 1)
    for n in range(versions):
        (tmp_path / f"m{n}.bin").write_bytes(f"weights {n}".encode())
        Registry(a).register_file("churn", tmp_path / f"m{n}.bin")
    sync(a.root, url)


@pytest.mark.slow
def test_promotions_from_two_boxes_at_once_on_an_s3_store(url: str, tmp_path: Path) -> None:
    from tracker_core.registry import Registry

    _registry_store(tmp_path, url, 2)
    procs = [
        subprocess.Popen(
            [*CLI, "--store", url, "models", "promote", "churn", str(v), "production", "--yes"],
            env={**os.environ, "XDG_CACHE_HOME": str(tmp_path / f"cache{v}")},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for v in (1, 2)
    ]
    for p in procs:
        _out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    os.environ["XDG_CACHE_HOME"] = str(tmp_path / "reader")
    try:
        reader = tc.Store(url)
        assert reader.remote_url == url and str(tmp_path / "reader") in str(reader.root)
        history = Registry(reader).history("churn")
    finally:
        del os.environ["XDG_CACHE_HOME"]
    promotions = [e for e in history if e.action == "stage" and e.to_value == "production"]
    assert sorted(e.version for e in promotions) == [1, 2]  # both landed in the audit trail
    stages = {v.version: v.stage for v in Registry(reader).list_versions("churn")}
    assert sorted(stages.values()) == ["archived", "production"]


def test_s3_store_reads_through_a_mirror_and_changes_go_to_the_remote(url: str, tmp_path: Path, monkeypatch) -> None:
    from tracker_core.registry import Registry

    _registry_store(tmp_path, url, 1)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "box1"))
    monkeypatch.setenv("TUI_TRACK_STORE", url)
    store = tc.Store()
    assert len(store.list_runs()) == 1
    Registry(store).set_alias("churn", "champion", 1)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "box2"))
    other = tc.Store(url)
    assert Registry(other).get_model("churn").aliases == {"champion": 1}
