"""The keys of the current screen, for the help screen and the command palette (one source of truth).

The palette's :class:`ScreenActions` provider offers every binding of the screen it was opened
from (the focused widget's first, then its containers' up to the screen), so ctrl+p always
shows what the keys of that screen do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import Widget

HIDDEN_ACTIONS = {"command_palette"}


@dataclass(frozen=True)
class KeyAction:
    """One action reachable from the keyboard: its keys, what it does, and the node that runs it."""

    keys: str
    description: str
    action: str
    node: DOMNode


def key_actions(screen: Screen[Any], focused: Widget | None = None) -> list[KeyAction]:
    """Every bound action active on ``screen`` (focused widget first, then up to the app), keys merged."""
    app = screen.app
    chain: list[DOMNode] = list(focused.ancestors_with_self) if focused is not None else [screen, app]
    if screen not in chain:
        chain[-1:-1] = [screen]
    found: dict[str, KeyAction] = {}
    order: list[str] = []
    for node in chain:
        for binding in _bindings(node):
            if binding.action in HIDDEN_ACTIONS or not binding.description:
                continue
            key = app.get_key_display(binding)
            if binding.action in found:
                current = found[binding.action]
                if key not in current.keys.split(" / ") and current.node is node:
                    found[binding.action] = KeyAction(
                        f"{current.keys} / {key}", current.description, binding.action, node
                    )
                continue
            found[binding.action] = KeyAction(key, binding.description, binding.action, node)
            order.append(binding.action)
    return [found[a] for a in order]


def _bindings(node: DOMNode) -> Iterator[Binding]:
    for bindings in node._bindings.key_to_bindings.values():
        yield from bindings


class ScreenActions(Provider):
    """Command palette entries for the actions of the screen it was opened from."""

    def _actions(self) -> list[KeyAction]:
        return key_actions(self.screen, self.focused)

    def _run(self, item: KeyAction) -> None:
        self.app.call_later(partial(self.app.run_action, item.action, item.node))

    async def discover(self) -> Hits:
        for item in self._actions():
            yield DiscoveryHit(f"{item.description}  ({item.keys})", partial(self._run, item))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for item in self._actions():
            text = f"{item.description}  ({item.keys})"
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), partial(self._run, item))
