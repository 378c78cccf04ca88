"""``s3://bucket/prefix`` through boto3 (imported here only): AWS S3, R2, MinIO, Ceph, Garage, SeaweedFS.

Endpoint and credentials follow the standard AWS chain (environment, ``~/.aws/config`` and
``credentials``, ``AWS_PROFILE``); ``AWS_ENDPOINT_URL`` or the ``s3_endpoint`` config key point it at
a non-AWS server. Conditional writes use ``If-None-Match: *`` and ``If-Match: <etag>`` on PutObject.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from ..errors import RemoteConflictError, RemoteError, ValidationError
from .base import ANY, Blob, Entry, Remote, _Any

ENDPOINT_ENV = "AWS_ENDPOINT_URL"
_AUTH = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "ExpiredToken", "InvalidToken"}


def parse_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> ``("bucket", "some/prefix/")`` (prefix empty or ending in ``/``)."""
    if not url.startswith("s3://"):
        raise ValidationError(f"{url!r} is not an s3:// URL (s3://bucket/prefix)")
    bucket, _, prefix = url[5:].partition("/")
    if not bucket:
        raise ValidationError(f"{url!r} names no bucket (s3://bucket/prefix)")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


def _endpoint() -> str | None:
    if os.environ.get(ENDPOINT_ENV):
        return None  # botocore reads it itself
    from ..config import load_settings

    settings = load_settings()
    value = settings.get("s3_endpoint")
    if value is None:
        return None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        where = settings.sources.get("s3_endpoint")
        raise ValidationError(f"{where}: s3_endpoint must be a URL such as http://127.0.0.1:8333, not {value!r}")
    return value


class S3Remote(Remote):
    """Objects under ``prefix`` in ``bucket``; one thread-safe boto3 client shared by worker threads."""

    def __init__(self, url: str, *, endpoint_url: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.bucket, self.prefix = parse_url(url)
        self._endpoint = endpoint_url or _endpoint()
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                try:
                    import boto3
                    from botocore.config import Config
                except ImportError:
                    raise RemoteError("s3:// remotes need boto3: pip install 'tui-track[s3]'") from None
                config = Config(retries={"max_attempts": 3, "mode": "standard"}, max_pool_connections=32)
                try:
                    self._client = boto3.session.Session().client("s3", endpoint_url=self._endpoint, config=config)
                except Exception as e:
                    raise RemoteError(f"cannot set up the S3 client for {self.url}: {e}") from None
            return self._client

    def _fail(self, e: Exception, what: str) -> RemoteError:
        from botocore.exceptions import ClientError, NoCredentialsError

        if isinstance(e, NoCredentialsError):
            return RemoteError(
                f"no AWS credentials for {self.url}: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a profile"
            )
        if isinstance(e, ClientError):
            code = e.response.get("Error", {}).get("Code", "")
            if code == "NoSuchBucket":
                return RemoteError(f"bucket {self.bucket!r} does not exist at {self._where()}: create it first")
            if code in _AUTH:
                return RemoteError(f"{self._where()} refused the credentials for {self.url} ({code}): check them")
            return RemoteError(
                f"{what} {self.url} failed: {self._where()} answered {code or e}; retry when it is healthy"
            )
        return RemoteError(
            f"{what} {self.url} failed: cannot reach {self._where()} ({type(e).__name__}); "
            "check that the server is up, then run the same command again"
        )

    def _where(self) -> str:
        return self._endpoint or os.environ.get(ENDPOINT_ENV) or "S3"

    def list(self, prefix: str = "") -> dict[str, Entry]:
        found: dict[str, Entry] = {}
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix + prefix
            )
            for page in pages:
                for obj in page.get("Contents", ()):
                    found[obj["Key"][len(self.prefix) :]] = Entry(int(obj["Size"]), obj["ETag"].strip('"'))
        except Exception as e:
            raise self._fail(e, "listing") from None
        return found

    def read(self, key: str, start: int = 0) -> Blob | None:
        from botocore.exceptions import ClientError

        args: dict[str, Any] = {"Bucket": self.bucket, "Key": self.prefix + key}
        if start:
            args["Range"] = f"bytes={start}-"
        try:
            reply = self.client.get_object(**args)
            return Blob(reply["Body"].read(), reply["ETag"].strip('"'))
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404"):
                return None
            if code == "InvalidRange":
                head = self.read(key)
                return None if head is None else Blob(b"", head.etag)
            raise self._fail(e, f"reading {key} from") from None
        except Exception as e:
            raise self._fail(e, f"reading {key} from") from None

    def write(self, key: str, data: bytes, *, expect: str | _Any | None = ANY) -> str:
        from botocore.exceptions import ClientError

        args: dict[str, Any] = {"Bucket": self.bucket, "Key": self.prefix + key, "Body": data}
        if expect is None:
            args["IfNoneMatch"] = "*"
        elif not isinstance(expect, _Any):
            args["IfMatch"] = f'"{expect}"'
        try:
            return str(self.client.put_object(**args)["ETag"]).strip('"')
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code", "")
            if code in ("PreconditionFailed", "ConditionalRequestConflict", "412", "409"):
                raise RemoteConflictError(f"{key} on {self.url} changed meanwhile; read it again and retry") from None
            raise self._fail(e, f"writing {key} to") from None
        except Exception as e:
            raise self._fail(e, f"writing {key} to") from None

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)
        except Exception as e:
            raise self._fail(e, f"deleting {key} from") from None
