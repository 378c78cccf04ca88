"""Subcommands of ``tui-track``; each module has ``register(group)``."""
