"""System metrics as their own group (run screen section, runs table) and the reproduce screen (p)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Static

import tracker_core as tc
from tracker_core import reproduce
from tui_track.app import TuiTrackApp
from tui_track.screens.reproduce import ReproduceScreen
from tui_track.screens.run import RunScreen


@pytest.fixture
def sampled_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[tc.Store, str]:
    monkeypatch.delenv("TUI_TRACK_SYSTEM_METRICS", raising=False)
    monkeypatch.delenv("TUI_TRACK_REPRODUCE", raising=False)
    monkeypatch.chdir(tmp_path)  # not a git work tree
    store = tc.Store(tmp_path / "s")
    with store.start_run("train", "sampled", system_metrics_interval=0.05) as run:
        for step in range(5):
            run.log_metric("loss", 1.0 / (step + 1))
        deadline = time.monotonic() + 30  # a loaded machine may starve the sampler for a while
        while (run._sampler is None or run._sampler.samples < 2) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert run._sampler is not None and run._sampler.samples >= 2
    with store.start_run("train", resume="auto", run_key="job-1") as requeued:
        requeued.log_metric("loss", 1.0)
    with store.start_run("train", resume="auto", run_key="job-1", system_metrics=False) as again:
        assert again.id == requeued.id
    return store, run.id


async def test_system_metrics_have_their_own_section_and_no_default_columns(
    sampled_store: tuple[tc.Store, str], wait_until: Any, settle: Any
) -> None:
    store, run_id = sampled_store
    app = TuiTrackApp(store.root, refresh_interval=60.0)
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.main_screen.table
        await wait_until(pilot, lambda: table.runs, what="the runs")
        await settle(pilot)
        labels = [c.label for c in table.columns]
        assert "loss" in labels and not any(label.startswith("system/") for label in labels)
        choices = {key: shown for key, _, shown in table.column_choices()}
        system_choices = [k for k in choices if "system/" in k]
        assert system_choices and not any(choices[k] for k in system_choices)  # offered, not shown
        await app.push_screen(RunScreen(store, run_id))
        await settle(pilot)
        screen = app.screen
        own = screen.query_one("#run-metrics", DataTable)
        assert [str(own.get_row_at(i)[0]) for i in range(own.row_count)] == ["loss"]
        system = screen.query_one("#run-system", DataTable)
        assert system.display
        names = [str(system.get_row_at(i)[0]) for i in range(system.row_count)]
        for expected in ("cpu_percent", "memory_used_mb", "process_rss_mb"):  # whole, or cut in the middle to the pane
            assert any(n == expected or _cut_from(n, expected) for n in names), names
        assert screen.chosen_metrics == ["loss"]  # the run's own metric is charted first
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ReproduceScreen)
        text = app.screen.text
        assert "# code" in text and "did not start in a git work tree" in text
        assert "# packages" in text and "install -r requirements.txt" in text
        assert f"tui-track reproduce {run_id[:8]} --write DIR" in text
        assert str(app.screen.query_one("#reproduce-text", Static).visual).startswith("# code")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, RunScreen)


async def test_reproduce_screen_lists_interruptions(sampled_store: tuple[tc.Store, str], open_screen: Any) -> None:
    store, _ = sampled_store
    requeued = next(r for r in store.list_runs() if r.tags.get("run_key") == "job-1")
    assert reproduce.load(store, requeued.id)[0] is not None
    async with open_screen(store, lambda: ReproduceScreen(store, requeued.id), (80, 24)) as pilot:
        text = pilot.app.screen.text
        assert "# interruptions and resumptions" in text
        assert text.rstrip().endswith("resumed  " + requeued.host)


def _cut_from(shown: str, name: str) -> bool:
    """Whether ``shown`` is ``name`` with its middle replaced by "…" (how a narrow facts table fits names)."""
    head, mark, tail = shown.partition("…")
    return bool(mark) and len(shown) < len(name) and name.startswith(head) and name.endswith(tail)
