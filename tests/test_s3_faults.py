"""Faults around an ``s3://`` remote (real SeaweedFS): interrupted pushes, a server that stops, hand-edited objects.

Each interrupted pass is rerun and must end as an uninterrupted one: the same objects (by key and tag)
and the same manifest as a push that never failed, and the same registry by meaning.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
import seaweed_server

import tracker_core as tc
from tracker_core.errors import RemoteError
from tracker_core.jsonio import loads
from tracker_core.registry import Registry
from tracker_core.remote import open_remote
from tracker_core.remote.sync import MANIFEST, MODELS, pull_into, push
from tracker_core.sync import sync

BUCKET = seaweed_server.BUCKET


class Injected(Exception):
    pass


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> tc.Store:
    """Two runs with history and an artifact, a model with two versions, one in production."""
    root = tmp_path_factory.mktemp("origin")
    store = tc.Store(root / "store")
    for i in range(2):
        with store.start_run("faults", f"r{i}") as run:
            run.log_params({"i": i})
            for step in range(4):
                run.log_metric("loss", 1.0 / (step + 1 + i), step=step)
            run.log_text(f"notes {i}\n", "notes.txt")
    registry = Registry(store)
    for n in range(2):
        (root / f"m{n}.bin").write_bytes(f"weights {n}".encode())
        registry.register_file("clf", root / f"m{n}.bin", source_run_id=run.id)
    registry.promote("clf", 2, "production")
    return store


def _new_url() -> str:
    return f"s3://{BUCKET}/{uuid.uuid4().hex[:12]}"


def _state(url: str, _tmp: Path) -> dict[str, Any]:
    """What a push left on the remote: run objects by tag, the manifest, and the registry by meaning.

    The registry's ``model.json`` is rewritten by the journaled merge (times differ between two pushes):
    compared by its versions and aliases; its history by the changes recorded, each once.
    """
    remote = open_remote(url)
    listing = remote.list()
    state: dict[str, Any] = {"objects": {}, "registry": {}}
    for key, entry in sorted(listing.items()):
        if not key.startswith(MODELS):
            state["objects"][key] = loads(_read(remote, key)) if key == MANIFEST else entry.etag
        elif key.endswith("/model.json"):
            model = loads(_read(remote, key))
            state["registry"][key] = (model["versions"], model["aliases"], model["deleted"])
        elif key.endswith(".jsonl"):
            lines = [loads(line) for line in _read(remote, key).splitlines() if line.strip()]
            state["registry"][key] = sorted((e["action"], e.get("version"), e.get("to")) for e in lines)
        else:
            state["registry"][key] = entry.etag
    assert MANIFEST in state["objects"], f"no manifest at {url}"
    return state


def _read(remote: Any, key: str) -> bytes:
    blob = remote.read(key)
    assert blob is not None, key
    return bytes(blob.data)


class Counting:
    """Wraps a remote's ``write``: counts calls and runs ``before(n)`` ahead of the n-th (from 0)."""

    def __init__(self, remote: Any, before: Any = None) -> None:
        self.calls = 0
        self._lock = threading.Lock()
        self._write = remote.write
        self._before = before
        remote.write = self

    def __call__(self, key: str, data: bytes, **kw: Any) -> str:
        with self._lock:
            n, self.calls = self.calls, self.calls + 1
        if self._before is not None:
            self._before(n)
        return str(self._write(key, data, **kw))


@pytest.fixture(scope="module")
def reference(origin: tc.Store, seaweed, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], int]:  # type: ignore[no-untyped-def]
    """The state an uninterrupted push leaves, and how many writes it makes."""
    url = _new_url()
    remote = open_remote(url)
    counter = Counting(remote)
    push(origin.root, remote)
    return _state(url, tmp_path_factory.mktemp("ref")), counter.calls


@pytest.mark.slow
def test_an_exception_before_each_write_then_a_rerun_ends_as_an_uninterrupted_push(  # type: ignore[no-untyped-def]
    origin: tc.Store, reference, tmp_path: Path
) -> None:
    expected, writes = reference
    assert writes >= 10  # runs, experiment, manifest, versions, state, history
    for k in range(writes):
        url = _new_url()
        remote = open_remote(url)

        def fail(n: int, k: int = k) -> None:
            if n == k:
                raise Injected(f"before write {k}")

        Counting(remote, fail)
        with pytest.raises(Injected):
            push(origin.root, remote)
        push(origin.root, open_remote(url))
        assert _state(url, tmp_path) == expected, f"interrupted before write {k}"


_KILLED_PUSH = textwrap.dedent(
    """
    import os, signal, sys, threading
    from tracker_core.remote import s3
    from tracker_core.remote.sync import push
    root, url, at = sys.argv[1], sys.argv[2], int(sys.argv[3])
    real, lock, count = s3.S3Remote.write, threading.Lock(), [0]
    def write(self, key, data, **kw):
        with lock:
            n, count[0] = count[0], count[0] + 1
        if n == at:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(self, key, data, **kw)
    s3.S3Remote.write = write
    push(__import__("pathlib").Path(root), s3.S3Remote(url))
    """
)


@pytest.mark.slow
def test_a_push_killed_at_several_points_then_rerun_ends_as_an_uninterrupted_one(  # type: ignore[no-untyped-def]
    origin: tc.Store, reference, tmp_path: Path
) -> None:
    expected, writes = reference
    for at in (1, writes // 2, writes - 1):
        url = _new_url()
        done = subprocess.run(
            [sys.executable, "-c", _KILLED_PUSH, str(origin.root), url, str(at)], capture_output=True, check=False
        )
        assert done.returncode == -signal.SIGKILL, done.stderr
        push(origin.root, open_remote(url))
        assert _state(url, tmp_path) == expected, f"killed at write {at}"


def _local_files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".sync-cache" not in p.parts
    }


@pytest.mark.slow
def test_a_server_that_stops_mid_push_and_mid_pull(  # type: ignore[no-untyped-def]
    origin: tc.Store, seaweed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = seaweed_server.start(tmp_path / "own-server")
    try:
        monkeypatch.setenv("AWS_ENDPOINT_URL", server.endpoint)
        server.client().create_bucket(Bucket="faults")
        url = "s3://faults/p"
        before = _local_files(origin.root)

        def stop_at(k: int) -> Any:
            def before_write(n: int) -> None:
                if n == k:
                    seaweed_server.stop(server, kill=True)

            return before_write

        remote = open_remote(url)
        Counting(remote, stop_at(3))
        with pytest.raises(RemoteError) as caught:
            push(origin.root, remote)
        message = str(caught.value)
        assert "\n" not in message and server.endpoint in message and "run the same command again" in message
        assert _local_files(origin.root) == before  # nothing local changed
        server = seaweed_server.start(server.workdir, server.ports)
        push(origin.root, open_remote(url))
        reference = _new_reference(origin, "s3://faults/reference")
        assert _state(url, tmp_path) == _state(reference, tmp_path)

        # a pull the server leaves halfway: the destination stays as it was; the rerun completes it
        dest = tc.Store(tmp_path / "dest")
        puller = open_remote(url)
        reads = {"n": 0}
        real_read = puller.read

        def read(key: str, start: int = 0) -> Any:
            reads["n"] += 1
            if reads["n"] == 4:
                seaweed_server.stop(server, kill=True)
            return real_read(key, start)

        puller.read = read  # type: ignore[method-assign]
        with pytest.raises(RemoteError, match="cannot reach"):
            pull_into(puller, dest)
        assert dest.list_experiments() == []
        server = seaweed_server.start(server.workdir, server.ports)
        pull_into(open_remote(url), dest)
        assert sorted(r.name for r in dest.list_runs()) == ["r0", "r1"]
        assert [v.stage for v in Registry(dest).list_versions("clf")] == ["development", "production"]
    finally:
        seaweed_server.stop(server, kill=True)


def _new_reference(origin: tc.Store, url: str) -> str:
    push(origin.root, open_remote(url))
    return url


def test_a_damaged_or_missing_manifest_is_reported_and_a_push_recovers(
    origin: tc.Store, seaweed, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    url = _new_url()
    push(origin.root, open_remote(url))
    remote = open_remote(url)
    remote.write(MANIFEST, b"{not json")
    dest = tc.Store(tmp_path / "dest")
    for attempt in (lambda: pull_into(open_remote(url), dest), lambda: push(origin.root, open_remote(url))):
        with pytest.raises(RemoteError, match=r"manifest\.json is damaged") as caught:
            attempt()
        assert "\n" not in str(caught.value) and "remove it and push again" in str(caught.value)
    remote.delete(MANIFEST)  # what the message says to do
    pulled, _ = pull_into(open_remote(url), dest)
    assert any("no manifest.json" in w for w in pulled.warnings)  # runs on the remote, none listed
    assert dest.list_runs() == []
    push(origin.root, open_remote(url))
    pull_into(open_remote(url), dest)
    assert sorted(r.name for r in dest.list_runs()) == ["r0", "r1"]


def test_an_object_deleted_behind_the_manifest_is_reported_and_the_next_push_restores_it(  # type: ignore[no-untyped-def]
    origin: tc.Store, seaweed, tmp_path: Path
) -> None:
    url = _new_url()
    push(origin.root, open_remote(url))
    remote = open_remote(url)
    gone = next(k for k in remote.list() if k.endswith("/run.json"))
    history = next(k for k in remote.list() if "metrics.jsonl@" in k and k.split("/")[3] != gone.split("/")[3])
    remote.delete(gone)
    remote.delete(history)
    dest = tc.Store(tmp_path / "dest")
    pulled, _ = pull_into(open_remote(url), dest)
    assert len(pulled.warnings) == 2 and all("its box's next push sends it again" in w for w in pulled.warnings)
    assert dest.list_runs() == []  # no half run reached the store
    again = push(origin.root, open_remote(url))
    assert again.units == 2  # the two damaged runs, whole
    pulled, _ = pull_into(open_remote(url), dest)
    assert pulled.warnings == []
    assert sorted(r.name for r in dest.list_runs()) == ["r0", "r1"]
    for run in dest.list_runs():
        assert [p.step for p in dest.metric_history(run.id, "loss")] == [0, 1, 2, 3]
    assert os.path.exists(origin.root)


def test_a_damaged_local_model_is_reported_and_the_other_models_are_pushed(seaweed, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = tc.Store(tmp_path / "store")
    registry = Registry(store)
    for name in ("good", "bad"):
        (tmp_path / f"{name}.bin").write_bytes(name.encode())
        registry.register_file(name, tmp_path / f"{name}.bin")
    state = registry.models_dir / "bad" / "model.json"
    state.write_text(state.read_text().replace('"created": ', '"created": "abc", "x": '))
    url = _new_url()
    report = sync(store.root, url)
    assert len(report.warnings) == 1 and "'bad' not pushed" in report.warnings[0]
    assert "model.json" in report.warnings[0] and "created" in report.warnings[0]
    dest = tc.Store(tmp_path / "dest")
    sync(url, dest.root)
    assert [m.name for m in Registry(dest).list_models()] == ["good"]
