"""Where the store is: argument, TUI_TRACK_STORE, tui-track.toml, pyproject.toml, user config, default."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker_core import TrackerError
from tracker_core.config import load_settings, resolve_store_path


@pytest.fixture
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("TUI_TRACK_STORE", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return work


def _user_config(cwd: Path, text: str) -> None:
    path = cwd.parent / "xdg" / "tui-track" / "tui-track.toml"
    path.parent.mkdir(parents=True)
    path.write_text(text)


def test_default_is_under_the_working_directory(cwd: Path) -> None:
    assert resolve_store_path() == cwd / "tui-track-store"


def test_each_source_overrides_the_next(cwd: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _user_config(cwd, 'store = "/from/user"\n')
    assert resolve_store_path() == Path("/from/user")
    (cwd / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.tui-track]\nstore = "runs-from-pyproject"\n')
    assert resolve_store_path() == cwd / "runs-from-pyproject"
    (cwd / "tui-track.toml").write_text('store = "local-store"\nrefresh_interval = 5\n')
    assert resolve_store_path() == cwd / "local-store"
    monkeypatch.setenv("TUI_TRACK_STORE", "/from/env")
    assert resolve_store_path() == Path("/from/env")
    assert resolve_store_path("/explicit") == Path("/explicit")


def test_relative_store_is_relative_to_its_config_file(cwd: Path) -> None:
    (cwd / "tui-track.toml").write_text('store = "../shared-store"\n')
    sub = cwd / "sub"
    sub.mkdir()
    assert resolve_store_path(cwd=cwd) == cwd / "../shared-store"
    assert resolve_store_path(cwd=sub) == sub / "tui-track-store"  # config files are looked up in cwd only


def test_settings_merge_first_file_wins(cwd: Path) -> None:
    _user_config(cwd, 'theme = "nord"\nrefresh_interval = 10\n')
    (cwd / "tui-track.toml").write_text('refresh_interval = 1.5\n[metrics]\nf1 = "max"\n')
    settings = load_settings()
    assert settings.get("refresh_interval") == 1.5
    assert settings.get("theme") == "nord"
    assert settings.get("metrics") == {"f1": "max"}
    assert settings.sources["theme"].name == "tui-track.toml" and "xdg" in str(settings.sources["theme"])


def test_bad_config_is_a_clear_error(cwd: Path) -> None:
    (cwd / "tui-track.toml").write_text("store = \n")
    with pytest.raises(TrackerError, match="invalid TOML"):
        resolve_store_path()
    (cwd / "tui-track.toml").write_text("store = 3\n")
    with pytest.raises(TrackerError, match="must be a non-empty path string"):
        resolve_store_path()


def test_a_config_file_is_parsed_once_while_unchanged_and_again_when_edited(
    cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    import tomllib

    parsed: list[object] = []
    real = tomllib.load
    monkeypatch.setattr(tomllib, "load", lambda fh: parsed.append(fh) or real(fh))
    config = cwd / "tui-track.toml"
    config.write_text('store = "first"\n')
    old = config.stat().st_mtime_ns - 5_000_000_000
    os.utime(config, ns=(old, old))  # written a while ago
    assert [resolve_store_path() for _ in range(3)] == [cwd / "first"] * 3
    assert len(parsed) == 1  # every new run reads the settings: the file is not parsed each time
    config.write_text('store = "other"\n')  # the same size, edited just now: never taken from the cache
    assert resolve_store_path() == cwd / "other" and resolve_store_path() == cwd / "other"
    assert len(parsed) == 3
    os.utime(config, ns=(old, old))
    config.write_text('store = "third"\n')
    os.utime(config, ns=(old + 1, old + 1))  # an older time again, but a new stamp: parsed again
    assert resolve_store_path() == cwd / "third"
