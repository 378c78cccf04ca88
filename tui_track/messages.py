"""Messages that workers post to the main screen once disk work is done (attributes down, messages up).

Workers run in threads and never touch widgets: they read through ``tracker_core`` and post
one of these; the screen's ``@on`` handlers change the widgets on the UI thread.
"""

from __future__ import annotations

from pathlib import Path

from textual.message import Message

from tracker_core.records import ArtifactInfo, Experiment, MetricPoint, RunSummary


class StoreMissing(Message):
    """No store can be opened at ``path``: none yet (``reason`` empty), or ``reason`` says what is wrong."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__()
        self.path = path
        self.reason = reason


class ExperimentsLoaded(Message):
    """The store's experiments, freshly listed."""

    def __init__(self, experiments: list[Experiment]) -> None:
        super().__init__()
        self.experiments = experiments


class RunsChanged(Message):
    """Runs of one experiment that appeared or changed (``changed``) or vanished (``removed``).

    ``first`` is true for the first load of an experiment: ``changed`` then holds every run.
    ``seconds`` is how long the disk work took.
    """

    def __init__(
        self,
        experiment_id: str,
        changed: dict[str, RunSummary],
        removed: list[str],
        *,
        first: bool,
        seconds: float = 0.0,
    ) -> None:
        super().__init__()
        self.experiment_id = experiment_id
        self.changed = changed
        self.removed = removed
        self.first = first
        self.seconds = seconds


class DetailsLoaded(Message):
    """What the details pane shows of one run beyond its summary: the full run (with its
    environment), metric histories and artifacts."""

    def __init__(
        self,
        run_id: str,
        run: RunSummary | None,
        histories: dict[str, list[MetricPoint]],
        artifacts: list[ArtifactInfo],
        error: str | None = None,
    ) -> None:
        super().__init__()
        self.run_id = run_id
        self.run = run
        self.histories = histories
        self.artifacts = artifacts
        self.error = error
