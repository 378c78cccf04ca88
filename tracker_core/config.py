"""Where the store is and how tools behave, resolved the same way for library and app.

Store location, first match wins:

1. the explicit argument (``Store(path)``, ``tui-track PATH``, ``--store``);
2. the ``TUI_TRACK_STORE`` environment variable;
3. ``store = "..."`` in ``./tui-track.toml``;
4. ``store = "..."`` under ``[tool.tui-track]`` in ``./pyproject.toml``;
5. ``store = "..."`` in the user config file (``$XDG_CONFIG_HOME/tui-track/tui-track.toml``,
   by default ``~/.config/tui-track/tui-track.toml``);
6. ``./tui-track-store`` in the working directory.

A relative ``store`` in a config file is relative to that file's directory. The same files
also hold app settings (``refresh_interval``, ``theme``) and metric directions
(``[metrics] loss = "min"``); each setting is taken from the first file that has it.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from stat import S_ISREG
from types import MappingProxyType
from typing import Any, NamedTuple

from .errors import TrackerError

ENV_STORE = "TUI_TRACK_STORE"
DEFAULT_REFRESH = 2.0
"""Seconds between live refreshes of the app when the config does not say."""
CONFIG_NAME = "tui-track.toml"
DEFAULT_STORE_NAME = "tui-track-store"


_NOTHING: Mapping[str, Any] = MappingProxyType({})


class Settings(NamedTuple):
    """Settings merged from the config files, with the file each came from (``Settings()``: none)."""

    values: Mapping[str, Any] = _NOTHING
    sources: Mapping[str, Path] = _NOTHING

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


def user_config_path() -> Path:
    """The per-user config file (XDG layout)."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "tui-track" / CONFIG_NAME


_PARSED: dict[tuple[Path, bool], tuple[tuple[int, int, int], dict[str, Any] | None]] = {}
"""Config tables already parsed, with the (inode, size, mtime) they were parsed at: every new run
reads the settings several times, and parsing a project's ``pyproject.toml`` costs milliseconds."""


def _load_table(path: Path, *, pyproject: bool = False) -> dict[str, Any] | None:
    """The config table of ``path`` (of a pyproject.toml: its ``[tool.tui-track]``); None when it has none.

    Parsed again only when the file changed (or changed less than a second ago). The table returned
    is shared: callers do not change it.
    """
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not S_ISREG(st.st_mode):
        return None
    stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
    hit = _PARSED.get((path, pyproject))
    if hit is not None and hit[0] == stamp:
        return hit[1]
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib
    try:
        with open(path, "rb") as fh:
            table: dict[str, Any] | None = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise TrackerError(f"{path}: invalid TOML ({exc}); fix or remove the file") from None
    except FileNotFoundError:
        return None
    if pyproject and table is not None:
        tool = table.get("tool")
        section = tool.get("tui-track") if isinstance(tool, dict) else None
        table = section if isinstance(section, dict) else None
    if time.time_ns() - st.st_mtime_ns > 1_000_000_000:  # a file changed within a clock tick keeps its stamp
        _PARSED[(path, pyproject)] = (stamp, table)
    return table


def config_files(cwd: Path | None = None) -> list[tuple[Path, dict[str, Any]]]:
    """The config tables that exist, most specific first."""
    cwd = Path.cwd() if cwd is None else cwd
    found: list[tuple[Path, dict[str, Any]]] = []
    for path, pyproject in ((cwd / CONFIG_NAME, False), (cwd / "pyproject.toml", True), (user_config_path(), False)):
        table = _load_table(path, pyproject=pyproject)
        if table is not None:
            found.append((path, table))
    return found


def load_settings(cwd: Path | None = None) -> Settings:
    """Merge the config files: each key from the first file that sets it."""
    values: dict[str, Any] = {}
    sources: dict[str, Path] = {}
    for path, table in config_files(cwd):
        for key, value in table.items():
            if key not in values:
                values[key] = value
                sources[key] = path
    return Settings(values, sources)


def resolve_store_path(explicit: str | os.PathLike[str] | None = None, cwd: Path | None = None) -> Path:
    """The store directory, by the order documented in this module."""
    if explicit is not None and os.fspath(explicit) != "":
        return Path(explicit).expanduser()
    env = os.environ.get(ENV_STORE)
    if env:
        return Path(env).expanduser()
    cwd = Path.cwd() if cwd is None else cwd
    settings = load_settings(cwd)
    store = settings.get("store")
    if store is not None:
        if not isinstance(store, str) or not store:
            raise TrackerError(f"{settings.sources['store']}: 'store' must be a non-empty path string")
        path = Path(store).expanduser()
        return path if path.is_absolute() else settings.sources["store"].parent / path
    return cwd / DEFAULT_STORE_NAME


class AppSettings(NamedTuple):
    """What the app reads once at start, checked: the store, refresh interval, theme, experiment.

    For an ``s3://bucket/prefix`` store, ``remote_url`` is that URL and ``store_path`` its local mirror.
    """

    store_path: Path
    refresh_interval: float = DEFAULT_REFRESH
    theme: str | None = None
    experiment: str | None = None
    remote_url: str | None = None

    @classmethod
    def for_store(cls, store: str | os.PathLike[str], **kwargs: Any) -> AppSettings:
        """Settings for a store path or an ``s3://`` URL (its mirror under the user's cache directory)."""
        text = os.fspath(store)
        if text.startswith("s3://"):
            from .remote.mirror import cache_root

            return cls(cache_root(text), remote_url=text, **kwargs)
        return cls(Path(text).expanduser(), **kwargs)


def app_settings(
    store: str | os.PathLike[str] | None = None, *, experiment: str | None = None, cwd: Path | None = None
) -> AppSettings:
    """The app's settings from the arguments and the config files; a bad value names its file."""
    settings = load_settings(cwd)
    interval = settings.get("refresh_interval", DEFAULT_REFRESH)
    if not isinstance(interval, (int, float)) or isinstance(interval, bool) or not 0 < interval < float("inf"):
        source = settings.sources.get("refresh_interval")
        raise TrackerError(f"{source}: refresh_interval must be a positive number of seconds, not {interval!r}")
    theme = settings.get("theme")
    if theme is not None and not isinstance(theme, str):
        raise TrackerError(f"{settings.sources.get('theme')}: theme must be a string such as 'nord'")
    from .remote import remote_spec

    url = remote_spec(store)
    where: str | os.PathLike[str] = url if url is not None else resolve_store_path(store, cwd)
    return AppSettings.for_store(where, refresh_interval=float(interval), theme=theme, experiment=experiment)


def switched_off(env: str, key: str, cwd: Path | None = None) -> bool:
    """Whether environment variable ``env`` (0/false/no/off) or config key ``key`` (false) turns a feature off."""
    if os.environ.get(env, "").strip().lower() in ("0", "false", "no", "off"):
        return True
    settings = load_settings(cwd)
    value = settings.get(key)
    if value is not None and not isinstance(value, bool):
        raise TrackerError(f"{settings.sources[key]}: {key} must be true or false, not {value!r}")
    return value is False
