"""Widgets of the tui-track app."""
