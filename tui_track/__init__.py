"""tui_track: the ``tui-track`` command: a Textual app and scriptable subcommands over tracker_core."""
