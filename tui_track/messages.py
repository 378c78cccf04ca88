"""Messages that workers post to the main screen once disk work is done (attributes down, messages up).

Workers run in threads and never touch widgets: they read through ``tracker_core`` and post
one of these; the screen's ``@on`` handlers change the widgets on the UI thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from textual.message import Message

from tracker_core.records import ArtifactInfo, Experiment, MetricPoint, RunSummary
from tracker_core.store import Store

from .view_state import ViewState


@dataclass
class StoreMissing(Message):
    """No store can be opened at ``path`` (or ``s3://`` URL): none yet (``reason`` empty), or ``reason`` says why."""

    path: Path | str
    reason: str


@dataclass
class ExperimentsLoaded(Message):
    """The store's experiments, freshly listed, and the store they were read from."""

    experiments: list[Experiment]
    store: Store


@dataclass
class ActivityLoaded(Message):
    """The last activity of experiments (by id; None: no runs), taken after their runs were read."""

    activity: dict[str, float | None]


@dataclass
class RunsChanged(Message):
    """Runs of one experiment that appeared or changed (``changed``) or vanished (``removed``).

    ``first`` is true for the first load of an experiment: ``changed`` then holds every run.
    ``seconds`` is how long the disk work took.
    """

    experiment_id: str
    changed: dict[str, RunSummary]
    removed: list[str]
    first: bool = field(kw_only=True)
    seconds: float = field(default=0.0, kw_only=True)


@dataclass
class DetailsLoaded(Message):
    """What the details pane shows of one run beyond its summary: the full run (with its
    environment), metric histories and artifacts, or the error that stopped reading them."""

    run_id: str
    run: RunSummary | None
    histories: dict[str, list[MetricPoint]]
    artifacts: list[ArtifactInfo]
    error: str | None = None


@dataclass
class RunsUnreadable(Message):
    """The runs of ``experiment_id`` could not be listed; ``reason`` says why."""

    experiment_id: str
    reason: str


@dataclass
class ViewStateLoaded(Message):
    """The main screen's saved view of this store (None: none saved), and why a saved one was ignored."""

    state: ViewState | None
    notice: str | None


@dataclass
class RemoteRefreshed(Message):
    """A pull of an ``s3://`` store's remote into its mirror ended: ``changed`` something, or ``error`` says why not."""

    url: str
    changed: bool
    error: str | None = None
