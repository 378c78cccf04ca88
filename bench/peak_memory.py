"""The peak memory of this process, for benchmarks that run what they measure in a child process.

``getrusage(RUSAGE_SELF).ru_maxrss`` is not that on Linux: a child started by fork and exec keeps the
high-water mark of the parent it was forked from (a benchmark that has built a large store reports that
store's memory as the child's). ``VmHWM`` in ``/proc/self/status`` belongs to the child's own memory.
"""

from __future__ import annotations

import os

HERE = os.path.dirname(os.path.abspath(__file__))


def peak_mb() -> float:
    """This process's peak resident memory in MB (``VmHWM``; ``ru_maxrss`` where /proc is missing)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_env() -> dict[str, str]:
    """The environment for a ``python -c`` child that imports this module."""
    paths = [HERE, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
