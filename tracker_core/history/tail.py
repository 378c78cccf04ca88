"""Follow a live history: read only the lines appended since the last read."""

from __future__ import annotations

from pathlib import Path

from .parse import CHUNK, parse_bytes
from .series import Series


class HistoryTail:
    """Reads ``metrics.jsonl`` from a byte offset on; each :meth:`read` returns only the new complete lines' points.

    A torn or half-written last line is not consumed: it is read again, whole, on a later call.
    If the file shrinks below the offset (replaced or cut), :attr:`reset` is set and reading starts over.
    """

    def __init__(self, path: Path, offset: int = 0) -> None:
        self.path = path
        self.offset = offset
        self.bytes_read = 0
        """Bytes read from the file over this object's life (what a live view costs)."""
        self.reset = False

    def read(self) -> dict[str, Series]:
        """The points appended since the last call, by key (logged order kept within equal steps)."""
        try:
            fh = open(self.path, "rb")  # noqa: SIM115 - closed by the with below
        except FileNotFoundError:
            return {}
        out: dict[str, list[object]] = {}
        with fh:
            import os

            size = os.fstat(fh.fileno()).st_size
            self.reset = size < self.offset
            if self.reset:
                self.offset = 0
            fh.seek(self.offset)
            carry = b""
            while True:
                chunk = fh.read(CHUNK)
                if not chunk:
                    break
                self.bytes_read += len(chunk)
                data = carry + chunk
                parsed = parse_bytes(data)
                carry = data[parsed.consumed :]
                self.offset += parsed.consumed
                for key, col in parsed.columns.items():
                    out.setdefault(key, []).append(col)
        import numpy as np

        return {
            key: Series.from_records(key, cols[0] if len(cols) == 1 else np.concatenate(cols))  # type: ignore[arg-type]
            for key, cols in out.items()
        }
