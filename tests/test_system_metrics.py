"""System metrics: a sampling thread per top-level run logs host and process figures under system/."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import psutil
import pytest

import tracker_core as tc
from tracker_core import system_metrics
from tracker_core.errors import ValidationError
from tracker_core.records import FAILED, FINISHED, KILLED

HOST_KEYS = {
    "system/cpu_percent",
    "system/memory_used_mb",
    "system/memory_percent",
    "system/process_rss_mb",
    "system/process_cpu_percent",
    "system/disk_read_mb",
    "system/disk_write_mb",
    "system/net_sent_mb",
    "system/net_recv_mb",
}


@pytest.fixture(autouse=True)
def _sampling_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(system_metrics.ENV_SWITCH, raising=False)  # tests/conftest.py turns it off for the rest
    monkeypatch.chdir(tmp_path)  # no config file of the repository applies


def _wait_samples(run: tc.Run, n: int) -> None:
    """Wait until the run's sampler logged ``n`` samples (a loaded machine may starve it for a while)."""
    deadline = time.monotonic() + 30
    while (run._sampler is None or run._sampler.samples < n) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert run._sampler is not None and run._sampler.samples >= n


def _system_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("tracker_core-system-")]


def test_keys_present_and_plausible(tmp_path: Path) -> None:
    store = tc.Store(tmp_path / "s")
    with store.start_run("e", system_metrics_interval=0.1) as run:
        block = bytearray(64 * 1024 * 1024)  # the process's RSS grows by 64 MiB
        _wait_samples(run, 3)
        rss_now = psutil.Process().memory_info().rss / 2**20
        del block
    summary = store.get_run(run.id)
    keys = {k for k in summary.metrics if k.startswith("system/")}
    assert keys == HOST_KEYS  # no GPU on this machine: no gpu keys, and no error
    m = summary.metrics
    assert m["system/cpu_percent"].count >= 3
    assert all(m[k].min >= 0.0 and m[k].max <= 100.0 for k in ("system/cpu_percent", "system/memory_percent"))
    total_mb = psutil.virtual_memory().total / 2**20
    assert 0 < m["system/memory_used_mb"].last < total_mb
    assert 64 < m["system/process_rss_mb"].max <= rss_now * 1.5
    assert 0 <= m["system/process_cpu_percent"].max <= 100.0 * (os.cpu_count() or 1)
    for key in ("system/disk_read_mb", "system/disk_write_mb", "system/net_sent_mb", "system/net_recv_mb"):
        assert m[key].min >= 0.0
    history = store.metric_history(run.id, "system/cpu_percent")
    assert [p.step for p in history] == list(range(len(history)))
    assert not any(k.startswith("system/gpu") for k in summary.metrics)


@pytest.mark.parametrize("outcome", ["finished", "failed", "killed"])
def test_sampler_stops_with_the_run(tmp_path: Path, outcome: str) -> None:
    store = tc.Store(tmp_path / "s")
    run = store.start_run("e", system_metrics_interval=0.05)
    sampler = run._sampler
    assert sampler is not None and sampler.alive
    _wait_samples(run, 1)
    try:
        with run:
            if outcome == "failed":
                raise ValueError("boom")
            if outcome == "killed":
                raise KeyboardInterrupt
    except (ValueError, KeyboardInterrupt):
        pass
    deadline = time.monotonic() + 10  # the end does not wait for the thread; it exits at its next wake-up
    while sampler.alive and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not sampler.alive
    assert store.get_run(run.id).status == {"finished": FINISHED, "failed": FAILED, "killed": KILLED}[outcome]
    count = store.get_run(run.id).metrics["system/cpu_percent"].count
    time.sleep(0.3)
    assert store.get_run(run.id).metrics["system/cpu_percent"].count == count
    assert not _system_threads()


def test_default_interval_takes_no_sample_at_start(tmp_path: Path) -> None:
    with tc.start_run("e", store=tmp_path / "s") as run:
        assert run._sampler is not None and run._sampler.interval == system_metrics.DEFAULT_INTERVAL
        time.sleep(0.2)
    assert not run.summary().metrics  # the first sample comes one interval (10 s) after the start


def test_off_by_argument_env_and_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tc.Store(tmp_path / "s")
    (tmp_path / "tui-track.toml").write_text("system_metrics_interval = 0.05\n")
    with store.start_run("e", system_metrics=False) as off:
        assert off._sampler is None
        time.sleep(0.2)
    assert not store.get_run(off.id).metrics
    with store.start_run("e") as on:  # the config's interval applies
        assert on._sampler is not None and on._sampler.interval == 0.05
        _wait_samples(on, 1)
    assert "system/cpu_percent" in store.get_run(on.id).metrics
    monkeypatch.setenv(system_metrics.ENV_SWITCH, "0")
    with store.start_run("e") as env_off:
        assert env_off._sampler is None
    monkeypatch.delenv(system_metrics.ENV_SWITCH)
    (tmp_path / "tui-track.toml").write_text("system_metrics = false\n")
    with store.start_run("e") as config_off:
        assert config_off._sampler is None
    with store.start_run("e", system_metrics=True, system_metrics_interval=0.5) as forced:
        assert forced._sampler is not None and forced._sampler.interval == 0.5


def test_child_runs_do_not_sample(tmp_path: Path) -> None:
    with tc.start_run("e", store=tmp_path / "s", system_metrics_interval=0.05) as parent:
        with tc.start_run(nested=True) as child:
            assert child._sampler is None
        assert parent._sampler is not None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"system_metrics": "yes"}, "system_metrics must be True or False"),
        ({"system_metrics_interval": 0}, "system_metrics_interval must be a number of seconds"),
        ({"system_metrics_interval": "10"}, "system_metrics_interval must be a number of seconds"),
    ],
)
def test_bad_arguments_leave_no_run(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    store = tc.Store(tmp_path / "s", create=True)
    with pytest.raises(ValidationError, match=message):
        store.start_run("e", **kwargs)  # type: ignore[arg-type]
    assert store.list_runs() == []


def test_bad_config_value_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "tui-track.toml").write_text('system_metrics = "no"\n')
    with pytest.raises(tc.TrackerError, match=r"tui-track.toml: system_metrics must be true or false"):
        tc.Store(tmp_path / "s").start_run("e")


def test_nvml_without_a_driver_gives_no_gpu_keys_and_no_error(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    import pynvml  # nvidia-ml-py is installed (the gpu extra); this machine has no NVIDIA driver

    with pytest.raises(pynvml.NVMLError):
        pynvml.nvmlInit()
    assert system_metrics._Gpus().handles == []
    store = tc.Store(tmp_path / "s")
    with store.start_run("e", system_metrics_interval=0.05) as run:
        _wait_samples(run, 1)
    keys = set(store.get_run(run.id).metrics)
    assert keys == HOST_KEYS
    assert "system metrics" not in capfd.readouterr().err


def test_the_gpus_are_looked_for_once_per_visible_devices_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    first = system_metrics.visible()
    assert system_metrics.visible() is first  # the next run's sampler does not load NVML again
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    narrowed = system_metrics.visible()
    assert narrowed is not first and system_metrics.visible() is narrowed  # another setting: looked for again
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # a forked child looks again (NVML does not survive a fork), and does not hang on the lock
        os.write(write, b"fresh" if system_metrics.visible() is not narrowed else b"inherited")
        os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 16) == b"fresh"
    store = tc.Store(tmp_path / "s")
    for _ in range(2):  # runs one after another share it and still sample the host
        with store.start_run("e", system_metrics_interval=0.05) as run:
            _wait_samples(run, 1)
        assert set(store.get_run(run.id).metrics) >= HOST_KEYS


def test_visible_gpus_follows_cuda_visible_devices() -> None:
    assert system_metrics.visible_gpus(4, {}) == [0, 1, 2, 3]
    assert system_metrics.visible_gpus(4, {"CUDA_VISIBLE_DEVICES": "2,0"}) == [2, 0]
    assert system_metrics.visible_gpus(4, {"CUDA_VISIBLE_DEVICES": ""}) == []
    assert system_metrics.visible_gpus(4, {"CUDA_VISIBLE_DEVICES": "-1"}) == []
    assert system_metrics.visible_gpus(4, {"CUDA_VISIBLE_DEVICES": "1,7,2"}) == [1]  # CUDA stops at an invalid one
    assert system_metrics.visible_gpus(2, {"CUDA_VISIBLE_DEVICES": "GPU-8f3a"}) == ["GPU-8f3a"]
