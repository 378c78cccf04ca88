"""Where an ``s3://`` remote's endpoint, credentials and push settings come from (real SeaweedFS)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
import seaweed_server

import tracker_core as tc
from tracker_core.errors import RemoteError, ValidationError
from tracker_core.remote import open_remote
from tracker_core.sync import sync


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seaweed) -> Path:  # type: ignore[no-untyped-def]
    """A working directory with no config around it, the store's runs in ./box."""
    cwd = tmp_path / "work"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("TUI_TRACK_STORE", raising=False)
    with tc.Store(cwd / "box").start_run("cfg", "r0") as run:
        run.log_metric("loss", 0.5, step=0)
    return cwd


def _dead() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_s3_endpoint_in_the_config_file_serves_sync_and_the_s3_store(  # type: ignore[no-untyped-def]
    work: Path, s3_url: str, seaweed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    (work / "tui-track.toml").write_text(f's3_endpoint = "{seaweed.endpoint}"\n')
    assert sync(work / "box", s3_url).copied == 2
    assert [r.name for r in tc.Store(s3_url).list_runs()] == ["r0"]
    # the user config file is read too, and the environment wins over any file
    (work / "tui-track.toml").unlink()
    user = work.parent / "xdg" / "tui-track" / "tui-track.toml"
    user.parent.mkdir(parents=True)
    user.write_text(f's3_endpoint = "{_dead()}"\n')
    with pytest.raises(RemoteError, match=r"cannot reach http://127\.0\.0\.1"):
        sync(work / "box", s3_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL", seaweed.endpoint)
    assert sync(work / "box", s3_url).unchanged == 2


def test_a_bad_s3_endpoint_names_its_file(work: Path, s3_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    (work / "tui-track.toml").write_text('s3_endpoint = "localhost:8333"\n')
    with pytest.raises(ValidationError, match=r"tui-track.toml: s3_endpoint must be a URL") as caught:
        sync(work / "box", s3_url)
    assert "\n" not in str(caught.value)


def test_credentials_from_a_profile_in_the_shared_files(  # type: ignore[no-untyped-def]
    work: Path, s3_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    credentials = Path(os.environ["AWS_SHARED_CREDENTIALS_FILE"])
    credentials.write_text(
        f"[team]\naws_access_key_id = {seaweed_server.ACCESS_KEY}\n"
        f"aws_secret_access_key = {seaweed_server.SECRET_KEY}\n"
    )
    try:
        monkeypatch.setenv("AWS_PROFILE", "team")
        assert sync(work / "box", s3_url).copied == 2
        monkeypatch.setenv("AWS_PROFILE", "nobody")
        with pytest.raises(RemoteError):
            open_remote(s3_url).list()
    finally:
        credentials.unlink()


def test_remote_and_push_interval_from_the_config_push_a_run(work: Path, s3_url: str) -> None:  # type: ignore[no-untyped-def]
    (work / "tui-track.toml").write_text(f'remote = "{s3_url}"\npush_interval = 0.2\n')
    store = tc.Store(work / "box")
    with store.start_run("cfg", "pushed") as run:
        pusher = run._pusher  # type: ignore[attr-defined]
        assert pusher.url == s3_url and pusher.interval == 0.2
        run.log_metric("loss", 0.1, step=0)
    remote = open_remote(s3_url)
    assert any(k.endswith(f"{run.id}/run.json") for k in remote.list())
    (work / "tui-track.toml").write_text(f'remote = "{s3_url}"\npush_interval = "soon"\n')
    with pytest.raises(ValidationError, match=r"tui-track.toml: push_interval must be a positive number"):
        store.start_run("cfg", "refused")
    (work / "tui-track.toml").write_text('remote = "ftp://nope"\n')
    with pytest.raises(ValidationError, match=r"tui-track.toml: remote must be an s3://"):
        store.start_run("cfg", "refused")
    assert [r.name for r in store.list_runs()] == ["pushed", "r0"]  # refused before a run was created
