"""The experiments pane: each experiment's name, run count and last activity; ``space`` marks
experiments (``*``), and the all-experiments view then shows only the marked ones."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tracker_core.records import Experiment

from ..formatting import short_time

ALL_EXPERIMENTS = "*"
"""The option id (and the main screen's experiment id) of the view of every experiment's runs."""


MARK = "* "
"""Before a marked experiment's name: a mark readable without colour (as the runs table's ``*``)."""


def experiment_prompt(exp: Experiment, marked: bool = False) -> Text:
    """Two lines: the name (after :data:`MARK` when marked), then ``N runs · MM-DD HH:MM`` of the latest
    activity (just ``N runs`` while it is being read)."""
    runs = f"{exp.run_count} run{'' if exp.run_count == 1 else 's'}"
    if not exp.run_count:
        last = " · no runs yet"
    else:
        last = f" · {short_time(exp.last_activity)}" if exp.last_activity is not None else ""
    text = Text(style="bold", overflow="ellipsis", no_wrap=True)
    if marked:
        text.append(MARK, style="reverse")
    text.append(exp.name)
    text.append(f"\n{runs}{last}", style="dim")
    return text


class ExperimentList(OptionList):
    """Experiments by name; highlighting one shows its runs (option ids are experiment ids)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
        Binding("space", "toggle_mark", "Mark experiment (all experiments: only the marked)"),
    ]

    class MarksChanged(Message):
        """Experiments were marked or unmarked (:attr:`ExperimentList.marked` holds the marked ids)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.experiments: list[Experiment] = []
        self.marked: frozenset[str] = frozenset()
        """Ids of the marked experiments (of those listed)."""

    def show(self, experiments: list[Experiment], keep: str | None) -> None:
        """Replace the list only if something shown changed; keep ``keep`` (an experiment id) highlighted."""
        if [self._shown(e) for e in experiments] == [self._shown(e) for e in self.experiments]:
            return
        self.experiments = experiments
        marked = self.marked & {e.id for e in experiments}  # an experiment that is gone is no longer marked
        self._fill(keep)
        if marked != self.marked:
            self.marked = marked
            self.post_message(self.MarksChanged())

    def _fill(self, keep: str | None) -> None:
        experiments = self.experiments
        options = [Option(experiment_prompt(e, e.id in self.marked), id=e.id) for e in experiments]
        if len(experiments) > 1:  # last, so the cursor starts on the first experiment as before
            shown = [e for e in experiments if e.id in self.marked] or experiments
            total = sum(e.run_count for e in shown)
            title = "All experiments" if len(shown) == len(experiments) else "Marked experiments"
            prompt = Text(title, style="bold italic")
            which = f"{len(shown)} marked · " if len(shown) < len(experiments) else ""
            prompt.append(f"\n{which}{total} run{'' if total == 1 else 's'} · key A", style="dim")
            options.append(Option(prompt, id=ALL_EXPERIMENTS))
        self.set_options(options)
        ids = [o.id for o in options]
        if keep in ids:
            self.highlighted = ids.index(keep)
        elif ids:
            self.highlighted = 0  # the first experiment

    def follow(self, experiment_id: str) -> None:
        """Put the cursor on ``experiment_id`` (the experiment the app now shows), if it is listed."""
        ids = [self.get_option_at_index(i).id for i in range(self.option_count)]
        if experiment_id in ids:
            self.highlighted = ids.index(experiment_id)

    def action_toggle_mark(self) -> None:
        """Mark or unmark the highlighted experiment; the cursor moves to the next one."""
        experiment_id = self.highlighted_id
        if experiment_id is None or experiment_id == ALL_EXPERIMENTS:
            self.notify("Mark experiments with space; this entry then shows the runs of the marked ones")
            return
        self.marked = self.marked ^ {experiment_id}
        position = self.highlighted or 0
        self._fill(experiment_id)
        self.highlighted = min(position + 1, self.option_count - 1)
        self.post_message(self.MarksChanged())

    @staticmethod
    def _shown(exp: Experiment) -> tuple[str, str, int, float | None]:
        return (exp.id, exp.name, exp.run_count, exp.last_activity)

    @property
    def highlighted_id(self) -> str | None:
        option = self.highlighted_option
        return None if option is None else option.id
