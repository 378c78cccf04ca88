"""Changes checked against what the caller saw: expect_stage / expect_current, and MLflow's reserved aliases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import tracker_core as tc
from tracker_core.registry import Registry

TUI_TRACK = str(Path(sys.executable).parent / "tui-track")


@pytest.fixture
def reg(tmp_path: Path) -> Registry:
    reg = Registry(tc.Store(tmp_path / "store"))
    for i in range(4):
        reg.register_object("churn", {"w": i})
    return reg


def files(reg: Registry) -> dict[str, bytes]:
    return {str(p.relative_to(reg.root)): p.read_bytes() for p in sorted(reg.root.rglob("*")) if p.is_file()}


def stages(reg: Registry) -> dict[int, str]:
    return {v.version: v.stage for v in reg.list_versions("churn", include_deleted=True)}


def test_promote_with_the_expected_state_goes_ahead(reg: Registry) -> None:
    reg.promote("churn", 1, "production")
    entries = reg.promote("churn", 2, "production", expect_stage="development", expect_current=1)
    assert [(e.version, e.to_value) for e in entries] == [(1, "archived"), (2, "production")]
    reg.promote("churn", 3, "staging", expect_current=None, expect_stage="dev")
    reg.promote("churn", 4, "staging", expect_current="v3")
    assert stages(reg) == {1: "archived", 2: "production", 3: "staging", 4: "staging"}


def test_promote_refuses_when_production_changed_meanwhile(reg: Registry) -> None:
    """The app showed "v1, now in production, will be archived"; another shell promoted v3 since."""
    reg.promote("churn", 1, "production")
    reg.promote("churn", 3, "production")  # another process
    before = files(reg)
    with pytest.raises(tc.ConflictError, match=r"production holds v3 now, not v1 as expected") as caught:
        reg.promote("churn", 2, "production", expect_current=1)
    assert isinstance(caught.value, tc.StateChangedError)
    assert (caught.value.expected, caught.value.actual) == (1, 3)
    with pytest.raises(tc.ConflictError, match=r"production holds v3 now, not no version as expected"):
        reg.promote("churn", 2, "production", expect_current=None)
    assert files(reg) == before  # nothing written, no history line
    assert stages(reg) == {1: "archived", 2: "development", 3: "production", 4: "development"}


def test_promote_refuses_when_the_version_moved_meanwhile(reg: Registry) -> None:
    reg.promote("churn", 2, "staging")
    before = files(reg)
    with pytest.raises(tc.ConflictError, match=r"'churn' v2 is in staging now, not in development as expected"):
        reg.promote("churn", 2, "production", expect_stage="development")
    with pytest.raises(tc.ConflictError, match=r"production holds no version now, not v4 as expected"):
        reg.promote("churn", 2, "production", expect_current=4)
    assert files(reg) == before


def test_expectations_are_checked_even_when_nothing_would_change(reg: Registry) -> None:
    reg.promote("churn", 2, "staging")
    with pytest.raises(tc.ConflictError, match="v2 is in staging now, not in archived"):
        reg.promote("churn", 2, "staging", expect_stage="archived")
    assert reg.promote("churn", 2, "staging", expect_stage="staging", expect_current=2) == []


def test_a_stage_holding_several_versions_expects_the_one_it_resolves_to(reg: Registry) -> None:
    reg.promote("churn", 1, "staging")
    reg.promote("churn", 3, "staging")
    with pytest.raises(tc.ConflictError, match="staging holds v3 now, not v1"):
        reg.promote("churn", 4, "staging", archive_existing=True, expect_current=1)
    reg.promote("churn", 4, "staging", archive_existing=True, expect_current=3)
    assert stages(reg) == {1: "archived", 2: "development", 3: "archived", 4: "staging"}


def test_alias_expectations(reg: Registry) -> None:
    reg.set_alias("churn", "champion", 1, expect_current=None)
    reg.set_alias("churn", "champion", 2, expect_current=1)
    reg.set_alias("churn", "champion", 3)  # another process
    before = files(reg)
    with pytest.raises(tc.ConflictError, match=r"alias 'champion' points at v3 now, not at v2 as expected"):
        reg.set_alias("churn", "champion", 4, expect_current=2)
    with pytest.raises(tc.ConflictError, match=r"alias 'champion' points at v3 now, not not set as expected"):
        reg.set_alias("churn", "champion", 4, expect_current=None)
    with pytest.raises(tc.ConflictError, match=r"alias 'challenger' is not set now, not at v1 as expected"):
        reg.set_alias("churn", "challenger", 4, expect_current=1)
    with pytest.raises(tc.ConflictError, match=r"alias 'champion' points at v3 now, not at v2 as expected"):
        reg.delete_alias("churn", "champion", expect_current=2)
    with pytest.raises(tc.ConflictError, match=r"alias 'gone' is not set now, not at v2 as expected"):
        reg.delete_alias("churn", "gone", expect_current=2)
    assert files(reg) == before
    entry = reg.delete_alias("churn", "champion", expect_current=3)
    assert (entry.action, entry.version) == ("alias_delete", 3)
    assert reg.get_model("churn").aliases == {}


def test_delete_version_expects_its_stage(reg: Registry) -> None:
    reg.promote("churn", 2, "production")
    before = files(reg)
    with pytest.raises(tc.ConflictError, match="v2 is in production now, not in staging as expected"):
        reg.delete_version("churn", 2, expect_stage="staging")
    assert files(reg) == before
    assert [e.action for e in reg.delete_version("churn", 2, expect_stage="production")] == ["stage", "delete"]
    assert reg.get_version("churn", 2).deleted


@pytest.mark.parametrize("bad", [0, -1, "x", True, 1.5, [1]])
def test_bad_expectations_are_validation_errors(reg: Registry, bad: object) -> None:
    with pytest.raises(tc.ValidationError, match="expect_current"):
        reg.promote("churn", 1, "production", expect_current=bad)  # type: ignore[arg-type]
    with pytest.raises(tc.ValidationError, match="expect_current"):
        reg.set_alias("churn", "a", 1, expect_current=bad)  # type: ignore[arg-type]
    with pytest.raises(tc.ValidationError, match="unknown stage"):
        reg.promote("churn", 1, "production", expect_stage="nope")
    with pytest.raises(tc.ValidationError, match="unknown stage"):
        reg.delete_version("churn", 1, expect_stage=3)  # type: ignore[arg-type]


@pytest.mark.parametrize("alias", ["latest", "LATEST", "Latest", "v1", "v42", "V7"])
def test_mlflow_reserved_aliases_are_refused(reg: Registry, alias: str) -> None:
    with pytest.raises(
        tc.ValidationError, match=rf"alias '{alias}' is reserved: MLflow keeps 'latest' and 'v<number>'"
    ):
        reg.set_alias("churn", alias, 1)
    with pytest.raises(tc.ValidationError, match="reserved"):
        reg.resolve(f"models:/churn@{alias}")
    with pytest.raises(tc.ValidationError, match="reserved"):
        reg.resolve("churn", alias=alias)
    assert reg.get_model("churn").aliases == {}


def test_names_that_only_look_reserved_are_fine(reg: Registry) -> None:
    for alias in ("latest2", "v1-candidate", "v", "version3", "my-latest"):
        reg.set_alias("churn", alias, 2)
    assert reg.resolve("models:/churn@latest2").version == 2
    assert reg.resolve("models:/churn/latest").version == 4


def test_a_reserved_alias_made_before_the_rule_can_be_removed(reg: Registry) -> None:
    import json

    reg.set_alias("churn", "placeholder", 1)
    state_file = reg.models_dir / "churn" / "model.json"
    state = json.loads(state_file.read_text())
    state["aliases"] = {"latest": 1}
    state_file.write_text(json.dumps(state))
    entry = reg.delete_alias("churn", "latest")
    assert (entry.key, entry.version) == ("latest", 1)
    assert reg.get_model("churn").aliases == {}


def test_cli_refuses_a_reserved_alias_in_one_line(reg: Registry) -> None:
    done = subprocess.run(
        [TUI_TRACK, "--store", str(reg.store.root), "models", "alias", "churn", "latest", "1"],
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "reserved" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert reg.get_model("churn").aliases == {}
