"""The store's JSON documents on disk: the one place that reads and writes them.

Each function joins a path of :mod:`.layout` with the checks of :mod:`.codecs`, so a module that
needs a run's or an experiment's document (the store, the run writer, sync, import and export)
never opens the file itself. ``metrics.jsonl`` goes through :mod:`.append`; the registry's files
through :mod:`tracker_core.registry.codecs`.
"""

from __future__ import annotations

import os
from typing import Any

from ..jsonio import read_bytes_stat, read_json, write_json_atomic
from ..records import Experiment
from . import codecs
from .layout import EXPERIMENT_FILE, run_file

PathLike = str | os.PathLike[str]


def read_marker_version(marker: PathLike) -> int:
    """The format version the store marker ``marker`` declares (raises :class:`CorruptFileError` or ``OSError``)."""
    return codecs.decode_marker(read_json(marker))


def write_marker(marker: PathLike, created: float) -> None:
    """Write the marker of a new store."""
    write_json_atomic(marker, codecs.encode_marker(created))


def load_experiment(exp_dir: PathLike) -> Experiment:
    """The experiment of ``exp_dir`` (counts left at zero); raises :class:`CorruptFileError` or ``OSError``."""
    return codecs.decode_experiment(read_json(os.path.join(exp_dir, EXPERIMENT_FILE)), os.path.basename(exp_dir))


def read_experiment_doc(exp_dir: PathLike) -> dict[str, Any]:
    """The parsed ``experiment.json`` of ``exp_dir`` as a document to change or copy, checked like
    :func:`load_experiment` (raises :class:`CorruptFileError` or ``OSError``)."""
    data = read_json(os.path.join(exp_dir, EXPERIMENT_FILE))
    codecs.decode_experiment(data, os.path.basename(exp_dir))
    return data  # type: ignore[no-any-return]


def write_experiment_doc(exp_dir: PathLike, data: dict[str, Any]) -> None:
    """Replace the ``experiment.json`` of ``exp_dir`` atomically."""
    write_json_atomic(os.path.join(exp_dir, EXPERIMENT_FILE), data)


def read_run_doc(run_dir: PathLike) -> Any:
    """The parsed ``run.json`` of ``run_dir``, read raw (tagged floats left tagged for its codec)."""
    return read_json(run_file(run_dir), raw=True)


def read_run_bytes_stamped(run_dir: PathLike) -> tuple[bytes, codecs.Stamp]:
    """The bytes of the ``run.json`` of ``run_dir`` (for :func:`~.codecs.decode_run_bytes`) and the
    :data:`~.codecs.Stamp` of the file read."""
    data, st = read_bytes_stat(run_file(run_dir))
    return data, codecs.stamp_of(st)


def run_doc_stamp(run_dir: PathLike) -> codecs.Stamp:
    """The :data:`~.codecs.Stamp` of the ``run.json`` of ``run_dir`` now; zeros when it cannot be stat'ed."""
    try:
        return codecs.stamp_of(os.stat(run_file(run_dir)))
    except OSError:
        return (0, 0, 0)


def write_run_doc(run_dir: PathLike, data: dict[str, Any], *, fsync: bool = True) -> None:
    """Replace the ``run.json`` of ``run_dir`` atomically."""
    write_json_atomic(run_file(run_dir), data, fsync=fsync)
