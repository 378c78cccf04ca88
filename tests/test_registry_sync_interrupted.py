"""A sync interrupted at any write (an injected exception, or SIGKILL) and rerun ends exactly as an
uninterrupted one: the same runs, registry stages, aliases and history; and journals that disagree
with the history are detected and repaired from it, never trusted over it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import tracker_core as tc
from tracker_core.registry import Registry, check
from tracker_core.sync import sync

REPO = Path(__file__).resolve().parents[1]
WRITES = [(os, "replace"), (os, "rename"), (os, "write"), (os, "truncate"), (os, "link"), (os, "mkdir"), (os, "unlink")]
WRITES_EXTRA = [(shutil, "copyfileobj")]


class Injected(BaseException):
    """Raised before the k-th write (a BaseException, so no ``except Exception`` hides it)."""


@contextmanager
def before_write(k: int, action: Callable[[], None]) -> Iterator[Callable[[], int]]:
    """Call ``action`` just before the k-th file-system write of the block; yields the write counter."""
    count = 0
    saved = [(mod, name, getattr(mod, name)) for mod, name in WRITES + WRITES_EXTRA]

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        def inner(*args: Any, **kwargs: Any) -> Any:
            nonlocal count
            count += 1
            if count == k:
                action()
            return fn(*args, **kwargs)

        return inner

    for mod, name, fn in saved:
        setattr(mod, name, wrap(fn))
    try:
        yield lambda: count
    finally:
        for mod, name, fn in saved:
            setattr(mod, name, fn)


def build(root: Path) -> tuple[Path, Path]:
    """A source box (runs and a registry) and a destination that has a registry of its own."""
    box, dest = tc.Store(root / "box"), tc.Store(root / "dest")
    for store in (box, dest):
        with store.start_run("churn", f"run-{store.root.name}") as run:
            run.log_params({"depth": 3})
            run.log_metric("loss", 0.5, step=0)
            run.log_text("hello", "notes.txt")
    src, dst = Registry(box), Registry(dest)
    dst.register_object("churn", {"m": "dest-1"}, stage="production")
    dst.set_alias("churn", "champion", 1)
    time.sleep(0.002)
    for i in range(3):
        src.register_object("churn", {"m": f"box-{i}"}, tags={"i": str(i)})
    src.promote("churn", 2, "production", reason="best")
    src.promote("churn", 3, "staging")
    src.set_alias("churn", "champion", 2)
    src.set_alias("churn", "challenger", 3)
    src.register_object("fraud", {"m": "f"}, description="fraud model")
    src.delete_version("churn", 1, reason="bad")
    return box.root, dest.root


def seen(root: Path) -> dict[str, Any]:
    """What a user sees of a store: runs with files, models, versions, stages, aliases, history."""
    store = tc.Store(root, create=False)
    reg = Registry(store)
    runs = {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted((root / "experiments").rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    }  # dot folders (a killed run copy's staging) are invisible; sync removes them once old
    models = {}
    for m in reg.list_models(include_deleted=True):
        record = m.to_dict()
        record.pop("updated")
        versions = [
            {**v.to_dict(), "path": str(v.path.relative_to(root))}
            for v in reg.list_versions(m.name, include_deleted=True)
        ]
        history = [
            {**e.to_dict(), "time": None if (e.reason or "").startswith("sync:") else e.time}
            for e in reg.history(m.name)
        ]
        models[m.name] = {"model": record, "versions": versions, "history": history}
    leftovers = sorted(str(p.relative_to(root)) for p in root.rglob(".*") if p.is_dir() and "incoming" in p.name)
    return {"runs": runs, "models": models, "leftovers": leftovers}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, Any], int]:
    base = tmp_path_factory.mktemp("sync")
    box, dest = build(base)
    reference = base / "reference"
    shutil.copytree(dest, reference)
    with before_write(0, lambda: None) as counted:
        sync(box, reference)
    writes = counted()
    expected = seen(reference)
    assert expected["models"]["churn"]["model"]["aliases"] == {"champion": 3, "challenger": 4}
    assert sync(box, reference).versions_added == 0  # a second sync changes nothing
    assert seen(reference) == expected
    return box, dest, expected, writes


def test_the_reference_sync_merged_stages_aliases_and_history(prepared: tuple[Path, Path, dict[str, Any], int]) -> None:
    _, _, expected, writes = prepared
    churn = expected["models"]["churn"]
    assert {v["version"]: (v["stage"], v["deleted"]) for v in churn["versions"]} == {
        1: ("archived", False),  # the destination's own v1, archived: the box promoted its v2 later
        2: ("development", True),
        3: ("production", False),
        4: ("staging", False),
    }
    assert [h["action"] for h in churn["history"]].count("register") == 4
    assert writes > 30


def test_an_exception_before_each_write_then_a_rerun(
    prepared: tuple[Path, Path, dict[str, Any], int], tmp_path: Path
) -> None:
    box, dest, expected, writes = prepared

    def boom() -> None:
        raise Injected

    for k in range(1, writes + 1):
        target = tmp_path / f"k{k}"
        shutil.copytree(dest, target)
        with pytest.raises(Injected), before_write(k, boom):
            sync(box, target)
        sync(box, target)
        assert seen(target) == expected, f"interrupted before write {k} of {writes}"
        assert [p for p in check(tc.Store(target)) if not p.repairable] == []
        shutil.rmtree(target)


KILLED_SYNC = """
import os, signal, sys
sys.path.insert(0, {tests!r})
from test_registry_sync_interrupted import before_write
from tracker_core.sync import sync
with before_write(int(sys.argv[3]), lambda: os.kill(os.getpid(), signal.SIGKILL)):
    sync(sys.argv[1], sys.argv[2])
"""


@pytest.mark.slow
def test_sigkill_at_many_points_then_a_rerun(prepared: tuple[Path, Path, dict[str, Any], int], tmp_path: Path) -> None:
    box, dest, expected, writes = prepared
    script = KILLED_SYNC.format(tests=str(REPO / "tests"))
    points = sorted({*range(1, writes + 1, max(1, writes // 15)), writes - 2, writes - 1, writes})
    for k in points:
        target = tmp_path / f"k{k}"
        shutil.copytree(dest, target)
        done = subprocess.run([sys.executable, "-c", script, str(box), str(target), str(k)], cwd=REPO)
        assert done.returncode == -signal.SIGKILL, f"the sync was not killed at write {k}"
        sync(box, target)
        assert seen(target) == expected, f"killed at write {k} of {writes}"
        shutil.rmtree(target)


# ------------------------------------------------------------------ journals
@pytest.fixture
def reg(tmp_path: Path) -> Registry:
    reg = Registry(tc.Store(tmp_path / "store"))
    for i in range(3):
        reg.register_object("churn", {"w": i})
    reg.promote("churn", 2, "production")
    return reg


def _state_path(reg: Registry) -> Path:
    return reg.models_dir / "churn" / "model.json"


def _edit_journal(reg: Registry, change: Callable[[dict[str, Any]], None]) -> None:
    state = json.loads(_state_path(reg).read_text())
    change(state["journal"])
    _state_path(reg).write_text(json.dumps(state))


@pytest.mark.parametrize(
    "change",
    [
        lambda j: j.update(offset=j["offset"] - 40),  # inside an earlier line
        lambda j: j.update(offset=0),  # the start: lines that are not the file's first
        lambda j: j.update(lines=[line.replace('"stage"', '"tag"') for line in j["lines"]]),  # other lines
    ],
)
def test_a_journal_that_disagrees_with_the_history_never_drops_audit_lines(
    reg: Registry, change: Callable[[dict[str, Any]], None]
) -> None:
    before = [e.to_dict() for e in reg.history("churn")]
    history_bytes = (reg.models_dir / "churn" / "history.jsonl").read_bytes()
    _edit_journal(reg, change)
    assert [e.to_dict() for e in reg.history("churn")] == before  # readers add nothing from it
    problems = check(reg.store)
    assert [(p.reason, p.repairable, p.repaired) for p in problems] == [
        ("the journal does not match history.jsonl: dropped, the history is kept", True, False)
    ]
    reg.set_alias("churn", "champion", 3)
    after = reg.history("churn")
    assert [e.to_dict() for e in after[:-1]] == before and after[-1].action == "alias_set"
    assert (reg.models_dir / "churn" / "history.jsonl").read_bytes().startswith(history_bytes)
    assert check(reg.store) == []


def test_check_repairs_a_stale_journal_from_the_history(reg: Registry) -> None:
    _edit_journal(reg, lambda j: j.update(offset=0))
    before = [e.to_dict() for e in reg.history("churn")]
    repaired = check(reg.store, repair=True)
    assert [(p.repairable, p.repaired) for p in repaired] == [(True, True)]
    assert check(reg.store) == []
    assert [e.to_dict() for e in reg.history("churn")] == before


def test_check_finishes_a_change_killed_before_its_history_append(reg: Registry) -> None:
    path = reg.models_dir / "churn" / "history.jsonl"
    full = [e.to_dict() for e in reg.history("churn")]
    journal = json.loads(_state_path(reg).read_text())["journal"]
    os.truncate(path, journal["offset"] + 10)  # the last batch's append was cut after 10 bytes
    assert [e.to_dict() for e in reg.history("churn")] == full  # readers add the journaled lines
    problems = check(reg.store)
    assert [p.reason for p in problems] == ["lines journaled by a killed change are missing: appended"]
    assert [p.repaired for p in check(reg.store, repair=True)] == [True]
    assert check(reg.store) == []
    assert len(path.read_text().splitlines()) == len(full)
    assert [e.to_dict() for e in reg.history("churn")] == full


def test_check_records_a_version_whose_registration_was_killed(reg: Registry) -> None:
    state = json.loads(_state_path(reg).read_text())
    del state["versions"]["3"]
    state["journal"] = None
    _state_path(reg).write_text(json.dumps(state))
    (reg.models_dir / "churn" / "versions" / ".incoming-sync-deadbeef").mkdir()
    reasons = sorted(p.reason for p in check(reg.store))
    assert reasons == [
        "a copy left by a killed registration or merge: removed",
        "registered but never recorded: recorded",
    ]
    assert all(p.repaired for p in check(reg.store, repair=True))
    assert check(reg.store) == []
    assert [e.action for e in reg.history("churn")][-1] == "register"
    assert not (reg.models_dir / "churn" / "versions" / ".incoming-sync-deadbeef").exists()


def test_check_reports_damage_it_does_not_repair(reg: Registry) -> None:
    (reg.models_dir / "churn" / "versions" / "1" / "version.json").write_text("{}")
    with open(reg.models_dir / "churn" / "history.jsonl", "a") as fh:
        fh.write("garbage\n")
    problems = check(reg.store, repair=True)
    assert sorted((p.path.name, p.repairable, p.repaired) for p in problems) == [
        ("history.jsonl", False, False),
        ("version.json", False, False),
    ]
    assert (reg.models_dir / "churn" / "versions" / "1" / "version.json").read_text() == "{}"
