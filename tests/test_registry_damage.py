"""Registry files damaged every way: the library and ``tui-track models list/show/history`` list the rest,
name the damaged item, print no traceback and change no file."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

import tracker_core as tc
from tracker_core.registry import Registry
from tui_track.cli import main


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("registry") / "store"
    reg = Registry(tc.Store(root))
    for name in ("alpha", "beta", "gamma"):
        for i in range(2):
            reg.register_object(name, {"w": i}, metrics={"auc": 0.5 + i / 10})
        reg.promote(name, 2, "production", reason="better")
        reg.set_alias(name, "champion", 1)
    return root


def _unreadable(path: Path) -> None:
    if os.geteuid() == 0:  # root reads any file whatever its mode: make it a directory instead (EISDIR)
        path.unlink()
        path.mkdir()
    else:
        path.chmod(0)


def _edit_json(change: Callable[[dict], None]) -> Callable[[Path], None]:
    def edit(path: Path) -> None:
        data = json.loads(path.read_text())
        change(data)
        path.write_text(json.dumps(data))

    return edit


def _edit_history_line(change: Callable[[str], str]) -> Callable[[Path], None]:
    def edit(path: Path) -> None:
        lines = path.read_text().splitlines(keepends=True)
        lines[1] = change(lines[1])
        path.write_text("".join(lines))

    return edit


COMMON: dict[str, Callable[[Path], None]] = {
    "empty": lambda p: p.write_bytes(b""),
    "truncated": lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]),
    "garbage": lambda p: p.write_bytes(b"\x00\xffnot json at all\n"),
    "deleted": lambda p: p.unlink(),
    "unreadable": _unreadable,
}
KINDS: dict[str, tuple[str, dict[str, Callable[[Path], None]]]] = {
    "model.json": (
        "beta/model.json",
        {
            "wrong_shape": lambda p: p.write_text("[1, 2, 3]"),
            "alias_abc": _edit_json(lambda d: d["aliases"].update(champion="abc")),
            "created_abc": _edit_json(lambda d: d.update(created="abc")),
        },
    ),
    "version.json": (
        "beta/versions/2/version.json",
        {
            "wrong_shape": lambda p: p.write_text('"a string"'),
            "registered_at_abc": _edit_json(lambda d: d.update(registered_at="abc")),
            "size_negative": _edit_json(lambda d: d.update(size=-1)),
            "file_escapes": _edit_json(lambda d: d.update(file="../../alpha/versions/1/model.joblib")),
        },
    ),
    "journal": (  # derived from the history: a bad one is ignored, never trusted over the history
        "beta/model.json",
        {
            "offset_negative": _edit_json(lambda d: d.update(journal={"offset": -5, "lines": []})),
            "lines_not_a_list": _edit_json(lambda d: d.update(journal={"offset": 0, "lines": 3})),
            "garbage_line": _edit_json(lambda d: d["journal"].update(lines=["garbage\n"])),
            "offset_past_the_end": _edit_json(lambda d: d["journal"].update(offset=10**9)),
            "wrong_shape": _edit_json(lambda d: d.update(journal=[1, 2])),
        },
    ),
    "history.jsonl": (
        "beta/history.jsonl",
        {
            "wrong_shape": _edit_history_line(lambda line: "[1, 2]\n"),
            "time_abc": _edit_history_line(lambda line: json.dumps({**json.loads(line), "time": "abc"}) + "\n"),
            "version_text": _edit_history_line(lambda line: json.dumps({**json.loads(line), "version": "x"}) + "\n"),
        },
    ),
}
CASES = [
    (kind, damage)
    for kind, (_, extra) in KINDS.items()
    for damage in ([*extra] if kind == "journal" else [*COMMON, *extra])
]


def snapshot(root: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(root)): (p.read_bytes() if p.is_file() else None)
        for p in sorted(root.rglob("*"))
        if not p.name.endswith(".lock")
    }


def cli(root: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--store", str(root), "models", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.mark.parametrize(("kind", "damage"), CASES)
def test_damaged_registry_file(pristine: Path, tmp_path: Path, kind: str, damage: str) -> None:
    root = tmp_path / "store"
    shutil.copytree(pristine, root)
    relpath, extra = KINDS[kind]
    target = root / "registry" / "models" / relpath
    {**COMMON, **extra}[damage](target)
    before = snapshot(root)
    reg = Registry(tc.Store(root, create=False))

    models = {m.name: m for m in reg.list_models()}
    assert set(models) == {"alpha", "beta", "gamma"}
    for name in ("alpha", "gamma"):  # the others list exactly as before
        m = models[name]
        assert (m.error, m.version_count, m.production_version, m.aliases) == (None, 2, 2, {"champion": 1})
        assert [v.error for v in reg.list_versions(name)] == [None, None]
        assert len(reg.history(name)) == 4
        assert reg.resolve(f"models:/{name}@champion").version == 1
    code, listing = cli(root, "list")
    assert code == 0 and "alpha" in listing and "gamma" in listing and "beta" in listing

    if kind == "model.json":
        assert models["beta"].error is not None and "beta/model.json" in models["beta"].error
        assert "UNREADABLE" in listing
        with pytest.raises(tc.CorruptFileError, match=r"model\.json"):
            reg.get_model("beta")
        code, out = cli(root, "show", "beta")
        assert code == 1 and "model.json" in out and len(out.strip().splitlines()) == 1
        with pytest.raises(tc.CorruptFileError, match=r"model\.json"):
            reg.promote("beta", 1, "staging")  # no change is made on a state that cannot be read
        code, out = cli(root, "history", "beta", "--json")
        assert code == 0 and len(json.loads(out)) == 4  # the audit trail stays readable
    elif kind == "version.json":
        assert models["beta"].error is None and models["beta"].version_count == 2
        versions = reg.list_versions("beta")
        assert versions[0].error is None and versions[1].error is not None
        assert "versions/2/version.json" in versions[1].error
        assert reg.resolve("models:/beta/1").version == 1
        code, out = cli(root, "show", "beta")
        assert code == 0 and "v1" in out and "UNREADABLE" in out
        with pytest.raises(tc.CorruptFileError, match=r"version\.json"):
            reg.load("models:/beta/2")
    elif kind == "journal":
        assert models["beta"] == reg.get_model("beta") and models["beta"].error is None
        assert [e.action for e in reg.history("beta")] == ["register", "register", "stage", "alias_set"]
    else:
        assert models["beta"].error is None and [v.error for v in reg.list_versions("beta")] == [None, None]
        code, out = cli(root, "show", "beta")
        assert code == 0 and "v1" in out and "v2" in out
        if damage == "unreadable":
            with pytest.raises(tc.CorruptFileError, match=r"history\.jsonl: cannot be read"):
                reg.history("beta")
            code, out = cli(root, "history", "beta")
            assert code == 1 and "history.jsonl" in out and len(out.strip().splitlines()) == 1
        else:
            entries = reg.history("beta")
            unreadable = [e for e in entries if e.action == "unreadable"]
            if damage in ("empty", "deleted"):
                assert entries == []
            elif damage == "truncated":  # the torn last line is ignored, the complete ones read
                assert entries and not unreadable
            else:
                assert len(unreadable) == 1 and "history.jsonl: line" in str(unreadable[0].error)
                assert len(entries) - 1 == (0 if damage == "garbage" else 3)
                code, out = cli(root, "history", "beta")
                assert code == 0 and "unreadable" in out
    assert snapshot(root) == before  # reading changed nothing, byte for byte
