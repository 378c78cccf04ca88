"""``tui-track check [STORE] [--repair] [--json]``: every kind of damage is reported with its path and reason;
``--repair`` fixes what is derived, removes leftovers of killed writers and never changes a source file."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import build_demo_store
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import tracker_core as tc
from tracker_core import index as run_index
from tracker_core.check import check_store
from tracker_core.jsonio import loads, temp_name
from tracker_core.registry import Registry
from tracker_core.storage.append import complete_end
from tui_track.cli import main

OLD = time.time() - 7200  # older than every leftover age


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo store with a registry, read once (history indexes built) and with summary caches."""
    root = tmp_path_factory.mktemp("check") / "store"
    store = build_demo_store(root)
    reg = Registry(store)
    for i in range(2):
        reg.register_object("churn", {"w": i}, metrics={"auc": 0.5 + i / 10})
    reg.promote("churn", 2, "production", reason="better")
    reg.set_alias("churn", "champion", 1)
    for run in store.list_runs():
        store.metric_histories(run.id)  # builds each run's .history index
    write_caches(root)
    return root


def write_caches(root: Path) -> None:
    """A real summary cache for each experiment, written by a real listing (copies change inodes: redo it)."""
    saved = run_index.CACHE_REWRITE_AFTER
    run_index.CACHE_REWRITE_AFTER = 1
    try:
        tc.Store(root).list_runs()
    finally:
        run_index.CACHE_REWRITE_AFTER = saved


@pytest.fixture
def store_root(pristine: Path, tmp_path: Path) -> Path:
    root = tmp_path / "store"
    shutil.copytree(pristine, root, symlinks=True)
    return root


def cli(*args: str) -> Result:
    result = CliRunner().invoke(main, ["check", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result


def run_dir(root: Path, name: str) -> Path:
    store = tc.Store(root)
    run = next(r for r in store.list_runs() if r.name == name)
    return store.artifact_root(run.id).parent


def exp_dir(root: Path, name: str = "churn_prediction") -> Path:
    return tc.Store(root).experiments_dir / tc.Store(root).get_experiment(name).id


def edit_json(path: Path, change: Callable[[dict], None]) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def old(path: Path) -> Path:
    os.utime(path, (OLD, OLD))
    return path


# ------------------------------------------------------------------ damage, each made on real files
def _truncate_run(root: Path) -> Path:
    p = run_dir(root, "gbm") / "run.json"
    p.write_bytes(p.read_bytes()[:40])
    return p


def _garbage_run(root: Path) -> Path:
    p = run_dir(root, "gbm") / "run.json"
    p.write_bytes(b"\x00\xffnot json\n")
    return p


def _wrong_type_run(root: Path) -> Path:
    p = run_dir(root, "gbm") / "run.json"
    edit_json(p, lambda d: d.update(start_time="abc"))
    return p


def _deleted_run_file(root: Path) -> Path:
    p = run_dir(root, "gbm") / "run.json"
    p.unlink()
    return p


def _unreadable_run_file(root: Path) -> Path:
    p = run_dir(root, "gbm") / "run.json"
    p.unlink()
    p.mkdir()  # root reads any file whatever its mode: a directory in its place fails for everyone (EISDIR)
    return p


def _offset_past_end(root: Path) -> Path:
    p = run_dir(root, "gbm") / "run.json"
    edit_json(p, lambda d: d.update(metrics_offset=10**9))
    return p


def _wrong_type_experiment(root: Path) -> Path:
    p = exp_dir(root) / "experiment.json"
    edit_json(p, lambda d: d.update(name=42))
    return p


def _garbage_metric_line(root: Path) -> Path:
    p = run_dir(root, "gbm") / "metrics.jsonl"
    with open(p, "ab") as fh:
        fh.write(b'{"k": "loss", "v": "abc", "s": 1, "t": 1.0}\nnot json\n')
    return p


def _torn_tail(root: Path) -> Path:
    p = run_dir(root, "gbm") / "metrics.jsonl"
    with open(p, "ab") as fh:
        fh.write(b'{"k":"loss","v":0.1,"s":9')
    return p


def _stray_creating_run(root: Path) -> Path:
    p = exp_dir(root) / "runs" / ".creating-fedcba9876543210fedcba9876543210"
    p.mkdir()
    (p / "run.json").write_text("{}")
    return old(p)


def _stray_creating_experiment(root: Path) -> Path:
    p = root / "experiments" / ".creating-0123456789abcdef0123456789abcdef"
    p.mkdir()
    return old(p)


def _stray_temp_file(root: Path) -> Path:
    p = run_dir(root, "logreg") / "artifacts" / temp_name()
    p.write_bytes(b"half a file")
    return old(p)


def _stray_staging(root: Path) -> Path:
    p = exp_dir(root) / "runs" / ".syncing-0123456789abcdef0123456789abcdef.123.abcdef"
    p.mkdir()
    return old(p)


def _damaged_index(root: Path) -> Path:
    p = run_dir(root, "gbm") / ".history"
    (p / "index.json").write_text("garbage")
    return p


def _stale_index(root: Path) -> Path:
    p = run_dir(root, "gbm") / ".history"
    edit_json(p / "index.json", lambda d: d.update(covered=d["covered"] + 10**6))
    return p


def _stale_cache(root: Path) -> Path:
    """An entry a reader would trust (its stamp matches run.json) that says another status."""
    write_caches(root)
    p = exp_dir(root) / ".summaries.jsonl"
    lines = p.read_bytes().splitlines(keepends=True)
    entry = loads(lines[1], raw=True)
    entry[5] = "killed" if entry[5] != "killed" else "failed"
    lines[1] = json.dumps(entry).encode() + b"\n"
    p.write_bytes(b"".join(lines))
    return p


def _garbage_cache(root: Path) -> Path:
    p = exp_dir(root) / ".summaries.jsonl"
    with open(p, "ab") as fh:
        fh.write(b"[1, 2, 3]\n")
    return p


def _journal_mismatch(root: Path) -> Path:
    p = root / "registry" / "models" / "churn" / "model.json"
    edit_json(p, lambda d: d.update(journal={"offset": 10**9, "lines": []}))
    return p


def _orphan_deleted_marker(root: Path) -> Path:
    p = exp_dir(root) / "deleted-runs" / "0123456789abcdef0123456789abcdef"
    p.parent.mkdir(exist_ok=True)
    p.touch()
    return old(p)


# name: (damage, kind, words of the reason, repairable)
DAMAGES: dict[str, tuple[Callable[[Path], Path], str, str, bool]] = {
    "run_truncated": (_truncate_run, "run", "invalid JSON", False),
    "run_garbage": (_garbage_run, "run", "invalid JSON", False),
    "run_wrong_type": (_wrong_type_run, "run", '"start_time" must be a time', False),
    "run_deleted": (_deleted_run_file, "run", "is missing", False),
    "run_unreadable": (_unreadable_run_file, "run", "cannot be read", False),
    "run_offset_past_end": (_offset_past_end, "run", '"metrics_offset" is 1000000000', False),
    "experiment_wrong_type": (_wrong_type_experiment, "experiment", '"name" must be a non-empty string', False),
    "metrics_bad_lines": (_garbage_metric_line, "metrics", "not a metric point", False),
    "metrics_torn_tail": (_torn_tail, "metrics", "torn last line", True),
    "creating_run": (_stray_creating_run, "leftover", "half-created run", True),
    "creating_experiment": (_stray_creating_experiment, "leftover", "half-created experiment", True),
    "temp_file": (_stray_temp_file, "leftover", "temp file", True),
    "staging_folder": (_stray_staging, "leftover", "killed import or sync", True),
    "index_damaged": (_damaged_index, "history-index", "index.json is unreadable", True),
    "index_stale": (_stale_index, "history-index", "but metrics.jsonl has", True),
    "cache_stale": (_stale_cache, "summary-cache", "disagree with their run.json", True),
    "cache_garbage": (_garbage_cache, "summary-cache", "not a summary entry", True),
    "registry_journal": (_journal_mismatch, "registry", "journal", True),
    "deleted_marker_orphan": (_orphan_deleted_marker, "deleted-marker", "does not exist", True),
}


def test_a_clean_store_reports_nothing(pristine: Path) -> None:
    result = cli(str(pristine))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: ") and "9 run(s)" in result.output
    report = check_store(pristine)
    assert report.ok and report.problems == [] and report.runs == 9 and report.experiments == 2


@pytest.mark.parametrize("name", DAMAGES)
def test_each_damage_is_reported_with_its_path_and_reason(store_root: Path, name: str) -> None:
    damage, kind, words, repairable = DAMAGES[name]
    item = damage(store_root).relative_to(store_root).as_posix()
    result = cli(str(store_root))
    assert result.exit_code == 1, result.output
    line = next((x for x in result.output.splitlines() if x.startswith(f"{item}: ")), None)
    assert line is not None, result.output
    assert words in line and line.endswith(f"[{kind}]"), line
    report = check_store(store_root)
    assert [(p.item, p.kind, p.repairable) for p in report.problems] == [(item, kind, repairable)], report.problems
    if repairable:
        assert "repairable with `tui-track check --repair`" in result.output


def _source_files(root: Path) -> dict[str, str]:
    """Hashes of every source file (derived files, locks and leftovers excluded)."""
    found = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        parts = rel.split("/")
        if path.is_dir() or any(
            p in (".history", ".summaries.jsonl") or p.startswith((".creating-", ".syncing-")) or p.endswith(".lock")
            for p in parts
        ):
            continue
        if path.name.endswith(".tmp") or "deleted-runs/0123456789abcdef" in rel or path.name == "model.json":
            continue
        found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _model_state(root: Path) -> dict:
    data = json.loads((root / "registry" / "models" / "churn" / "model.json").read_text())
    data.pop("journal", None)
    return data


def test_repair_fixes_every_repairable_damage_and_touches_no_source_file(store_root: Path) -> None:
    metrics = run_dir(store_root, "gbm") / "metrics.jsonl"
    complete = metrics.read_bytes()
    before, state = _source_files(store_root), _model_state(store_root)
    damaged = [DAMAGES[n][0](store_root) for n, d in DAMAGES.items() if d[3] and n != "index_stale"]
    assert len(damaged) == 10
    found = check_store(store_root)
    assert len(found.problems) == 10 and all(p.repairable for p in found.problems)

    result = cli(str(store_root), "--repair")
    assert result.exit_code == 0, result.output
    assert result.output.count("repaired ") >= 9 and result.output.splitlines()[-1].startswith("ok: ")
    again = cli(str(store_root))
    assert again.exit_code == 0, again.output
    assert _source_files(store_root) == before
    assert metrics.read_bytes() == complete  # only the torn line went: every complete line stays
    assert _model_state(store_root) == state  # the journal was derived; stages and aliases stay
    for path in damaged:
        if path.name.startswith((".creating-", ".syncing-", "0123456789abcdef")) or path.name.endswith(".tmp"):
            assert not path.exists(), path
    store = tc.Store(store_root)
    assert len(store.list_runs()) == 9
    gbm = next(r for r in store.list_runs() if r.name == "gbm")
    assert [p.step for p in store.metric_history(gbm.id, "loss")] == list(range(20))


def test_repair_leaves_damaged_source_files_alone(store_root: Path) -> None:
    _garbage_metric_line(store_root)
    _garbage_run(store_root)
    _wrong_type_experiment(store_root)
    before = _source_files(store_root)
    result = cli(str(store_root), "--repair")
    assert result.exit_code == 1, result.output
    assert "\nrepaired " not in result.output and "3 problem(s)" in result.output.splitlines()[-1]
    assert _source_files(store_root) == before


def test_stale_index_is_rebuilt(store_root: Path) -> None:
    index_dir = _stale_index(store_root)
    report = check_store(store_root, repair=True)
    assert report.ok and [(r.item, r.kind) for r in report.repairs] == [
        (index_dir.relative_to(store_root).as_posix(), "history-index")
    ]


def test_writers_in_progress_are_not_leftovers(store_root: Path) -> None:
    young = exp_dir(store_root) / "runs" / ".creating-0123456789abcdef0123456789abcdef"
    young.mkdir()
    (run_dir(store_root, "gbm") / temp_name()).write_bytes(b"being written")
    assert cli(str(store_root)).exit_code == 0
    assert cli(str(store_root), "--repair").exit_code == 0
    assert young.is_dir()


def test_json_report(store_root: Path) -> None:
    _torn_tail(store_root)
    item = _wrong_type_run(store_root).relative_to(store_root).as_posix()
    result = cli(str(store_root), "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert set(data) == {"store", "ok", "experiments", "runs", "problems", "repairs"}
    assert data["ok"] is False and data["runs"] == 9 and data["repairs"] == []
    assert {"item": item, "kind": "run", "repairable": False} == {
        k: v for k, v in data["problems"][0].items() if k != "reason"
    }
    assert "start_time" in data["problems"][0]["reason"]
    repaired = json.loads(cli(str(store_root), "--json", "--repair").stdout)
    assert [r["kind"] for r in repaired["repairs"]] == ["metrics"] and len(repaired["problems"]) == 1
    clean = cli(str(store_root), "--json")
    assert json.loads(clean.stdout)["problems"][0]["item"] == item


def test_store_option_missing_store_and_damaged_marker(store_root: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--store", str(store_root), "check"])
    assert result.exit_code == 0, result.output
    missing = cli(str(tmp_path / "nowhere"))
    assert missing.exit_code == 1 and missing.output.count("\n") == 1
    assert "no tui-track store at" in missing.output and not (tmp_path / "nowhere").exists()
    (store_root / "tui-track-store.json").write_text("garbage")
    damaged = cli(str(store_root))
    assert damaged.exit_code == 1 and damaged.output.startswith("tui-track-store.json: ")
    assert "[marker]" in damaged.output


def test_torn_tail_of_a_live_writer_is_not_reported(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "store")
    with store.start_run("exp", "live") as run:
        run.log_metric("loss", 1.0, step=0)
        run.flush()
        path = store.artifact_root(run.id).parent / "metrics.jsonl"
        with open(path, "ab") as fh:
            fh.write(b'{"k":"loss"')  # a batch being appended right now
        report = check_store(store, repair=True)
        assert report.ok and report.repairs == []
        path.write_bytes(path.read_bytes()[: complete_end(path.read_bytes())])


# ------------------------------------------------ any damage: never a crash, never a source file changed
_TARGETS = ("run.json", "experiment.json", "metrics.jsonl", ".summaries.jsonl", "index.json", "0.bin", "model.json",
            "version.json", "history.jsonl")  # fmt: skip


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    target=st.sampled_from(_TARGETS),
    which=st.integers(0, 50),
    how=st.sampled_from(["truncate", "overwrite", "append"]),
    where=st.floats(0.0, 1.0),
    junk=st.binary(min_size=1, max_size=12),
)
# found by CI: a history cut inside its only line left its index behind (checked before the cut): --repair then
# had to be run twice
@example(target="metrics.jsonl", which=13, how="truncate", where=0.5, junk=b"\x00")
def test_any_damage_is_checked_without_a_crash_and_repair_changes_no_source_file(
    pristine: Path, target: str, which: int, how: str, where: float, junk: bytes
) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "store"
        shutil.copytree(pristine, root, symlinks=True)
        write_caches(root)
        files = sorted(p for p in root.rglob(target) if p.is_file())
        path = files[which % len(files)]
        data = path.read_bytes()
        at = int(len(data) * where)
        damaged = {"truncate": data[:at], "overwrite": data[:at] + junk + data[at + len(junk) :], "append": data + junk}
        path.write_bytes(damaged[how])
        before, kept = _source_files(root), path.read_bytes()

        result = cli(str(root), "--json")
        assert result.exit_code in (0, 1)
        found = json.loads(result.stdout)
        assert found["ok"] == (result.exit_code == 0)
        report = check_store(root, repair=True)
        assert not [p for p in report.problems if p.repairable], report.problems
        assert check_store(root).problems == report.problems
        after = _source_files(root)
        rel = path.relative_to(root).as_posix()
        if target == "metrics.jsonl":  # only a torn last line may go
            assert path.read_bytes() in (kept, kept[: complete_end(kept)])
            after[rel] = before[rel]
        elif target == "history.jsonl":  # the registry cuts a torn line and appends what its journal recorded
            assert path.read_bytes().startswith(kept[: complete_end(kept)])
            after[rel] = before[rel]
        assert after == before
