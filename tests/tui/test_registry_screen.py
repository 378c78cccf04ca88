"""The registry screen: versions of a model, promote and alias behind confirmations, history."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.widgets import DataTable

import tracker_core as tc
from tracker_core.registry import Registry
from tui_track.screens.choice import ChoiceScreen
from tui_track.screens.confirm import ConfirmScreen
from tui_track.screens.registry import RegistryScreen


@pytest.fixture
def registry(demo_store: tc.Store, register_demo_models: Callable[[tc.Store], Registry]) -> Registry:
    """``churn`` v1 (production, alias champion), v2 and v3 (development); ``fraud`` v1."""
    return register_demo_models(demo_store)


def stages(reg: Registry, name: str = "churn") -> dict[int, str]:
    return {v.version: v.stage for v in reg.list_versions(name)}


def cells(table: DataTable[Any], row: int) -> list[str]:
    return [str(c) for c in table.get_row_at(row)]


async def test_models_and_versions_are_listed(
    registry: Registry, demo_store: tc.Store, settle: Any, open_screen: Any
) -> None:
    async with open_screen(demo_store, lambda: RegistryScreen(demo_store)) as pilot:
        screen = pilot.app.screen
        models = screen.query_one("#registry-models", DataTable)
        assert [cells(models, i) for i in range(models.row_count)] == [
            ["churn", "3", "v3", "v1", "champion→v1"],
            ["fraud", "1", "v1", "-", ""],
        ]
        versions = screen.query_one("#registry-versions", DataTable)
        rows = [cells(versions, i) for i in range(versions.row_count)]
        assert [r[:3] for r in rows] == [
            ["v3", "development", ""],
            ["v2", "development", ""],
            ["v1", "production", "champion"],
        ]
        assert rows[0][3].startswith("logreg ") and "accuracy 0.82" in rows[0][4]

        await pilot.press("j")  # the other model
        await settle(pilot)
        assert screen.model_name == "fraud"
        assert versions.row_count == 1


async def test_promote_to_production_archives_the_previous_one(
    registry: Registry, demo_store: tc.Store, settle: Any, open_screen: Any
) -> None:
    async with open_screen(demo_store, lambda: RegistryScreen(demo_store)) as pilot:
        app, screen = pilot.app, pilot.app.screen
        await pilot.press("enter")  # into the versions of churn, cursor on v3
        assert screen.query_one("#registry-versions", DataTable).has_focus
        await pilot.press("p")
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("j", "enter")  # staging -> production
        assert isinstance(app.screen, ConfirmScreen)
        question = app.screen.question
        assert "churn v3 from development to production" in question
        assert "v1, now in production, will be archived" in question
        assert stages(registry) == {1: "production", 2: "development", 3: "development"}  # nothing written yet

        await pilot.press("y")
        await settle(pilot)
        assert stages(registry) == {1: "archived", 2: "development", 3: "production"}
        assert registry.get_model("churn").production_version == 3  # what `tui-track models` reads
        versions = screen.query_one("#registry-versions", DataTable)
        assert cells(versions, 0)[:2] == ["v3", "production"] and cells(versions, 2)[:2] == ["v1", "archived"]


async def test_declining_a_confirmation_changes_nothing(
    registry: Registry, demo_store: tc.Store, settle: Any, open_screen: Any
) -> None:
    async with open_screen(demo_store, lambda: RegistryScreen(demo_store)) as pilot:
        app = pilot.app
        await pilot.press("enter", "j", "p", "enter")  # v2 to staging
        assert "churn v2 from development to staging" in app.screen.question
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("p", "escape")  # the stage picker can be left too
        await settle(pilot)
        assert isinstance(app.screen, RegistryScreen)
        assert stages(registry) == {1: "production", 2: "development", 3: "development"}
        assert len(registry.history("churn")) == 5


async def test_set_then_move_an_alias(registry: Registry, demo_store: tc.Store, settle: Any, open_screen: Any) -> None:
    async with open_screen(demo_store, lambda: RegistryScreen(demo_store)) as pilot:
        app = pilot.app
        await pilot.press("enter", "a", *"candidate", "enter")
        assert app.screen.question == "Set the new alias 'candidate' on churn v3."
        await pilot.press("y")
        await settle(pilot)
        assert registry.get_model("churn").aliases == {"champion": 1, "candidate": 3}

        await pilot.press("a", *"champion", "enter")
        assert app.screen.question == "Move alias 'champion' of churn from v1 to v3."
        await pilot.press("y")
        await settle(pilot)
        assert registry.get_model("churn").aliases == {"champion": 3, "candidate": 3}
        versions = app.screen.query_one("#registry-versions", DataTable)
        assert cells(versions, 0)[2] == "candidate, champion"


async def test_history_shows_every_change_newest_first(
    registry: Registry, demo_store: tc.Store, settle: Any, open_screen: Any
) -> None:
    async with open_screen(demo_store, lambda: RegistryScreen(demo_store)) as pilot:
        screen = pilot.app.screen
        history = screen.query_one("#registry-history", DataTable)
        assert not history.display
        await pilot.press("h")
        assert history.display
        expected = [e.describe() for e in reversed(registry.history("churn"))]
        assert [cells(history, i)[1] for i in range(history.row_count)] == expected
        assert "champion" in expected[0]


async def test_empty_registry_says_how_to_register(demo_store: tc.Store, settle: Any, open_screen: Any) -> None:
    async with open_screen(demo_store, lambda: RegistryScreen(demo_store)) as pilot:
        app, screen = pilot.app, pilot.app.screen
        assert "tui-track models register" in screen.query_one("#registry-versions-title").visual.plain
        await pilot.press("p")  # nothing to promote: a warning, no modal
        assert app.screen is screen


async def test_remove_an_alias(registry: Registry, demo_store: tc.Store, settle: Any, open_screen: Any) -> None:
    registry.set_alias("churn", "candidate", 1)
    async with open_screen(demo_store, lambda: RegistryScreen(demo_store)) as pilot:
        app = pilot.app
        await pilot.press("enter", "x")  # v3 has no alias: a warning, nothing to confirm
        assert isinstance(app.screen, RegistryScreen)
        await pilot.press("j", "j", "x")  # v1 has two: pick one
        assert isinstance(app.screen, ChoiceScreen) and app.screen.choices == ["candidate", "champion"]
        await pilot.press("j", "enter")
        assert app.screen.question == "Remove alias 'champion' from churn v1; nothing will point at it."
        await pilot.press("y")
        await settle(pilot)
        assert registry.get_model("churn").aliases == {"candidate": 1}
        assert registry.history("churn")[-1].action == "alias_delete"
