"""Screens of the tui-track app."""
