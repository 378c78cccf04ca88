"""The main screen: experiments, the runs table of the selected one, and the highlighted run's details.

Disk work happens in thread workers that post :mod:`tui_track.messages`; handlers on the UI
thread update the widgets. A timer refreshes every ``refresh_interval`` seconds through
:class:`tracker_core.index.RunIndex`, which re-reads only new or changed runs.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, OptionList, Static

from tracker_core.config import AppSettings
from tracker_core.errors import StoreError, TrackerError
from tracker_core.index import RunIndex
from tracker_core.records import Experiment, MetricPoint, RunSummary, latest_activity
from tracker_core.store import MARKER_FILE, Store

from ..messages import (
    ActivityLoaded,
    DetailsLoaded,
    ExperimentsLoaded,
    RemoteRefreshed,
    RunsChanged,
    RunsUnreadable,
    StoreMissing,
    ViewStateLoaded,
)
from ..view_state import ViewState, load_view_state, save_view_state
from ..widgets.details import DetailsPane
from ..widgets.experiments import ALL_EXPERIMENTS, ExperimentList
from ..widgets.filter_bar import FilterBar, FilterInput
from ..widgets.runs_table import RunsTable
from ..workers import DIALOG_GROUP, ReportsWorkerErrors
from .manage import ManageRuns

if TYPE_CHECKING:
    from ..app import TuiTrackApp

FIRST_RUN_SNIPPET = """\
Log a first run from Python, then it shows up here within a couple of seconds:

    import tracker_core as tc

    with tc.start_run(experiment="churn", name="rf_small") as run:
        run.log_params({"n_estimators": 50, "max_depth": 5})
        for step in range(10):
            run.log_metric("loss", 1.0 / (step + 1), step=step)

Run it in this directory (the store is ./tui-track-store), or point TUI_TRACK_STORE at
{path} first. Press q to quit."""

REFRESH_SHARE = 5
"""Live refresh waits at least this many times as long as the last refresh took (so it uses at most
a fifth of the time, e.g. 0.6 s of re-stat'ing 100,000 runs every 3 s instead of every 2 s)."""

REMOTE_WAIT_MAX = 10.0
"""Longest pause between two pulls of an ``s3://`` store's remote (a slow pull widens it up to this)."""

PREVIEW_RUNS = 2000
"""Runs shown before the whole of a bigger experiment is read (its first load only)."""

EXPERIMENT_DELAY = 0.15
"""Seconds the cursor must rest on an experiment before its runs are read."""

DETAILS_DELAY = 0.12
"""Seconds the cursor must rest on a run before its history and artifacts are read."""


class MainScreen(ManageRuns, ReportsWorkerErrors, Screen[None]):
    """Experiments · runs table · details, with sort, filter, marks and live refresh."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]  # noqa: RUF012 (typed by Screen)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter", "Filter"),
        Binding("backslash", "clear_filter", "Clear filter", show=False),
        Binding("c", "compare", "Compare"),
        Binding("p", "plot", "Plot"),
        Binding("v", "run_plot('scatter')", "Scatter of the shown runs", show=False),
        Binding("P", "run_plot('parallel')", "Parallel coordinates of the shown runs", show=False),
        Binding("a", "artifacts", "Artifacts", show=False),
        Binding("m", "models", "Models", show=False),
        Binding("e", "experiments", "Experiments", show=False),
        Binding("d", "toggle_details", "Details", show=False),
        Binding("r", "reload", "Refresh now", show=False),
        Binding("question_mark", "help", "Help"),
        # the runs table's columns and groups, picked in this screen's dialogs
        Binding("o", "pick_columns", "Pick columns", show=False),
        Binding("b", "group_by", "Group", show=False),  # in the help and palette: the footer keeps q Quit at 80
        # managing runs (screens/manage.py, screens/find.py)
        Binding("f", "find", "Find", show=False),
        Binding("x", "delete_runs", "Delete / restore run(s)", show=False),
        Binding("X", "toggle_deleted", "Deleted runs on/off", show=False),
        Binding("R", "rename_run", "Rename run", show=False),
        Binding("t", "tag_run", "Tags of run(s)", show=False),
        Binding("N", "note_run", "Note on run", show=False),
        # the run tree and the all-experiments view
        Binding("T", "toggle_tree", "Run tree on/off", show=False),
        Binding("z", "fold", "Fold/unfold children", show=False),
        Binding("A", "all_experiments", "All experiments (or the marked ones)", show=False),
    ]

    def __init__(self, settings: AppSettings) -> None:
        super().__init__()
        self.store_path = settings.store_path
        self.remote_url = settings.remote_url
        """``s3://bucket/prefix`` when the store is a remote's mirror (kept current by :meth:`refresh_remote`)."""
        self.remote_error: str | None = None
        """Why the last pull of the remote failed (the screen keeps showing the mirror), or None."""
        self._remote_cost = 0.0
        self._remote_at = 0.0
        self.refresh_interval = settings.refresh_interval
        self._wanted_experiment = settings.experiment
        self.store: Store | None = None
        self.experiment_id: str | None = None
        self.experiments: list[Experiment] = []
        self._activity: dict[str, float | None] = {}
        """Each experiment's last activity as last read (the experiments list without it, for speed)."""
        self._shown_activity: tuple[tuple[str, bool, frozenset[str] | None], dict[str, float | None]] | None = None
        """The activity of the experiments the runs index covers, and what it covered (index identity)."""
        self.last_load_seconds: float | None = None
        self._index: RunIndex | None = None
        self._index_lock = threading.Lock()
        self._details_timer: Timer | None = None
        self._experiment_timer: Timer | None = None
        self._refresh_cost = 0.0
        self._refreshed_at = 0.0
        self._quiet_wanted = False
        """The wanted experiment came from the saved view: no warning when it is gone."""
        self._view: ViewState | None = None
        """The view last saved or restored; None until the saved one has been read."""
        self.show_deleted = False
        self._sweep_next = False
        self.marked_experiments: frozenset[str] = frozenset()
        """The experiments marked in the list: the all-experiments view shows only theirs (all when none)."""

    # ------------------------------------------------------------------ layout
    def compose(self) -> Any:
        yield Static(id="status-line")
        with Horizontal(id="body"):
            yield ExperimentList(id="experiments")
            with Vertical(id="runs-pane"):
                yield FilterBar(id="filter-bar")
                yield RunsTable(id="runs")
                yield DetailsPane(id="details")
        yield Static(id="welcome")
        yield Footer()

    @property
    def table(self) -> RunsTable:
        return self.query_one(RunsTable)

    @property
    def experiment_list(self) -> ExperimentList:
        return self.query_one(ExperimentList)

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one(FilterBar)

    def on_mount(self) -> None:
        self.query_one("#experiments").border_title = "Experiments"
        self.query_one("#details").border_title = "Details"
        self.table.empty_text = "Loading runs…"
        self.set_focus(self.table)
        self._update_status()
        self.load_store()
        self.set_interval(self.refresh_interval, self.tick, name="live refresh")

    # ------------------------------------------------------------------ workers (disk only, post messages)
    @work(thread=True, exclusive=True, exit_on_error=False, group="store")
    def load_store(self) -> None:
        """Open the store if needed and list its experiments.

        Their last activity reads every run's times, so it comes after the shown runs were read
        (:meth:`_post_activity`), and for theirs from them: a big experiment is then read once.
        """
        if self._view is None:
            self.post_message(ViewStateLoaded(*load_view_state(self.store_path)))
        try:
            store = self.store or self._open_store()
            experiments = store.list_experiments(with_activity=False)
        except StoreError as exc:
            missing = self.remote_url is None and not (self.store_path / MARKER_FILE).exists()
            self.post_message(StoreMissing(self.where, "" if missing else str(exc)))
            return
        except (TrackerError, OSError) as exc:
            self.post_message(StoreMissing(self.where, f"cannot read the store: {exc}"))
            return
        self.store = store
        self.post_message(ExperimentsLoaded(experiments, store))

    @property
    def where(self) -> str | Path:
        """The store as the user named it: its directory, or its ``s3://`` URL."""
        return self.remote_url or self.store_path

    def _open_store(self) -> Store:
        """The store; for an ``s3://`` URL its mirror, pulled first, or as last pulled if the remote is down."""
        if self.remote_url is None:
            return Store(self.store_path, create=False)
        from tracker_core.errors import RemoteError, StoreNotFoundError
        from tracker_core.remote.mirror import last_mirror

        started = time.perf_counter()
        try:
            store = Store(self.remote_url)
        except RemoteError as exc:
            try:
                store = last_mirror(self.remote_url)
            except StoreNotFoundError:
                raise exc from None  # never pulled on this machine: nothing to show but why
            self.post_message(RemoteRefreshed(self.remote_url, False, str(exc)))
        self._remote_cost = time.perf_counter() - started
        self._remote_at = time.monotonic()
        return store

    @work(thread=True, exclusive=True, exit_on_error=False, group="remote")
    def refresh_remote(self) -> None:
        """Pull the remote into the mirror (an ``s3://`` store): the next refresh shows what it brought."""
        from tracker_core.errors import RemoteError
        from tracker_core.remote.mirror import refresh

        assert self.store is not None and self.remote_url is not None
        started = time.perf_counter()
        try:
            changed = refresh(self.store)
        except RemoteError as exc:
            self.post_message(RemoteRefreshed(self.remote_url, False, str(exc)))
            return
        finally:
            self._remote_cost = time.perf_counter() - started
            self._remote_at = time.monotonic()
        self.post_message(RemoteRefreshed(self.remote_url, changed))

    @work(thread=True, exclusive=False, exit_on_error=False, group="runs")
    def load_runs(self, experiment_id: str) -> None:
        """Refresh the runs of ``experiment_id`` through its index (a first call reads them all).

        A first load of a big experiment posts a preview of a few thousand runs before the
        index has read them all, so the table is on screen and answering keys meanwhile.
        """
        try:
            self._load_runs(experiment_id)
        except (TrackerError, OSError) as exc:
            self.post_message(RunsUnreadable(experiment_id, str(exc)))

    def _load_runs(self, experiment_id: str) -> None:
        assert self.store is not None
        with self._index_lock:
            started = time.perf_counter()
            index = self._index
            trash = self.show_deleted
            exp_id = None if experiment_id == ALL_EXPERIMENTS else experiment_id  # None: every experiment
            only = (self.marked_experiments or None) if exp_id is None else None  # or the marked ones
            wanted = (exp_id, trash, only)
            first = index is None or (index.experiment_id, index.include_deleted, index.only) != wanted
            preview: dict[str, RunSummary] = {}
            if index is None or first:
                index = self._index = RunIndex(self.store, exp_id, include_deleted=trash, only=only)
                preview = self._preview(index)
                if preview:
                    self.post_message(RunsChanged(experiment_id, preview, [], first=True))
                    first = False  # the full listing merges into the preview
            full, self._sweep_next = self._sweep_next, False
            changes = index.refresh(full=full)
            self._refresh_cost = time.perf_counter() - started
            self._refreshed_at = time.monotonic()
            removed = changes.removed + [i for i in preview if i not in index.runs]  # e.g. deleted runs
            if not first and not changes and not removed:
                self._post_activity(index, changed=False)
                return
            changed = {i: index.runs[i] for i in (*changes.added, *changes.updated)}
            if trash:  # the deleted-runs view: only deleted runs; restored ones leave it
                removed += [i for i, r in changed.items() if not r.deleted]
                changed = {i: r for i, r in changed.items() if r.deleted}
            seconds = time.perf_counter() - started
        self.post_message(RunsChanged(experiment_id, changed, removed, first=first, seconds=seconds))
        with self._index_lock:
            self._post_activity(index, changed=True)

    def _post_activity(self, index: RunIndex, *, changed: bool) -> None:
        """Post every listed experiment's last activity: from ``index`` for those it covers (``changed``:
        its runs changed since it was last taken), through the store for the others. Under the index lock."""
        assert self.store is not None
        experiments = self.experiments
        covers = (index.experiment_id, index.include_deleted, index.only)
        if changed or self._shown_activity is None or self._shown_activity[0] != covers:
            by_experiment: dict[str, list[RunSummary]] = {}
            for run in index.runs.values():
                by_experiment.setdefault(run.experiment_id, []).append(run)
            covered = [e.id for e in experiments if _covers(index, e.id)]
            self._shown_activity = covers, {i: latest_activity(by_experiment.get(i, ())) for i in covered}
        activity = dict(self._shown_activity[1])
        for exp in experiments:
            if exp.id not in activity and exp.run_count:
                try:
                    activity[exp.id] = self.store.last_activity(exp.id)
                except (TrackerError, OSError):
                    continue  # gone or unreadable since it was listed: the next listing says so
        if activity != self._activity:
            self.post_message(ActivityLoaded(activity))

    def _preview(self, index: RunIndex) -> dict[str, RunSummary]:
        """Up to PREVIEW_RUNS runs read directly, when the experiment has more than that."""
        if index.include_deleted:
            return {}  # the deleted-runs view lists whole (a preview would show runs that are not deleted)
        preview = index.preview(PREVIEW_RUNS + 1)
        return dict(list(preview.items())[:PREVIEW_RUNS]) if len(preview) > PREVIEW_RUNS else {}

    @work(thread=True, exclusive=True, exit_on_error=False, group="details")
    def load_details(self, run_id: str) -> None:
        """Read a run's metric histories and artifact list for the details pane."""
        assert self.store is not None
        try:
            run = self.store.get_run(run_id)
            # sparkline-sized: each metric downsampled (min/max/last per bucket) from the history index; a
            # long history not indexed yet is sampled instead (building its index is the run screen's work)
            sample = self.store.preview_history(run_id)
            if sample is not None:
                every = {key: series.downsample(SPARK_POINTS) for key, series in sample.items()}
            else:
                every = self.store.metric_series_all(run_id, points=SPARK_POINTS)
            histories = {
                key: [MetricPoint(key, v, st, t) for st, v, t in zip(*_columns(series), strict=True)]
                for key, series in every.items()
            }
            artifacts = self.store.list_artifacts(run_id)
        except TrackerError as exc:
            self.post_message(DetailsLoaded(run_id, None, {}, [], str(exc)))
            return
        self.post_message(DetailsLoaded(run_id, run, histories, artifacts))

    def tick(self) -> None:
        """Live refresh: relist experiments and re-read what changed in the shown one (and pull a remote)."""
        self._tick_remote()
        if any(w.group in ("store", "runs") and w.is_running for w in self.workers):
            return
        if time.monotonic() - self._refreshed_at < REFRESH_SHARE * self._refresh_cost:
            return  # a huge experiment: refresh less often rather than keep the CPU busy
        self.load_store()
        if self.store is not None and self.experiment_id is not None:
            self.load_runs(self.experiment_id)

    def _tick_remote(self) -> None:
        if self.remote_url is None or self.store is None:
            return
        if any(w.group == "remote" and w.is_running for w in self.workers):
            return
        if time.monotonic() - self._remote_at < min(REFRESH_SHARE * self._remote_cost, REMOTE_WAIT_MAX):
            return  # a slow remote is pulled less often, but at least every REMOTE_WAIT_MAX seconds
        self.refresh_remote()

    # ------------------------------------------------------------------ worker results
    @on(RemoteRefreshed)
    def show_remote_state(self, message: RemoteRefreshed) -> None:
        """Say once when the remote became unreachable (the status line keeps saying it) and when it is back."""
        was, self.remote_error = self.remote_error, message.error
        if message.error is not None and was is None:
            self.notify(f"{message.error}; showing the mirror as last pulled", severity="warning", timeout=10)
        elif message.error is None and was is not None:
            self.notify(f"{message.url} is reachable again", timeout=4)
        self._update_status()
        if message.changed and self.store is not None:
            self.load_store()
            if self.experiment_id is not None:
                self.load_runs(self.experiment_id)

    @on(StoreMissing)
    def show_missing_store(self, message: StoreMissing) -> None:
        welcome = self.query_one("#welcome", Static)
        if message.reason:  # there is something at the path, but not a store this version can read
            text = Text(f"Cannot open the store at {message.path}:\n\n", style="bold")
            text.append(f"{message.reason}\n\nPress q to quit.")
        else:
            text = Text(f"No tui-track store at {message.path} yet.\n\n", style="bold")
            text.append(FIRST_RUN_SNIPPET.replace("{path}", str(message.path)))
        welcome.update(text)
        self.add_class("-no-runs")

    @on(ViewStateLoaded)
    def restore_view(self, message: ViewStateLoaded) -> None:
        """Bring back the sort, columns, filter and experiment this store was last shown with."""
        if self._view is not None:
            return
        if message.notice:
            self.notify(message.notice, severity="warning", timeout=8)
        state = self._view = message.state or ViewState()
        table = self.table
        table.sort_column, table.sort_descending = state.sort_column, state.sort_descending
        table.hidden, table.extra = set(state.hidden), set(state.extra)
        if self._wanted_experiment is None:  # `-e NAME` wins over the saved experiment
            self._wanted_experiment = state.experiment
            self._quiet_wanted = True
        if state.filter:
            self.apply_filter(state.filter)
        self.set_focus(self.table)

    def current_view(self) -> ViewState:
        table = self.table
        return ViewState(
            experiment=self.experiment_id,
            filter=self.filter_bar.active_text,
            sort_column=table.sort_column,
            sort_descending=table.sort_descending,
            hidden=sorted(table.hidden),
            extra=sorted(table.extra),
        )

    def _view_changed(self) -> None:
        """Save the view when it changed (after the saved one was restored)."""
        if self._view is None:
            return
        view = self.current_view()
        if view != self._view:
            self._view = view
            self.save_view(view)

    @work(thread=True, exclusive=True, exit_on_error=False, group="view-state")
    def save_view(self, view: ViewState) -> None:
        """Write the view-state file (a failure is reported like any worker's)."""
        save_view_state(self.store_path, view)

    @on(ActivityLoaded)
    def show_activity(self, message: ActivityLoaded) -> None:
        self._activity.update(message.activity)
        self.experiments = self._with_activity(self.experiments)
        self.experiment_list.show(self.experiments, keep=self.experiment_list.highlighted_id or self.experiment_id)

    def _with_activity(self, experiments: list[Experiment]) -> list[Experiment]:
        return [e._replace(last_activity=self._activity.get(e.id)) if e.run_count else e for e in experiments]

    @on(ExperimentsLoaded)
    def show_experiments(self, message: ExperimentsLoaded) -> None:
        self.experiments = self._with_activity(message.experiments)
        self._app.store = message.store  # the one Store every screen uses
        if not message.experiments:
            welcome = self.query_one("#welcome", Static)
            text = Text(f"The store at {self.where} has no runs yet.\n\n", style="bold")
            if self.remote_url is not None:
                text.append(f"Push runs to it: tui-track sync ./tui-track-store {self.remote_url}")
            else:
                text.append(FIRST_RUN_SNIPPET.replace("{path}", str(self.store_path)))
            welcome.update(text)
            self.add_class("-no-runs")
            return
        self.remove_class("-no-runs")
        wanted, self._wanted_experiment = self._wanted_experiment, None
        quiet, self._quiet_wanted = self._quiet_wanted, False
        chosen = None if wanted is None else next((e for e in message.experiments if wanted in (e.name, e.id)), None)
        # one highlight only: a second would leave the first's pending selection to fire after it
        self.experiment_list.show(self.experiments, keep=chosen.id if chosen else self.experiment_id)
        if self.experiment_id == ALL_EXPERIMENTS:
            self._set_experiment_names()
        if chosen is not None:
            self.select_experiment(chosen.id)
        elif wanted is not None and not quiet:  # a saved experiment that is gone: the first one shows quietly
            names = ", ".join(e.name for e in message.experiments)
            self.notify(f"no experiment {wanted!r} in this store; experiments: {names}", severity="warning")
        if self.experiment_id not in {e.id for e in message.experiments} | {ALL_EXPERIMENTS}:
            self.select_experiment(message.experiments[0].id)
        self._update_status()

    @on(RunsChanged)
    def show_runs(self, message: RunsChanged) -> None:
        if message.experiment_id != self.experiment_id:
            return
        table = self.table
        table.empty_text = "No runs match the filter (\\ clears it)" if table.predicate else "No runs yet"
        if message.first:
            self.last_load_seconds = message.seconds
            table.load(message.changed)
        else:
            table.apply_changes(message.changed, message.removed)
        current = table.cursor_run_id
        if current is not None and (message.first or current in message.changed):
            self._show_details(current, reload=True)

    @on(RunsUnreadable)
    def show_unreadable_runs(self, message: RunsUnreadable) -> None:
        """Say why the runs cannot be listed (live refresh goes on and shows them once readable)."""
        if message.experiment_id != self.experiment_id:
            return
        text = f"Cannot read the runs: {message.reason}"
        if self.table.empty_text != text:
            self.table.empty_text = text
            self.table.refresh()
            self.notify(text, severity="error", timeout=10)

    @on(DetailsLoaded)
    def show_loaded_details(self, message: DetailsLoaded) -> None:
        run = message.run or self.table.runs.get(message.run_id)
        if run is None or message.run_id != self.table.cursor_run_id:
            return
        self.query_one(DetailsPane).show(run, message.histories, message.artifacts, message.error)

    # ------------------------------------------------------------------ widget events
    def select_experiment(self, experiment_id: str) -> None:
        """Show the runs of another experiment (sort, hidden columns and filter carry over)."""
        if experiment_id == self.experiment_id:
            return
        if self._experiment_timer is not None:  # a highlight still resting elsewhere is overruled
            self._experiment_timer.stop()
        self.experiment_id = experiment_id
        self.experiment_list.follow(experiment_id)
        self.table.empty_text = "Loading runs…"
        self._set_experiment_names()
        self.table.load({})
        self.query_one(DetailsPane).show(None)
        self.load_runs(experiment_id)
        self._update_status()
        self._view_changed()

    @on(OptionList.OptionHighlighted, "#experiments")
    def experiment_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """Show the highlighted experiment once the cursor rests (scrolling past one reads nothing)."""
        experiment_id = event.option.id
        if experiment_id != self.experiment_list.highlighted_id:
            return  # stale: the cursor was moved again since (by the app opening another experiment)
        if self._experiment_timer is not None:  # the cursor moved on (or back): forget the earlier one
            self._experiment_timer.stop()
        if experiment_id is None or experiment_id == self.experiment_id:
            return
        self._experiment_timer = self.set_timer(EXPERIMENT_DELAY, lambda: self.select_experiment(experiment_id))

    @on(ExperimentList.MarksChanged)
    def experiment_marks_changed(self) -> None:
        """The all-experiments view follows the marks (the marked experiments' runs, or all when none)."""
        self.marked_experiments = self.experiment_list.marked
        self._update_status()
        if self.experiment_id == ALL_EXPERIMENTS and self.store is not None:
            self.load_runs(ALL_EXPERIMENTS)

    @on(OptionList.OptionSelected, "#experiments")
    def experiment_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.select_experiment(event.option.id)
        self.remove_class("-show-experiments")
        self.set_focus(self.table)

    @on(RunsTable.Highlighted)
    def run_highlighted(self, event: RunsTable.Highlighted) -> None:
        if event.run_id is None:
            grouping = self.table.groups.grouping if self.table.groups else None
            if event.group is not None and grouping is not None and event.group is self.table.cursor_group:
                self.query_one(DetailsPane).show_group(grouping, event.group)
            else:
                self.query_one(DetailsPane).show(None)
            return
        self._show_details(event.run_id, reload=True)

    @on(RunsTable.ViewChanged)
    def view_changed(self) -> None:
        self._update_status()
        self._view_changed()

    @on(RunsTable.Selected)
    def run_selected(self, event: RunsTable.Selected) -> None:
        if event.run_id is not None:
            self._app.open_run(event.run_id)

    def _show_details(self, run_id: str, reload: bool) -> None:
        run = self.table.runs.get(run_id)
        pane = self.query_one(DetailsPane)
        if run is None:
            pane.show(None)
            return
        if pane.run_id != run_id:
            pane.show(run)  # the summary at once; histories and artifacts after a short rest
        if reload and self.store is not None:
            if self._details_timer is not None:
                self._details_timer.stop()
            self._details_timer = self.set_timer(DETAILS_DELAY, lambda: self.load_details(run_id))

    # ------------------------------------------------------------------ filter
    def action_filter(self) -> None:
        self.filter_bar.open()

    def action_clear_filter(self) -> None:
        self.apply_filter("")

    @on(FilterBar.Submitted)
    def filter_submitted(self, event: FilterBar.Submitted) -> None:
        self.apply_filter(event.text)

    @on(FilterInput.Left)
    def filter_left(self) -> None:
        self.filter_bar.leave()
        self.set_focus(self.table)

    def apply_filter(self, text: str) -> bool:
        """Filter the runs with the query language; on a bad filter show why and keep the text."""
        if not text:
            self.table.set_filter(None)
            self.filter_bar.applied("")
            self.set_focus(self.table)
            self._view_changed()
            return True
        try:
            from tracker_core.query import QueryError, compile_filter
        except ImportError:
            self.filter_bar.show_error("filtering needs tracker_core.query, which this install lacks", None)
            return False
        try:
            predicate = compile_filter(text)
        except QueryError as exc:
            self.filter_bar.show_error(str(exc), getattr(exc, "column", None))
            return False
        self.table.empty_text = "No runs match the filter (\\ clears it)"
        self.table.set_filter(predicate)
        self.filter_bar.applied(text)
        self.set_focus(self.table)
        self._view_changed()
        return True

    # ------------------------------------------------------------------ panes
    def action_experiments(self) -> None:
        """Focus the experiments pane (on a narrow terminal it slides in over the table)."""
        if self.experiment_list.has_focus:
            self.remove_class("-show-experiments")
            self.set_focus(self.table)
            return
        self.add_class("-show-experiments")
        self.set_focus(self.experiment_list)

    def action_toggle_details(self) -> None:
        self.toggle_class("-hide-details")

    def action_reload(self) -> None:
        self.tick()

    def action_help(self) -> None:
        from ..commands_palette import key_actions
        from .help import HelpScreen

        self.app.push_screen(HelpScreen("runs", key_actions(self, self.focused)))

    # ------------------------------------------------------------------ other screens
    def _targets(self) -> list[str]:
        """Marked runs, else the run under the cursor."""
        marked = self.table.marked_ids()
        current = self.table.cursor_run_id
        return marked or ([current] if current else [])

    @property
    def _app(self) -> TuiTrackApp:
        return cast("TuiTrackApp", self.app)

    def action_compare(self) -> None:
        runs = self._targets()
        if len(runs) < 2:
            self.notify("Mark two or more runs with space, then press c", severity="warning")
            return
        self._app.open_compare(runs)

    def action_plot(self) -> None:
        runs = self._targets()
        if runs:
            self._app.open_chart(runs)

    def action_run_plot(self, kind: str) -> None:
        """A scatter or parallel coordinates of the runs the table shows (filtered), y/colour its sorted metric."""
        table = self.table
        metric = table.sort_column if table.sort_column and table.sort_column.startswith("metrics.") else None
        context = f"filter: {self.filter_bar.active_text}" if self.filter_bar.active_text else ""
        runs = table.shown_run_list()  # grouped too: every run of every group
        if kind == "scatter":
            self._app.open_scatter(runs, y=metric, context=context)
        else:
            self._app.open_parallel(runs, metric=metric, context=context)

    def action_artifacts(self) -> None:
        if self.table.cursor_run_id:
            self._app.open_artifacts(self.table.cursor_run_id)

    def action_models(self) -> None:
        self._app.open_registry()

    # ------------------------------------------------------------------ managing runs (screens/manage.py)
    def refresh_runs_now(self) -> None:
        """Re-read the shown runs at once, every run file stat'ed (a rename changes no directory)."""
        self._sweep_next = True
        if self.store is not None and self.experiment_id is not None:
            self.load_runs(self.experiment_id)

    def action_toggle_deleted(self) -> None:
        """Switch between the runs and the deleted runs of the experiment."""
        self.show_deleted = not self.show_deleted
        self.table.marks.clear()
        self.table.empty_text = "Loading runs…"
        self.table.load({})
        self.query_one(DetailsPane).show(None)
        self._update_status()
        if self.store is not None and self.experiment_id is not None:
            self.load_runs(self.experiment_id)
        if self.show_deleted:
            self.notify("Deleted runs: x restores the marked (or highlighted) runs, X goes back")

    def _set_experiment_names(self) -> None:
        """The all-experiments view shows an experiment column; one experiment's runs do not."""
        everything = self.experiment_id == ALL_EXPERIMENTS
        self.table.experiment_names = {e.id: e.name for e in self.experiments} if everything else None

    def action_all_experiments(self) -> None:
        """The runs of every experiment in one table (again: back to the highlighted experiment)."""
        if self.experiment_id == ALL_EXPERIMENTS:
            back = self.experiment_list.highlighted_id
            if back in (None, ALL_EXPERIMENTS) and self.experiments:
                back = self.experiments[0].id
            if back is not None:
                self.select_experiment(back)
            return
        self.select_experiment(ALL_EXPERIMENTS)

    def action_toggle_tree(self) -> None:
        """List child runs under their parents (z folds a parent), or flat again."""
        self.table.set_tree(not self.table.tree_view)
        self._update_status()

    def action_fold(self) -> None:
        if not self.table.tree_view:
            self.notify("T shows the run tree first; z then folds a parent's children", severity="warning")
        elif not self.table.toggle_collapse():
            self.notify("this run has no child runs", severity="warning")

    @work(group=DIALOG_GROUP)  # not exclusive: it must not cancel a dialog worker still saving a change
    async def action_pick_columns(self) -> None:
        """Choose the runs table's columns from a list of every metric, param and tag."""
        from .columns import ColumnPicker

        keys = await self.app.push_screen_wait(ColumnPicker(self.table.column_choices()))
        if keys is not None:
            self.table.show_columns(keys)

    @work(group=DIALOG_GROUP)  # not exclusive: it must not cancel a dialog worker still saving a change
    async def action_group_by(self) -> None:
        """Pick the params or tags to group the runs by (none ticked: ungrouped)."""
        from .columns import ColumnPicker

        choices = self.table.group_key_choices()
        if not choices:
            self.notify("These runs have no params or tags to group by", severity="warning")
            return
        keys = await self.app.push_screen_wait(ColumnPicker(choices, title="Group by"))
        if keys is not None:
            self.table.group_by(keys)

    @work(exclusive=True, group=DIALOG_GROUP)
    async def action_find(self) -> None:
        """Jump to a run by (fuzzy) name or id prefix."""
        from .find import FindScreen

        table = self.table
        names = {e.id: e.name for e in self.experiments}
        run_id = await self.app.push_screen_wait(FindScreen(list(table.runs.values()), names))
        if run_id is None:
            return
        if not table.move_to(run_id):  # hidden by the filter: clear it, then jump
            self.apply_filter("")
            table.move_to(run_id)
            self.notify("the filter hid that run; cleared it")
        self.set_focus(table)

    # ------------------------------------------------------------------ status line
    def _update_status(self) -> None:
        table = self.table
        exp = next((e for e in self.experiments if e.id == self.experiment_id), None)
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" tui-track ", style="bold reverse")
        title = exp.name if exp else "—"
        if self.experiment_id == ALL_EXPERIMENTS:
            marked = len(self.marked_experiments)
            title = f"{marked} marked experiment{'s' if marked != 1 else ''}" if marked else "all experiments"
        text.append(f" {title} ", style="bold")
        if self.remote_error is not None:
            text.append("· remote unreachable, showing the last pull ", style="bold red")
        if table.tree_view:
            text.append("· tree ")
        if self.show_deleted:
            text.append("· deleted runs (x restores, X leaves) ", style="bold reverse")
        shown, total = table.shown_runs, len(table.runs)
        text.append(f"· {shown}/{total} runs " if shown != total else f"· {total} runs ")
        if table.groups is not None and table.groups.grouping is not None:
            count = len(table.groups.grouping.groups)
            text.append(f"· grouped by {table.groups.title} ({count} group{'s' if count != 1 else ''}) ", style="bold")
        if table.sort_column:
            arrow = "▼" if table.sort_descending else "▲"
            text.append(f"· sort {table.sort_column.split('.', 1)[-1]}{arrow} ")
        if table.marks:
            text.append(f"· {len(table.marks)} marked ", style="bold")
        if self.filter_bar.active_text:
            text.append(f"· filter: {self.filter_bar.active_text}", style="italic")
        line = self.query_one("#status-line", Static)
        text.truncate(line.size.width or self.app.size.width, overflow="ellipsis")  # a cut filter ends in …
        line.update(text)

    def on_resize(self) -> None:
        self._update_status()


SPARK_POINTS = 256
"""Buckets a details-pane history is cut to (min/max/last each); a shorter history comes whole."""


def _columns(series: Any) -> tuple[list[int], list[float], list[float]]:
    return series.steps.tolist(), series.values.tolist(), series.times.tolist()


def _covers(index: RunIndex, experiment_id: str) -> bool:
    """Whether ``index`` lists every run of the experiment (and so knows its last activity)."""
    if index.experiment_id is not None:
        return index.experiment_id == experiment_id
    return index.only is None or experiment_id in index.only
