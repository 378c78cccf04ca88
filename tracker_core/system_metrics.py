"""System metrics of an open run: host CPU and memory, the process's RSS, disk and network I/O, NVIDIA GPUs.

A daemon thread per top-level run samples every ``interval`` seconds (10 by default) and logs
metrics under ``system/`` through :meth:`Run.log_metrics`, off the logging hot path; it stops
when the run ends (finished, failed, killed, SIGTERM, interpreter exit). The first sample comes
one interval after the start (CPU percentages are measured over the interval).

Keys: ``system/cpu_percent`` (all cores of the host), ``system/memory_used_mb``,
``system/memory_percent``, ``system/process_rss_mb``, ``system/process_cpu_percent`` (100 = one
core), ``system/disk_read_mb``/``system/disk_write_mb`` and ``system/net_sent_mb``/
``system/net_recv_mb`` (host totals since the run started) and, per GPU visible to the process
(``CUDA_VISIBLE_DEVICES`` respected, numbered as the process sees them),
``system/gpu<i>/utilization_percent``, ``memory_used_mb``, ``temperature_c`` and ``power_w``.

Needs psutil (the ``system`` extra) for the host and nvidia-ml-py (``gpu``) for GPUs; without
either, or without a GPU, those keys are absent and nothing fails. Off with
``start_run(system_metrics=False)``, ``system_metrics = false`` in the config file or
``TUI_TRACK_SYSTEM_METRICS=0``; the period from ``system_metrics_interval`` (argument or config).
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TYPE_CHECKING, Any

from .errors import TrackerError, ValidationError
from .validation import shown

if TYPE_CHECKING:
    from .run import Run

PREFIX = "system/"
DEFAULT_INTERVAL = 10.0
MIN_INTERVAL = 0.05
ENV_SWITCH = "TUI_TRACK_SYSTEM_METRICS"
_MB = 1024.0 * 1024.0


def is_system_metric(key: str) -> bool:
    """Whether ``key`` is one the sampler logs (the app groups these apart)."""
    return key.startswith(PREFIX)


def resolve(enabled: bool | None, interval: float | None) -> float | None:
    """The sampling period the arguments and config ask for, or None when sampling is off."""
    if enabled is not None and not isinstance(enabled, bool):
        raise ValidationError(f"system_metrics must be True or False, got {shown(enabled)}")
    if interval is not None:
        interval = _interval(interval, "system_metrics_interval")
    if enabled is False:
        return None
    if enabled is None:
        from .config import load_settings, switched_off

        if switched_off(ENV_SWITCH, "system_metrics"):
            return None
        settings = load_settings()
        if interval is None and settings.get("system_metrics_interval") is not None:
            interval = _interval(
                settings.get("system_metrics_interval"),
                f"{settings.sources['system_metrics_interval']}: system_metrics_interval",
            )
    return DEFAULT_INTERVAL if interval is None else interval


def _interval(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not MIN_INTERVAL <= value < 1e9:
        raise ValidationError(f"{what} must be a number of seconds >= {MIN_INTERVAL}, got {shown(value)}")
    return float(value)


def visible_gpus(count: int, environ: dict[str, str] | None = None) -> list[int | str]:
    """The NVML devices the process may use, in the order it numbers them (indexes or UUID prefixes)."""
    text = (os.environ if environ is None else environ).get("CUDA_VISIBLE_DEVICES")
    if text is None:
        return list(range(count))
    chosen: list[int | str] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            break
        if part.lstrip("-").isdigit():
            index = int(part)
            if not 0 <= index < count:  # CUDA stops at the first invalid entry
                break
            chosen.append(index)
        else:
            chosen.append(part)
    return chosen


class _Gpus:
    """NVML handles of the visible GPUs; empty without nvidia-ml-py, a driver or a GPU."""

    def __init__(self) -> None:
        self.handles: list[Any] = []
        self.nvml: Any = None
        try:
            import pynvml

            pynvml.nvmlInit()
        except Exception:  # no library, no driver (NVMLError_LibraryNotFound), no GPU
            return
        self.nvml = pynvml
        try:
            for dev in visible_gpus(pynvml.nvmlDeviceGetCount()):
                if isinstance(dev, int):
                    self.handles.append(pynvml.nvmlDeviceGetHandleByIndex(dev))
                else:
                    match = [
                        h
                        for i in range(pynvml.nvmlDeviceGetCount())
                        if _text(pynvml.nvmlDeviceGetUUID(h := pynvml.nvmlDeviceGetHandleByIndex(i))).startswith(dev)
                    ]
                    if len(match) != 1:
                        break
                    self.handles.append(match[0])
        except Exception:
            self.handles = []

    def sample(self, out: dict[str, float]) -> None:
        for i, handle in enumerate(self.handles):
            base = f"{PREFIX}gpu{i}/"
            for name in ("utilization_percent", "memory_used_mb", "temperature_c", "power_w"):
                try:
                    out[base + name] = self._read(name, handle)
                except Exception:  # a GPU without that sensor
                    continue

    def _read(self, name: str, handle: Any) -> float:
        nvml = self.nvml
        if name == "utilization_percent":
            return float(nvml.nvmlDeviceGetUtilizationRates(handle).gpu)
        if name == "memory_used_mb":
            return float(nvml.nvmlDeviceGetMemoryInfo(handle).used) / _MB
        if name == "temperature_c":
            return float(nvml.nvmlDeviceGetTemperature(handle, nvml.NVML_TEMPERATURE_GPU))
        return float(nvml.nvmlDeviceGetPowerUsage(handle)) / 1000.0  # milliwatts


_FOUND: dict[str | None, _Gpus] = {}
_FOUND_LOCK = threading.Lock()


def _forget_after_fork() -> None:
    """A forked child looks again: NVML state does not survive a fork, and the lock may have been held."""
    global _FOUND_LOCK
    _FOUND.clear()
    _FOUND_LOCK = threading.Lock()


os.register_at_fork(after_in_child=_forget_after_fork)


def visible() -> _Gpus:
    """The GPUs of this process, found once per ``CUDA_VISIBLE_DEVICES`` value and shared by the runs' samplers.

    Looking costs about half a millisecond even where there is no GPU (loading NVML fails), which every run
    would pay; GPUs do not come and go under a running process. NVML stays initialised until it exits."""
    key = os.environ.get("CUDA_VISIBLE_DEVICES")
    with _FOUND_LOCK:
        found = _FOUND.get(key)
        if found is None:
            found = _FOUND[key] = _Gpus()
    return found


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class Sampler:
    """The sampling thread of one run; :meth:`stop` ends it (called by :meth:`Run.end`)."""

    def __init__(self, run: Run, interval: float) -> None:
        self.run = run
        self.interval = interval
        self._stop = threading.Event()
        self.samples = 0
        self._thread = threading.Thread(target=self._loop, name=f"tracker_core-system-{run.id[:8]}", daemon=True)

    def start(self) -> Sampler:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Ask the thread to end, without waiting for it: :meth:`Run.end` is not held up by a thread that a
        loaded machine has not scheduled yet. It logs nothing more (it checks before logging, and an ended
        run refuses points) and exits at its next wake-up."""
        self._stop.set()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _loop(self) -> None:
        try:
            import psutil
        except ImportError:
            psutil = None
        gpus = visible()
        try:
            host = _Host(psutil) if psutil is not None else None
            if host is None and not gpus.handles:
                return
            while not self._stop.wait(self.interval):
                values: dict[str, float] = {}
                if host is not None:
                    host.sample(values)
                gpus.sample(values)
                if self._stop.is_set():
                    return
                try:
                    self.run.log_metrics(values)
                except TrackerError:  # the run ended meanwhile
                    return
                self.samples += 1
        except Exception as exc:  # never take the training down; say why sampling stopped
            print(f"tracker_core: system metrics of run {self.run.id[:8]} stopped: {exc}", file=sys.stderr)


class _Host:
    """psutil readings; counters are reported as totals since the first reading."""

    def __init__(self, psutil: Any) -> None:
        self.psutil = psutil
        self.process = psutil.Process()
        psutil.cpu_percent(None)  # primes both: the first sample measures the first interval
        self.process.cpu_percent(None)
        self.disk0 = self._disk()
        self.net0 = self._net()

    def _disk(self) -> tuple[int, int] | None:
        try:
            c = self.psutil.disk_io_counters()
        except Exception:
            return None
        return None if c is None else (c.read_bytes, c.write_bytes)

    def _net(self) -> tuple[int, int] | None:
        try:
            c = self.psutil.net_io_counters()
        except Exception:
            return None
        return None if c is None else (c.bytes_sent, c.bytes_recv)

    def sample(self, out: dict[str, float]) -> None:
        psutil = self.psutil
        out[PREFIX + "cpu_percent"] = float(psutil.cpu_percent(None))
        memory = psutil.virtual_memory()
        out[PREFIX + "memory_used_mb"] = memory.used / _MB
        out[PREFIX + "memory_percent"] = float(memory.percent)
        try:
            out[PREFIX + "process_rss_mb"] = self.process.memory_info().rss / _MB
            out[PREFIX + "process_cpu_percent"] = float(self.process.cpu_percent(None))
        except Exception:
            pass
        disk = self._disk()
        if disk is not None and self.disk0 is not None:
            out[PREFIX + "disk_read_mb"] = max(disk[0] - self.disk0[0], 0) / _MB
            out[PREFIX + "disk_write_mb"] = max(disk[1] - self.disk0[1], 0) / _MB
        net = self._net()
        if net is not None and self.net0 is not None:
            out[PREFIX + "net_sent_mb"] = max(net[0] - self.net0[0], 0) / _MB
            out[PREFIX + "net_recv_mb"] = max(net[1] - self.net0[1], 0) / _MB


def start(run: Run, interval: float) -> Sampler:
    """Start sampling ``run`` every ``interval`` seconds; the run stops it when it ends."""
    sampler = Sampler(run, interval).start()
    run._sampler = sampler
    return sampler
