"""The experiments pane: each experiment's name, run count and last activity."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tracker_core.records import Experiment

from .runs_table import short_time

ALL_EXPERIMENTS = "*"
"""The option id (and the main screen's experiment id) of the view of every experiment's runs."""


def experiment_prompt(exp: Experiment) -> Text:
    """Two lines: the name, then ``N runs · MM-DD HH:MM`` of the latest run."""
    runs = f"{exp.run_count} run{'' if exp.run_count == 1 else 's'}"
    last = short_time(exp.last_activity) if exp.last_activity else "no runs yet"
    text = Text(exp.name, style="bold", overflow="ellipsis", no_wrap=True)
    text.append(f"\n{runs} · {last}", style="dim")
    return text


class ExperimentList(OptionList):
    """Experiments by name; highlighting one shows its runs (option ids are experiment ids)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", show=False),
        Binding("k", "cursor_up", "Up", show=False),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.experiments: list[Experiment] = []

    def show(self, experiments: list[Experiment], keep: str | None) -> None:
        """Replace the list only if something shown changed; keep ``keep`` (an experiment id) highlighted."""
        if [self._shown(e) for e in experiments] == [self._shown(e) for e in self.experiments]:
            return
        self.experiments = experiments
        options = [Option(experiment_prompt(e), id=e.id) for e in experiments]
        if len(experiments) > 1:  # last, so the cursor starts on the first experiment as before
            total = sum(e.run_count for e in experiments)
            prompt = Text("All experiments", style="bold italic")
            prompt.append(f"\n{total} run{'' if total == 1 else 's'} · A", style="dim")
            options.append(Option(prompt, id=ALL_EXPERIMENTS))
        self.set_options(options)
        ids = [o.id for o in options]
        if keep in ids:
            self.highlighted = ids.index(keep)
        elif ids:
            self.highlighted = 0  # the first experiment

    @staticmethod
    def _shown(exp: Experiment) -> tuple[str, str, int, float | None]:
        return (exp.id, exp.name, exp.run_count, exp.last_activity)

    @property
    def highlighted_id(self) -> str | None:
        option = self.highlighted_option
        return None if option is None else option.id
