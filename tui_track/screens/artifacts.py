"""Browse a run's artifacts as a tree and preview them: text, JSON, CSV as a table, model sidecars.

Nothing is ever unpickled: a logged model is described by its JSON sidecar, and other binary
files by their size.
"""

from __future__ import annotations

import csv
import io
import json
import posixpath
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.message import Message
from textual.widgets import ContentSwitcher, DataTable, Footer, Static, TextArea, Tree
from textual.widgets.tree import TreeNode

from tracker_core.errors import TrackerError
from tracker_core.model_io import SIDECAR_FILE, SIDECAR_FORMAT
from tracker_core.records import ArtifactInfo
from tracker_core.store import Store

from ..formatting import short_id
from ..widgets.details import human_size as size_text
from ..widgets.facts import plain
from .base import TrackerScreen

MAX_TEXT_BYTES = 256 * 1024
MAX_CSV_ROWS = 200
PICKLE_SUFFIXES = frozenset((".joblib", ".pkl", ".pickle", ".pt", ".pth", ".ckpt"))
BINARY_SUFFIXES = (
    PICKLE_SUFFIXES
    | {".bin", ".npy", ".npz", ".h5", ".hdf5", ".onnx", ".parquet", ".so"}
    | {".png", ".jpg", ".jpeg", ".gif", ".pdf", ".zip", ".gz", ".tar"}
)


@dataclass
class Preview:
    """What to show for one artifact: ``kind`` is text, json, csv, model, binary, dir or error."""

    path: str
    kind: str
    summary: str
    text: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


def _decode(head: bytes) -> str | None:
    """UTF-8 text, or None for binary content (a multibyte character cut at the end is fine)."""
    if b"\0" in head:
        return None
    try:
        return head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:
            return head[: exc.start].decode("utf-8")
        return None


def model_dirs(artifacts: list[ArtifactInfo]) -> set[str]:
    """Directories holding a logged model (a ``model.json`` sidecar)."""
    return {posixpath.dirname(a.path) for a in artifacts if posixpath.basename(a.path) == SIDECAR_FILE}


def read_preview(store: Store, run_id: str, info: ArtifactInfo, is_model: bool = False) -> Preview:
    """Read enough of one artifact to show it (worker thread; never unpickles)."""
    name = posixpath.basename(info.path)
    suffix = posixpath.splitext(name)[1].lower()
    if is_model:
        sidecar = store.model_info(run_id, info.path)
        return Preview(
            info.path,
            "model",
            f"logged model · {sidecar.get('class', '?')} · {sidecar.get('serializer', '?')} · "
            f"{size_text(int(sidecar.get('size', 0)))} (sidecar only: the model file is never unpickled here)",
            json.dumps(sidecar, indent=2, ensure_ascii=False),
        )
    if info.is_dir:
        return Preview(info.path, "dir", f"directory {info.path}/ · enter expands or collapses it")
    if suffix in BINARY_SUFFIXES:
        note = " · a pickle: not opened, since unpickling runs code" if suffix in PICKLE_SUFFIXES else ""
        return Preview(info.path, "binary", f"binary file · {size_text(info.size)}{note}")
    path = store.artifact_path(run_id, info.path)
    with open(path, "rb") as fh:
        head = fh.read(MAX_TEXT_BYTES)
    text = _decode(head)
    if text is None:
        return Preview(info.path, "binary", f"binary file · {size_text(info.size)} · no preview")
    truncated = info.size > len(head)
    more = f" · first {size_text(len(head))} shown" if truncated else ""
    if suffix == ".json" and not truncated:
        try:
            data: Any = json.loads(text)
        except ValueError as exc:
            return Preview(info.path, "text", f"JSON that does not parse ({exc}) · {size_text(info.size)}", text)
        if name == SIDECAR_FILE and isinstance(data, dict) and data.get("format") == SIDECAR_FORMAT:
            return read_preview(store, run_id, ArtifactInfo(posixpath.dirname(info.path), 0, True), is_model=True)
        return Preview(
            info.path, "json", f"JSON · {size_text(info.size)}", json.dumps(data, indent=2, ensure_ascii=False)
        )
    if suffix in (".csv", ".tsv"):
        reader = csv.reader(io.StringIO(text), delimiter="\t" if suffix == ".tsv" else ",")
        rows = [row for _, row in zip(range(MAX_CSV_ROWS + 1), reader, strict=False)]
        if rows:
            header, body = rows[0], rows[1:]
            width = max(len(r) for r in rows)
            header = header + [f"col{i + 1}" for i in range(len(header), width)]
            body = [r + [""] * (width - len(r)) for r in body]
            shown = f"first {len(body)} rows" if len(body) == MAX_CSV_ROWS or truncated else f"{len(body)} rows"
            return Preview(info.path, "csv", f"CSV · {shown} · {size_text(info.size)}", columns=header, rows=body)
    return Preview(info.path, "text", f"text · {size_text(info.size)}{more}", text)


class ArtifactsScreen(TrackerScreen):
    """The artifact tree of one run on the left, a preview of the highlighted file on the right."""

    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]] | None] = [(0, "-narrow"), (100, "-wide")]  # type: ignore[misc]
    HELP_TITLE: ClassVar[str] = "artifacts"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "switch_pane", "Tree/preview"),
        Binding("r", "reload", "Reload", show=False),
    ]

    @dataclass
    class Listed(Message):
        """The run's artifacts, listed by the worker."""

        run_name: str
        artifacts: list[ArtifactInfo]

    @dataclass
    class Previewed(Message):
        """A preview, read by the worker."""

        preview: Preview

    def __init__(self, store: Store, run_id: str) -> None:
        super().__init__()
        self.store = store
        self.run_id = run_id
        self.preview: Preview | None = None
        self._models: set[str] = set()

    def compose(self) -> ComposeResult:
        yield Static(f"Artifacts of run {short_id(self.run_id)}…", id="artifacts-title", classes="screen-title")
        with Horizontal(id="artifacts-body"):
            tree: Tree[ArtifactInfo] = Tree("artifacts", id="artifacts-tree")
            tree.show_root = False
            yield tree
            with Vertical(id="artifacts-preview"):
                yield Static("Highlight a file to preview it.", id="preview-summary", classes="note")
                with ContentSwitcher(initial="preview-text", id="preview-switcher"):
                    yield TextArea("", id="preview-text", read_only=True, soft_wrap=True)  # long lines wrap, never cut
                    table: DataTable[Any] = DataTable(id="preview-table", zebra_stripes=True)
                    yield table
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#artifacts-tree", Tree).focus()
        self.list_artifacts()

    @work(thread=True, exclusive=True, exit_on_error=False, group="artifacts-list")
    def list_artifacts(self) -> None:
        """List the run's artifacts (worker thread)."""
        try:
            run = self.store.get_run(self.run_id)
            self.run_id = run.id
            artifacts = self.store.list_artifacts(run.id)
        except (TrackerError, OSError) as exc:
            self.notify(f"cannot list artifacts of run {short_id(self.run_id)}: {exc}", severity="error")
            return
        self.post_message(self.Listed(run.name, artifacts))

    @on(Listed)
    def _listed(self, message: Listed) -> None:
        self._models = model_dirs(message.artifacts)
        total = sum(a.size for a in message.artifacts)
        files = sum(1 for a in message.artifacts if not a.is_dir)
        self.query_one("#artifacts-title", Static).update(
            f"Artifacts of [b]{escape(message.run_name)}[/b] · {files} files · {size_text(total)}"
        )
        tree: Tree[ArtifactInfo] = self.query_one("#artifacts-tree", Tree)
        tree.clear()
        nodes: dict[str, TreeNode[ArtifactInfo]] = {"": tree.root}
        for info in message.artifacts:
            parent_path, name = posixpath.split(info.path)
            parent = nodes.get(parent_path, tree.root)
            if info.is_dir:
                label = f"{name}/  (logged model)" if info.path in self._models else f"{name}/"
                nodes[info.path] = parent.add(Text(label), data=info, expand=info.path not in self._models)
            else:
                parent.add_leaf(Text(f"{name}  {size_text(info.size)}"), data=info)
        if not message.artifacts:
            self.query_one("#preview-summary", Static).update(
                "This run has no artifacts. Log some with run.log_artifact(path), log_text, log_dict or log_model."
            )
        else:
            tree.move_cursor(tree.root.children[0] if tree.root.children else None)

    @on(Tree.NodeHighlighted, "#artifacts-tree")
    def _highlighted(self, event: Tree.NodeHighlighted[ArtifactInfo]) -> None:
        info = event.node.data
        if info is not None:
            self.load_preview(info)

    @work(thread=True, exclusive=True, exit_on_error=False, group="artifacts-preview")
    def load_preview(self, info: ArtifactInfo) -> None:
        """Read the preview of one artifact (worker thread)."""
        try:
            preview = read_preview(self.store, self.run_id, info, info.path in self._models)
        except (TrackerError, OSError) as exc:
            preview = Preview(info.path, "error", f"cannot preview {info.path}: {exc}")
        self.post_message(self.Previewed(preview))

    @on(Previewed)
    def _previewed(self, message: Previewed) -> None:
        preview = self.preview = message.preview
        self.query_one("#preview-summary", Static).update(f"[b]{escape(preview.path)}[/b] · {escape(preview.summary)}")
        switcher = self.query_one("#preview-switcher", ContentSwitcher)
        if preview.kind == "csv":
            table: DataTable[Any] = self.query_one("#preview-table", DataTable)
            table.clear(columns=True)
            table.add_columns(*plain(*preview.columns))
            table.add_rows(plain(*row) for row in preview.rows)
            switcher.current = "preview-table"
        else:
            self.query_one("#preview-text", TextArea).load_text(preview.text)
            switcher.current = "preview-text"

    def action_switch_pane(self) -> None:
        """Move between the tree and the preview."""
        tree = self.query_one("#artifacts-tree", Tree)
        if tree.has_focus:
            current = self.query_one("#preview-switcher", ContentSwitcher).current or "preview-text"
            self.query_one(f"#{current}").focus()
        else:
            tree.focus()

    def action_reload(self) -> None:
        """List the artifacts again."""
        self.list_artifacts()
