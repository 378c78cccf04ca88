"""The model registry as a user drives it: register from runs, promote, alias, delete, load, audit."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

import tracker_core as tc
from tracker_core.environment import hostname, username
from tracker_core.model_io import sha256_file
from tracker_core.registry import STAGES, ModelVersion, Registry, parse_model_uri
from tracker_core.registry.uri import ModelRef


def log_run(store: tc.Store, name: str, model: Any, acc: float, **params: Any) -> tc.Run:
    with store.start_run("churn", name) as run:
        run.log_params(params)
        run.log_metric("accuracy", acc - 0.1, step=0)
        run.log_metric("accuracy", acc, step=1)
        run.log_model(model, "model")
    return run


@pytest.fixture
def store(tmp_path: Path) -> tc.Store:
    return tc.Store(tmp_path / "store")


@pytest.fixture
def reg(store: tc.Store) -> Registry:
    return Registry(store)


@pytest.fixture
def three(store: tc.Store, reg: Registry) -> list[ModelVersion]:
    """Three versions of ``churn`` registered from three runs."""
    out = []
    for i in range(3):
        run = log_run(store, f"r{i}", {"weights": [i, i + 1]}, 0.8 + i / 100, depth=i + 2)
        out.append(reg.register("churn", run.id))
    return out


def stages(reg: Registry, name: str = "churn") -> dict[int, str]:
    return {v.version: v.stage for v in reg.list_versions(name, include_deleted=True)}


# ----------------------------------------------------------------- registering
def test_register_copies_the_run_model_and_records_where_it_came_from(store: tc.Store, reg: Registry) -> None:
    run = log_run(store, "rf", {"kind": "forest", "trees": 50}, 0.91, n_estimators=50, max_depth=5)
    v = reg.register("churn", run.id[:7], description="first try", tags={"team": "growth"})

    assert (v.model, v.version, v.stage) == ("churn", 1, "development")
    assert v.source_run_id == run.id and v.source_artifact == "model"
    assert v.metrics == {"accuracy": 0.91}  # the last value, not the first
    assert v.params == {"n_estimators": 50, "max_depth": 5}
    assert (v.registered_by, v.host) == (username(), hostname())
    assert v.description == "first try" and v.tags == {"team": "growth"}
    logged = store.artifact_path(run.id, "model") / "model.joblib"
    assert v.path.is_file() and v.path != logged and reg.root in v.path.parents
    assert v.sha256 == sha256_file(logged) == sha256_file(v.path)
    assert v.size == logged.stat().st_size
    assert reg.register("churn", run.id).version == 2
    assert reg.load("churn", version=1) == {"kind": "forest", "trees": 50}


def test_register_refuses_missing_runs_and_models(store: tc.Store, reg: Registry) -> None:
    with store.start_run("churn", "no_model") as run:
        run.log_text("hello", "notes.txt")
        run.log_model({"a": 1}, "models/small")
    with pytest.raises(tc.NotFoundError, match="no run"):
        reg.register("churn", "feedfacefeedface")
    with pytest.raises(tc.NotFoundError, match=r"no logged model 'model'; models logged on it: models/small"):
        reg.register("churn", run.id)
    assert reg.register("churn", run.id, "models/small").version == 1


def test_register_refuses_a_logged_model_whose_file_changed(store: tc.Store, reg: Registry) -> None:
    run = log_run(store, "rf", {"w": 1}, 0.9)
    (store.artifact_path(run.id, "model") / "model.joblib").write_bytes(b"tampered")
    with pytest.raises(tc.CorruptFileError, match="sha256 differs"):
        reg.register("churn", run.id)
    assert reg.list_models() == []
    assert not list((reg.models_dir / "churn" / "versions").iterdir())  # the partial copy is gone


def test_register_file_and_register_object(tmp_path: Path, reg: Registry) -> None:
    import joblib

    path = tmp_path / "m.joblib"
    joblib.dump({"w": 3}, path)
    v1 = reg.register_file("imported", path, metrics={"auc": 0.7}, params={"C": 1}, stage="production")
    v2 = reg.register_object("imported", {"w": 4}, metrics={"auc": 0.8}, stage="production", source_run_id="abc")
    assert (v1.metrics, v1.params, v1.source_run_id) == ({"auc": 0.7}, {"C": 1}, None)
    assert v2.source_run_id == "abc" and v2.model_class == "builtins.dict"
    assert stages(reg, "imported") == {1: "archived", 2: "production"}
    assert reg.load("models:/imported/production") == {"w": 4}
    with pytest.raises(tc.NotFoundError, match="no such file"):
        reg.register_file("imported", tmp_path / "missing.joblib")


@pytest.mark.parametrize("name", ["", "a/b", "../x", ".hidden", "x" * 129, "sp ace"])
def test_model_names_are_checked(reg: Registry, name: str) -> None:
    with pytest.raises(tc.ValidationError, match="invalid model name"):
        reg.register_object(name, {"w": 1})


# ---------------------------------------------------------------------- stages
def test_promote_to_production_archives_the_previous_one(reg: Registry, three: list[ModelVersion]) -> None:
    reg.promote("churn", 1, "production")
    entries = reg.promote("churn", 2, "Production", reason="better AUC")
    assert stages(reg) == {1: "archived", 2: "production", 3: "development"}
    assert [(e.version, e.from_value, e.to_value) for e in entries] == [
        (1, "production", "archived"),
        (2, "development", "production"),
    ]
    assert entries[1].reason == "better AUC"
    assert reg.get_model("churn").production_version == 2


def test_staging_keeps_others_unless_asked(reg: Registry, three: list[ModelVersion]) -> None:
    reg.promote("churn", 1, "staging")
    reg.promote("churn", 2, "staging")
    assert stages(reg) == {1: "staging", 2: "staging", 3: "development"}
    assert reg.get_model("churn").staging_versions == [1, 2]
    reg.promote("churn", 3, "staging", archive_existing=True)
    assert stages(reg) == {1: "archived", 2: "archived", 3: "staging"}


def test_promote_to_the_same_stage_changes_and_records_nothing(reg: Registry, three: list[ModelVersion]) -> None:
    reg.promote("churn", 1, "staging")
    before = len(reg.history("churn"))
    assert reg.promote("churn", 1, "staging") == []
    assert len(reg.history("churn")) == before


def test_promote_errors_list_the_valid_choices(reg: Registry, three: list[ModelVersion]) -> None:
    with pytest.raises(tc.ValidationError, match="stages: development, staging, production, archived"):
        reg.promote("churn", 1, "prod-ish")
    with pytest.raises(tc.NotFoundError, match="has no version 9; versions: 1, 2, 3"):
        reg.promote("churn", 9, "staging")
    with pytest.raises(tc.NotFoundError, match="no model named 'chrun' in the registry; models: churn"):
        reg.promote("chrun", 1, "staging")
    with pytest.raises(tc.ValidationError, match="always archives"):
        reg.promote("churn", 1, "production", archive_existing=False)
    with pytest.raises(tc.ValidationError, match="invalid version"):
        reg.promote("churn", "latest", "staging")
    assert stages(reg) == {1: "development", 2: "development", 3: "development"}


def test_stage_constants() -> None:
    assert STAGES == ("development", "staging", "production", "archived")


# --------------------------------------------------------------------- aliases
def test_aliases_set_move_and_delete(reg: Registry, three: list[ModelVersion]) -> None:
    e1 = reg.set_alias("churn", "champion", 1)
    e2 = reg.set_alias("churn", "champion", "v3", reason="retrained")
    reg.set_alias("churn", "challenger", 2)
    assert (e1.from_value, e1.to_value) == (None, "1")
    assert (e2.from_value, e2.to_value, e2.reason, e2.key) == ("1", "3", "retrained", "champion")
    assert reg.get_model("churn").aliases == {"challenger": 2, "champion": 3}
    assert reg.get_version("churn", 3).aliases == ["champion"]
    assert reg.get_version("churn", 1).aliases == []

    unchanged = reg.set_alias("churn", "champion", 3)
    assert unchanged.from_value == unchanged.to_value == "3"
    assert [e.action for e in reg.history("churn")].count("alias_set") == 3

    gone = reg.delete_alias("churn", "challenger")
    assert (gone.action, gone.version, gone.key) == ("alias_delete", 2, "challenger")
    assert reg.get_model("churn").aliases == {"champion": 3}
    with pytest.raises(tc.NotFoundError, match=r"no alias 'challenger'; aliases: champion \(v3\)"):
        reg.delete_alias("churn", "challenger")


@pytest.mark.parametrize("alias", ["", "has space", "a/b", "123", "x" * 65])
def test_invalid_aliases_are_refused(reg: Registry, three: list[ModelVersion], alias: str) -> None:
    with pytest.raises(tc.ValidationError, match="invalid alias"):
        reg.set_alias("churn", alias, 1)


# ------------------------------------------------------------ soft deletion
def test_delete_version_hides_it_archives_it_and_drops_its_aliases(reg: Registry, three: list[ModelVersion]) -> None:
    reg.promote("churn", 2, "production")
    reg.set_alias("churn", "champion", 2)
    entries = reg.delete_version("churn", 2, reason="leaks labels")
    assert [e.action for e in entries] == ["stage", "alias_delete", "delete"]
    assert [v.version for v in reg.list_versions("churn")] == [1, 3]
    shown = reg.get_version("churn", 2)
    assert shown.deleted and shown.stage == "archived" and shown.path.is_file()
    model = reg.get_model("churn")
    assert (model.production_version, model.aliases, model.version_count) == (None, {}, 2)
    with pytest.raises(tc.ConflictError, match="deleted; restore it first"):
        reg.promote("churn", 2, "production")
    with pytest.raises(tc.ConflictError):
        reg.load("churn", version=2)
    assert reg.delete_version("churn", 2) == []

    reg.restore_version("churn", 2)
    assert [v.version for v in reg.list_versions("churn")] == [1, 2, 3]
    assert reg.load("models:/churn/2") == {"weights": [1, 2]}


def test_latest_skips_deleted_versions(reg: Registry, three: list[ModelVersion]) -> None:
    reg.delete_version("churn", 3)
    assert reg.resolve("models:/churn/latest").version == 2
    assert reg.get_model("churn").latest_version == 2
    assert reg.register_object("churn", {"w": 9}).version == 4  # numbers are never reused


def test_delete_and_restore_model(reg: Registry, three: list[ModelVersion]) -> None:
    reg.delete_model("churn", reason="replaced")
    assert reg.list_models() == []
    assert [m.name for m in reg.list_models(include_deleted=True)] == ["churn"]
    reg.restore_model("churn")
    assert [m.name for m in reg.list_models()] == ["churn"]


# ------------------------------------------------------ descriptions and tags
def test_descriptions_and_tags(reg: Registry, three: list[ModelVersion]) -> None:
    reg.set_model_description("churn", "predicts churn")
    reg.set_model_tag("churn", "owner", "ana")
    reg.set_version_description("churn", 2, "gbm, 100 trees")
    reg.set_version_tag("churn", 2, "validated", True)
    model, v2 = reg.get_model("churn"), reg.get_version("churn", 2)
    assert (model.description, model.tags) == ("predicts churn", {"owner": "ana"})
    assert (v2.description, v2.tags) == ("gbm, 100 trees", {"validated": True})
    assert [(e.action, e.key, e.to_value) for e in reg.history("churn")[-4:]] == [
        ("description", None, "predicts churn"),
        ("tag", "owner", "ana"),
        ("description", None, "gbm, 100 trees"),
        ("tag", "validated", "true"),
    ]
    with pytest.raises(tc.ValidationError):
        reg.set_model_tag("churn", "../x", 1)


# --------------------------------------------------------------------- history
def test_history_records_every_change_with_who_where_and_why(reg: Registry, three: list[ModelVersion]) -> None:
    reg.promote("churn", 1, "staging", reason="looks good")
    reg.promote("churn", 1, "production")
    reg.set_alias("churn", "champion", 1)
    reg.delete_version("churn", 3)
    hist = reg.history("churn")
    assert [(e.action, e.version) for e in hist] == [
        ("register", 1),
        ("register", 2),
        ("register", 3),
        ("stage", 1),
        ("stage", 1),
        ("alias_set", 1),
        ("delete", 3),
    ]
    assert hist[0].from_value == three[0].source_run_id and hist[0].to_value == "development"
    assert hist[3].reason == "looks good"
    assert all(e.user == username() and e.host == hostname() for e in hist)
    assert [e.time for e in hist] == sorted(e.time for e in hist)
    assert [e.describe() for e in hist[3:6]] == [
        "v1 development -> staging",
        "v1 staging -> production",
        "alias champion -> v1",
    ]
    lines = (reg.models_dir / "churn" / "history.jsonl").read_text().splitlines()
    assert len(lines) == len(hist) and json.loads(lines[3])["to"] == "staging"


def test_history_of_an_unknown_model(reg: Registry) -> None:
    with pytest.raises(tc.NotFoundError, match="no model named 'nope'"):
        reg.history("nope")


# ------------------------------------------------------- resolving and loading
def test_resolve_by_version_stage_alias_and_uri(reg: Registry, three: list[ModelVersion]) -> None:
    reg.promote("churn", 2, "production")
    reg.promote("churn", 1, "staging")
    reg.set_alias("churn", "champion", 3)
    cases = {
        "models:/churn/1": 1,
        "models:/churn/production": 2,
        "models:/churn/Staging": 1,
        "models:/churn/latest": 3,
        "models:/churn": 3,
        "models:/churn@champion": 3,
    }
    assert {uri: reg.resolve(uri).version for uri in cases} == cases
    assert reg.resolve("churn", version=1).version == 1
    assert reg.resolve("churn", stage="production").version == 2
    assert reg.resolve("churn", alias="champion").version == 3
    assert reg.resolve("churn").version == 3
    assert reg.resolve("churn").uri == "models:/churn/3"
    assert reg.load("models:/churn@champion") == {"weights": [2, 3]}


def test_resolve_errors(reg: Registry, three: list[ModelVersion]) -> None:
    with pytest.raises(tc.NotFoundError, match="no version in production; versions: v1 development"):
        reg.resolve("churn", stage="production")
    with pytest.raises(tc.NotFoundError, match="no alias 'gold'; aliases: none"):
        reg.resolve("models:/churn@gold")
    with pytest.raises(tc.ValidationError, match="at most one"):
        reg.resolve("churn", version=1, stage="staging")
    with pytest.raises(tc.ValidationError, match="not both"):
        reg.resolve("models:/churn/1", stage="staging")


def test_parse_model_uri() -> None:
    assert parse_model_uri("models:/churn/3") == ModelRef("churn", version=3)
    assert parse_model_uri("models:/churn/PRODUCTION") == ModelRef("churn", stage="production")
    assert parse_model_uri("models:/churn/latest") == ModelRef("churn")
    assert parse_model_uri("models:/churn@champion") == ModelRef("churn", alias="champion")
    for bad in ("churn/3", "models:/churn/gold", "models:/@x", "models:/a b/1"):
        with pytest.raises(tc.ValidationError, match="models:/<name>@<alias>"):
            parse_model_uri(bad)


def test_load_refuses_a_changed_file(reg: Registry, three: list[ModelVersion]) -> None:
    path = reg.get_version("churn", 1).path
    path.write_bytes(path.read_bytes() + b"\0")
    with pytest.raises(tc.CorruptFileError, match="changed after registration") as info:
        reg.load("churn", version=1)
    assert str(path) in str(info.value)
    path.unlink()
    with pytest.raises(tc.CorruptFileError, match="missing"):
        reg.load("churn", version=1)
    assert reg.load("churn", version=2) == {"weights": [1, 2]}


def test_listing_and_showing_never_unpickle(
    reg: Registry, three: list[ModelVersion], monkeypatch: pytest.MonkeyPatch
) -> None:
    import pickle

    import joblib

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("unpickled while only reading JSON")

    monkeypatch.setattr(joblib, "load", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    assert reg.list_models()[0].version_count == 3
    assert len(reg.list_versions("churn")) == 3
    assert reg.get_version("churn", 2).metrics == {"accuracy": 0.81}
    assert reg.resolve("models:/churn/latest").version == 3
    assert len(reg.history("churn")) == 3
    with pytest.raises(AssertionError, match="unpickled"):
        reg.load("churn")  # the patch is live: loading does unpickle


# ------------------------------------------------------------------ damage
def test_corrupt_model_file_is_named_and_other_models_stay_usable(reg: Registry, three: list[ModelVersion]) -> None:
    reg.register_object("other", {"w": 1})
    state = reg.models_dir / "churn" / "model.json"
    damaged = state.read_bytes()[:40]
    state.write_bytes(damaged)  # truncated by something outside our control

    listed = {m.name: m for m in reg.list_models()}
    assert str(state) in (listed["churn"].error or "")
    assert listed["other"].error is None and listed["other"].latest_version == 1
    for call in (
        lambda: reg.get_model("churn"),
        lambda: reg.list_versions("churn"),
        lambda: reg.promote("churn", 1, "staging"),
        lambda: reg.register_object("churn", {"w": 2}),
        lambda: reg.load("churn"),
    ):
        with pytest.raises(tc.CorruptFileError, match=re.escape(str(state))):
            call()
    assert state.read_bytes() == damaged  # refused changes did not overwrite it
    assert len(reg.history("churn")) == 3  # the audit trail still reads
    reg.promote("other", 1, "production")
    assert reg.load("models:/other/production") == {"w": 1}


def test_corrupt_version_file(reg: Registry, three: list[ModelVersion]) -> None:
    record = reg.models_dir / "churn" / "versions" / "2" / "version.json"
    record.write_text("{not json")
    versions = reg.list_versions("churn")
    assert [v.error is None for v in versions] == [True, False, True]
    assert str(record) in (versions[1].error or "")
    with pytest.raises(tc.CorruptFileError, match=r"version\.json"):
        reg.get_version("churn", 2)
    assert reg.load("churn", version=3) == {"weights": [2, 3]}


def test_torn_history_line_is_ignored_and_cut_before_the_next_append(reg: Registry, three: list[ModelVersion]) -> None:
    path = reg.models_dir / "churn" / "history.jsonl"
    with open(path, "ab") as fh:
        fh.write(b'{"time": 1, "user": "x", "act')  # a writer killed mid-append
    assert len(reg.history("churn")) == 3
    reg.promote("churn", 1, "staging")
    assert [e.action for e in reg.history("churn")] == ["register"] * 3 + ["stage"]
    assert all(json.loads(line) for line in path.read_text().splitlines())


def test_a_damaged_complete_history_line_is_reported(reg: Registry, three: list[ModelVersion]) -> None:
    path = reg.models_dir / "churn" / "history.jsonl"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], "garbage", lines[2]]) + "\n")
    entries = reg.history("churn")
    assert [e.action for e in entries] == ["register", "unreadable", "register"]
    assert entries[1].error is not None and "line 2 is not a history entry (invalid JSON" in entries[1].error
    assert entries[1].describe().startswith("unreadable: ")


def test_a_registration_killed_before_recording_shows_and_gets_its_history(reg: Registry) -> None:
    """The version directory was renamed into place, then the process died before model.json and history."""
    reg.register_object("churn", {"w": 1})
    state_path, history_path = reg.models_dir / "churn" / "model.json", reg.models_dir / "churn" / "history.jsonl"
    state_before, history_before = state_path.read_bytes(), history_path.read_bytes()
    v2 = reg.register_object("churn", {"w": 2}, stage="production")
    state_path.write_bytes(state_before)
    history_path.write_bytes(history_before)

    assert stages(reg) == {1: "development", 2: "development"}
    assert [e.version for e in reg.history("churn")] == [1]
    reg.promote("churn", 1, "staging")
    hist = reg.history("churn")
    assert [(e.action, e.version, e.to_value) for e in hist] == [
        ("register", 1, "development"),
        ("register", 2, "development"),
        ("stage", 1, "staging"),
    ]
    assert (hist[1].time, hist[1].user, hist[1].host) == (v2.registered_at, v2.registered_by, v2.host)
    assert "recorded late" in (hist[1].reason or "")
    assert reg.load("churn", version=2) == {"w": 2}


def _history_lines(reg: Registry) -> list[str]:
    return (reg.models_dir / "churn" / "history.jsonl").read_text().splitlines()


@pytest.mark.parametrize("kept", [0, 1, 1.5], ids=["none-appended", "one-line-appended", "torn-mid-line"])
def test_a_change_killed_before_its_history_was_appended(reg: Registry, three: list[ModelVersion], kept: float) -> None:
    """model.json (with its journal) was replaced, then the process died during the history append."""
    reg.promote("churn", 1, "production")
    complete = _history_lines(reg)
    path = reg.models_dir / "churn" / "history.jsonl"
    reg.promote("churn", 2, "production")  # a batch of two lines: v1 archived, v2 promoted
    journal = json.loads((reg.models_dir / "churn" / "model.json").read_text())["journal"]
    assert len(journal["lines"]) == 2 and journal["offset"] == len("".join(complete) + "\n" * len(complete))
    first = len(journal["lines"][0].encode())
    cut = journal["offset"] + {0: 0, 1: first, 1.5: first + 20}[kept]
    os.truncate(path, cut)

    shown = reg.history("churn")  # readers add what the journal says is missing
    assert [(e.version, e.to_value) for e in shown[-3:]] == [(1, "production"), (1, "archived"), (2, "production")]
    reg.set_alias("churn", "champion", 2)  # the next writer appends the missing lines first
    lines = _history_lines(reg)
    assert lines[: len(complete)] == complete
    assert [json.loads(line)["to"] for line in lines[len(complete) :]] == ["archived", "production", "2"]
    assert [(e.version, e.to_value) for e in reg.history("churn")][-3:] == [
        (1, "archived"),
        (2, "production"),
        (2, "2"),
    ]


# --------------------------------------------------------------- kata class
def test_kata_model_registry_uses_the_tracker_store(tmp_path: Path) -> None:
    from tracker_core import ModelRegistry

    store = tc.Store(tmp_path / "store", create=True)
    kata = ModelRegistry(os.path.join(store.root, "registry"))
    assert kata.list_versions("churn_model") == []
    assert kata.register("churn_model", {"w": 1}, {"auc_roc": 0.9, "accuracy": 0.8}) == 1
    assert kata.register("churn_model", {"w": 2}, {"auc_roc": 0.95, "accuracy": 0.85}) == 2
    assert kata.get_production_model("churn_model") == (None, None)
    kata.promote("churn_model", 1, "production")
    kata.promote("churn_model", 2, "production")
    model, info = kata.get_production_model("churn_model")
    assert model == {"w": 2}
    assert info is not None and set(info) == {"version", "stage", "metrics", "path", "registered_at"}
    assert (info["version"], info["stage"], info["metrics"]) == (2, "production", {"auc_roc": 0.95, "accuracy": 0.85})
    assert [v["stage"] for v in kata.list_versions("churn_model")] == ["archived", "production"]
    assert Registry(store).get_model("churn_model").production_version == 2  # the same registry
    assert ModelRegistry(store.root).list_versions("churn_model")[1]["path"] == info["path"]


def test_kata_model_registry_in_a_plain_directory(tmp_path: Path) -> None:
    from tracker_core import ModelRegistry

    kata = ModelRegistry(str(tmp_path / "somewhere"))
    kata.register("m", [1, 2], {"auc_roc": 0.5}, stage="production")
    assert (tmp_path / "somewhere" / "tui-track-store.json").is_file()
    assert kata.get_production_model("m")[0] == [1, 2]
    with pytest.raises(tc.NotFoundError, match="no model named 'unknown'"):
        kata.get_production_model("unknown")


def test_copies_abandoned_by_killed_registrations_are_cleaned_up(reg: Registry, three: list[ModelVersion]) -> None:
    versions_dir = reg.models_dir / "churn" / "versions"
    old, fresh = versions_dir / ".incoming-old", versions_dir / ".incoming-fresh"
    for d in (old, fresh):
        d.mkdir()
        (d / "model.joblib").write_bytes(b"partial")
    os.utime(old, (1_000_000.0, 1_000_000.0))
    assert reg.register_object("churn", {"w": 4}).version == 4
    assert not old.exists() and fresh.exists()  # a copy in progress elsewhere is left alone
    assert [v.version for v in reg.list_versions("churn")] == [1, 2, 3, 4]


def test_a_mangled_version_entry_or_missing_record_is_reported(reg: Registry, three: list[ModelVersion]) -> None:
    (reg.models_dir / "churn" / "versions" / "3" / "version.json").unlink()
    assert [v.error is not None for v in reg.list_versions("churn")] == [False, False, True]
    with pytest.raises(tc.CorruptFileError, match="record is missing"):
        reg.get_version("churn", 3)
    state_path = reg.models_dir / "churn" / "model.json"
    state = json.loads(state_path.read_text())
    state["versions"]["1"] = {"stage": "prod"}
    state_path.write_text(json.dumps(state))
    with pytest.raises(tc.CorruptFileError, match=r"field .versions.1.stage. is .prod., not one of development"):
        reg.get_model("churn")
