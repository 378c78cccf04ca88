"""The registry screen: versions of a model, promote and alias behind confirmations, history."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from textual.binding import Binding
from textual.widgets import DataTable

import tracker_core as tc
from tracker_core.registry import Registry
from tui_track.formatting import cell
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


def version_cells(table: DataTable[Any], row: int) -> list[str]:
    """A versions row without its cursor column (▶ on the cursor row, so NO_COLOR shows it)."""
    marker, *rest = cells(table, row)
    assert marker == ("▶" if row == table.cursor_row else " ")
    return rest


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
        rows = [version_cells(versions, i) for i in range(versions.row_count)]
        assert [r[:3] for r in rows] == [
            ["v3", "development", ""],
            ["v2", "development", ""],
            ["v1", "production", "champion"],
        ]
        assert rows[0][3].startswith("logreg ") and re.fullmatch(r"\d\d-\d\d \d\d:\d\d", rows[0][4])
        assert "accuracy 0.82".startswith(rows[0][5].rstrip("…"))  # the free-form metrics last, cut to 80 columns

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
        assert version_cells(versions, 0)[:2] == ["v3", "production"] and version_cells(versions, 2)[:2] == [
            "v1",
            "archived",
        ]


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
        assert version_cells(versions, 0)[2] == "candidate, champion"


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


async def test_a_change_made_elsewhere_while_confirming_is_shown_and_asked_again(
    registry: Registry, demo_store: tc.Store, settle: Any, open_screen: Any
) -> None:
    async with open_screen(demo_store, lambda: RegistryScreen(demo_store, refresh_interval=3600)) as pilot:
        app = pilot.app
        await pilot.press("enter", "p", "j", "enter")  # v3 to production
        assert "v1, now in production, will be archived" in app.screen.question
        Registry(demo_store).promote("churn", 2, "production")  # another writer, meanwhile
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)  # nothing written: asked again with what changed
        question = app.screen.question
        assert question.startswith("Changed meanwhile: ") and "production holds v2 now, not v1" in question
        assert "v2, now in production, will be archived" in question
        assert stages(registry) == {1: "archived", 2: "production", 3: "development"}
        await pilot.press("y")
        await settle(pilot)
        assert stages(registry) == {1: "archived", 2: "archived", 3: "production"}


async def test_the_screen_follows_changes_made_elsewhere_keeping_the_cursor(
    registry: Registry, demo_store: tc.Store, settle: Any, open_screen: Any, wait_until: Any
) -> None:
    async with open_screen(demo_store, lambda: RegistryScreen(demo_store, refresh_interval=0.2)) as pilot:
        screen = pilot.app.screen
        await pilot.press("enter", "j")  # cursor on v2
        versions = screen.query_one("#registry-versions", DataTable)
        Registry(demo_store).promote("churn", 2, "production")
        await wait_until(
            pilot, lambda: version_cells(versions, 1)[:2] == ["v2", "production"], what="the promotion to show"
        )
        assert versions.cursor_row == 1 and versions.has_focus
        assert "production v2" in screen.query_one("#registry-versions-title").visual.plain
        models = screen.query_one("#registry-models", DataTable)
        assert cells(models, 0)[3] == "v2"


async def test_the_promote_dialog_starts_one_stage_up_never_on_a_demotion(
    registry: Registry, demo_store: tc.Store, settle: Any, open_screen: Any
) -> None:
    registry.promote("churn", 3, "staging")
    async with open_screen(demo_store, lambda: RegistryScreen(demo_store)) as pilot:
        app = pilot.app
        await pilot.press("enter", "p", "enter")  # v3, staging: enter means production
        assert "from staging to production" in app.screen.question
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("j", "j", "p", "enter")  # v1, production: enter picks production, nothing changes
        await settle(pilot)
        assert isinstance(app.screen, RegistryScreen)
        assert stages(registry) == {1: "production", 2: "development", 3: "staging"}


async def test_a_reason_typed_in_the_confirmation_goes_into_the_history(
    registry: Registry, demo_store: tc.Store, settle: Any, open_screen: Any
) -> None:
    async with open_screen(demo_store, lambda: RegistryScreen(demo_store)) as pilot:
        await pilot.press("enter", "p", "enter")  # v3 to staging
        await pilot.press("shift+tab", "shift+tab")  # from "No" back to the reason field
        assert pilot.app.focused is not None and pilot.app.focused.id == "confirm-reason"
        await pilot.press(*"better recall", "enter")
        await settle(pilot)
        last = registry.history("churn")[-1]
        assert (last.action, last.version, last.reason) == ("stage", 3, "better recall")
        await pilot.press("a", *"candidate", "enter", "shift+tab", "shift+tab", *"for the A/B test", "enter")
        await settle(pilot)
        assert registry.history("churn")[-1].reason == "for the A/B test"
        assert registry.get_model("churn").aliases["candidate"] == 3


def test_the_footer_lists_remove_alias() -> None:
    shown = {b.key: b.show for b in RegistryScreen.BINDINGS if isinstance(b, Binding)}
    assert shown["x"] and shown["p"] and shown["a"]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_versions_and_history_fit_the_screen_cut_with_an_ellipsis(
    registry: Registry, demo_store: tc.Store, settle: Any, open_screen: Any, size: tuple[int, int]
) -> None:
    registry.register_object("churn", {"weights": [1, 2]}, metrics={f"metric_{i:02d}": i / 7 for i in range(12)})
    registry.promote("churn", 4, "staging", reason="the new features beat the baseline on every fold of the " * 3)
    async with open_screen(demo_store, lambda: RegistryScreen(demo_store), size=size) as pilot:
        screen = pilot.app.screen
        if not screen.query_one("#registry-history", DataTable).display:
            await pilot.press("h")
            await settle(pilot)
        versions = screen.query_one("#registry-versions", DataTable)
        history = screen.query_one("#registry-history", DataTable)
        for table in (versions, history):  # nothing wider than the table: no value clipped at its edge
            assert table.virtual_size.width <= table.size.width, (table.id, table.virtual_size, table.size)
        metrics = version_cells(versions, 0)[5]
        room = versions.ordered_columns[-1].width
        pairs = [f"metric_{i:02d} {cell(i / 7)}" for i in range(3)]
        assert len(metrics) <= room and metrics.endswith("…")
        assert "  ".join(pairs).startswith(metrics[:-1].rstrip())  # the metrics' start, cut with an ellipsis
        reason = cells(history, 0)[3]
        full = registry.history("churn")[-1].reason
        assert full is not None and reason.endswith("…") and full.startswith(reason[:-1])
        assert len(reason) <= history.ordered_columns[-1].width
    if size == (120, 40):  # room for whole pairs there
        assert metrics[:-2] in ("  ".join(pairs[:2]), "  ".join(pairs))
