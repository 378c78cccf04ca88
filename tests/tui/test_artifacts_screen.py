"""Browsing a run's artifacts from the keyboard and previewing text, JSON, CSV, models and binaries."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import joblib
import pytest
from textual.widgets import DataTable, TextArea, Tree

import tracker_core as tc
from tracker_core.records import ArtifactInfo
from tui_track.screens.artifacts import ArtifactsScreen, read_preview
from tui_track.screens.run import RunScreen


@pytest.fixture
def no_unpickling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any unpickling during the test fail loudly."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the app unpickled something")

    monkeypatch.setattr(joblib, "load", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)


async def test_browse_and_preview_every_kind(
    demo_store: tc.Store, settle: Any, no_unpickling: None, open_screen: Any, run_named: Any
) -> None:
    run = run_named(demo_store, "logreg")
    async with open_screen(demo_store, lambda: ArtifactsScreen(demo_store, run.id)) as pilot:
        app = pilot.app
        screen = app.screen
        assert isinstance(screen, ArtifactsScreen)
        tree = screen.query_one(Tree)
        assert tree.has_focus
        assert [str(n.label) for n in tree.root.children] == [
            "confusion.csv  49 B",
            "model/  (logged model)",
            "notes/",
            "report.json  131 B",
        ]

        # the first file is highlighted and previewed as a table
        assert screen.preview is not None and screen.preview.kind == "csv"
        table = screen.query_one("#preview-table", DataTable)
        assert table.display and [str(c.label) for c in table.ordered_columns] == ["label", "predicted", "count"]
        assert [list(map(str, table.get_row_at(i))) for i in range(table.row_count)][-1] == ["1", "1", "92"]

        await pilot.press("j")  # the logged model: its sidecar, never the pickle
        await settle(pilot)
        assert screen.preview.kind == "model"
        sidecar = json.loads(screen.query_one("#preview-text", TextArea).text)
        assert sidecar["class"] == "sklearn.linear_model._logistic.LogisticRegression"
        assert "LogisticRegression" in screen.preview.summary

        await pilot.press("enter", "j")  # open the model directory: model.joblib is a binary, not opened
        await settle(pilot)
        assert screen.preview.path == "model/model.joblib" and screen.preview.kind == "binary"
        assert "not opened" in screen.preview.summary

        await pilot.press("j", "j", "j")  # model.json, notes/, notes/summary.txt
        await settle(pilot)
        assert screen.preview.path == "notes/summary.txt" and screen.preview.kind == "text"
        assert screen.query_one("#preview-text", TextArea).text == "logreg: accuracy 0.82\n"

        await pilot.press("j")
        await settle(pilot)
        assert screen.preview.kind == "json"
        text = screen.query_one("#preview-text", TextArea).text
        assert json.loads(text)["name"] == "logreg" and '\n  "name": "logreg"' in text  # pretty-printed

        await pilot.press("tab")
        assert screen.query_one("#preview-text", TextArea).has_focus
        await pilot.press("tab")
        assert tree.has_focus


async def test_run_without_artifacts_says_how_to_log_some(
    demo_store: tc.Store, open_screen: Any, run_named: Any
) -> None:
    run = run_named(demo_store, "lr_0")
    async with open_screen(demo_store, lambda: ArtifactsScreen(demo_store, run.id)) as pilot:
        app = pilot.app
        assert "no artifacts" in app.screen.query_one("#preview-summary").visual.plain
        assert not app.screen.query_one(Tree).root.children


def test_binary_and_large_files_are_described_not_dumped(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "store")
    with store.start_run("e", "r") as run:
        blob = tmp_path / "weights.dat"
        blob.write_bytes(b"\x00\x01\x02binary" * 100)
        run.log_artifact(blob)
        run.log_text("x" * 300_000, "big.log")
        run.log_text("a,b\n1\n2,3,4\n", "ragged.csv")
        run.log_text("{not json", "broken.json")
    by_path = {a.path: a for a in store.list_artifacts(run.id)}

    binary = read_preview(store, run.id, by_path["weights.dat"])
    assert binary.kind == "binary" and "900 B" in binary.summary and not binary.text

    big = read_preview(store, run.id, by_path["big.log"])
    assert big.kind == "text" and len(big.text) == 256 * 1024 and "first 256.0 KB shown" in big.summary

    ragged = read_preview(store, run.id, by_path["ragged.csv"])
    assert ragged.columns == ["a", "b", "col3"] and ragged.rows == [["1", "", ""], ["2", "3", "4"]]

    broken = read_preview(store, run.id, by_path["broken.json"])
    assert broken.kind == "text" and broken.text == "{not json" and "does not parse" in broken.summary

    directory = read_preview(store, run.id, ArtifactInfo("nowhere", 0, True))
    assert directory.kind == "dir"


async def test_names_with_brackets_show_as_typed(tmp_path: Path, open_screen: Any, settle: Any) -> None:
    store = tc.Store(tmp_path / "store")
    with store.start_run("e", "sweep[lr=0.1]") as run:
        run.log_text("[bold]not markup[/bold]\n", "notes[1].txt")
        run.log_text("[x],b\n[red]1[/red],2\n", "z.csv")
        run.log_param("style", "[b]bold?[/b]")
    async with open_screen(store, lambda: ArtifactsScreen(store, run.id)) as pilot:
        screen = pilot.app.screen
        assert "sweep[lr=0.1]" in screen.query_one("#artifacts-title").visual.plain
        assert screen.query_one("#preview-summary").visual.plain.startswith("notes[1].txt · text")
        assert screen.query_one("#preview-text", TextArea).text == "[bold]not markup[/bold]\n"
        await pilot.press("j")
        await settle(pilot)
        table = screen.query_one("#preview-table", DataTable)
        assert [str(c.label) for c in table.ordered_columns] == ["[x]", "b"]
        assert [str(c) for c in table.get_row_at(0)] == ["[red]1[/red]", "2"]
    async with open_screen(store, lambda: RunScreen(store, run.id)) as pilot:
        params = pilot.app.screen.query_one("#run-params", DataTable)
        assert [str(c) for c in params.get_row_at(0)] == ["style", "[b]bold?[/b]"]


async def test_a_long_json_line_wraps_in_the_preview_instead_of_being_cut(
    tmp_path: Path, open_screen: Any, settle: Any
) -> None:
    store = tc.Store(tmp_path / "store")
    long_text = "a value that goes on past the right edge of an eighty column terminal, ending HERE"
    with store.start_run("e", "r") as run:
        run.log_dict({"description": long_text, "n": 1}, "report.json")
    async with open_screen(store, lambda: ArtifactsScreen(store, run.id), (80, 24)) as pilot:
        preview = pilot.app.screen.query_one("#preview-text", TextArea)
        await settle(pilot)
        width = preview.scrollable_content_region.width
        shown = " ".join(preview.render_line(y).crop(0, width).text.strip() for y in range(preview.size.height))
        assert "ending HERE" in shown and '"n": 1' in shown, shown
