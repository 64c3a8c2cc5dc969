"""The OpenAI Batch API of the fake server: ``/v1/files`` and ``/v1/batches``.

An uploaded JSONL file is kept in memory; a created batch moves one state per retrieve
along :attr:`FakeBatches.script` (default ``validating``, ``in_progress``, ``completed``).
When it completes or expires, each request line is answered from the fake's queue (then
its ``default``), as a chat request would be: a :class:`Reply` with ``action="error"``
becomes a line of the error file (``{"error": {"code", "message"}}``), as OpenAI writes a
request that failed; an expired batch answers only the first :attr:`expire_after` lines.
A ``failed`` batch carries ``errors`` and no output file.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from summarizer.testing.fake_openai import FakeOpenAI, Reply

TERMINAL = ("completed", "failed", "expired", "cancelled")


def multipart_file(content_type: str, raw: bytes) -> tuple[str, bytes]:
    """The file name and bytes of the ``file`` part of a multipart/form-data body."""
    boundary = content_type.partition("boundary=")[2].strip('"').encode()
    for part in raw.split(b"--" + boundary):
        head, _, data = part.partition(b"\r\n\r\n")
        if b'name="file"' in head:
            name = head.partition(b'filename="')[2].partition(b'"')[0].decode() or "file"
            return name, data.removesuffix(b"\r\n")
    return "file", b""


@dataclass
class FakeBatch:
    id: str
    input_file_id: str
    endpoint: str
    states: list[str]
    status: str = "validating"
    output_file_id: str | None = None
    error_file_id: str | None = None
    total: int = 0
    completed: int = 0
    failed: int = 0
    retrieved: int = 0

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "object": "batch",
            "endpoint": self.endpoint,
            "input_file_id": self.input_file_id,
            "completion_window": "24h",
            "status": self.status,
            "output_file_id": self.output_file_id,
            "error_file_id": self.error_file_id,
            "created_at": 1_700_000_000,
            "request_counts": {
                "total": self.total,
                "completed": self.completed,
                "failed": self.failed,
            },
            "errors": None,
        }
        if self.status == "failed":
            data["errors"] = {
                "object": "list",
                "data": [{"code": "invalid_request", "message": "fake: the batch failed"}],
            }
        return data


@dataclass
class FakeBatches:
    """The Batch API state of one :class:`FakeOpenAI` (use it under the fake's lock)."""

    fake: FakeOpenAI
    files: dict[str, bytes] = field(default_factory=dict)
    batches: dict[str, FakeBatch] = field(default_factory=dict)
    script: list[str] = field(default_factory=lambda: ["validating", "in_progress", "completed"])
    expire_after: int = 0  # an expired batch answers this many lines first
    created: int = 0  # batches created (a resumed run must not create another)

    def handles(self, path: str) -> bool:
        return "/files" in path or "/batches" in path

    def post(self, path: str, content_type: str, raw: bytes) -> tuple[int, Any]:
        if path.rstrip("/").endswith("/files"):
            name, data = multipart_file(content_type, raw)
            file_id = f"file-{len(self.files) + 1}"
            self.files[file_id] = data
            return 200, self._file(file_id, name, len(data))
        if path.rstrip("/").endswith("/batches"):
            body = json.loads(raw or b"{}")
            if body.get("input_file_id") not in self.files:
                return 404, {"error": {"message": "no such file", "type": "invalid_request_error"}}
            self.created += 1
            batch = FakeBatch(
                f"batch_{self.created}", body["input_file_id"], body["endpoint"], list(self.script)
            )
            batch.total = len(self._lines(batch.input_file_id))
            batch.status = batch.states.pop(0)
            self.batches[batch.id] = batch
            return 200, batch.to_dict()
        return 404, {"error": {"message": f"fake: no route {path}"}}

    def get(self, path: str) -> tuple[int, Any]:
        parts = path.split("?")[0].rstrip("/").split("/")
        if "files" in parts and parts[-1] == "content":
            data = self.files.get(parts[-2])
            return (200, data) if data is not None else (404, {"error": {"message": "no file"}})
        if "batches" in parts:
            batch = self.batches.get(parts[-1])
            if batch is None:
                return 404, {"error": {"message": "no such batch", "type": "invalid_request_error"}}
            batch.retrieved += 1
            if batch.status not in TERMINAL and batch.states:
                batch.status = batch.states.pop(0)
                if batch.status in ("completed", "expired"):
                    self._finish(batch)
            return 200, batch.to_dict()
        return 404, {"error": {"message": f"fake: no route {path}"}}

    def _file(self, file_id: str, name: str, size: int) -> dict[str, Any]:
        return {
            "id": file_id,
            "object": "file",
            "bytes": size,
            "created_at": int(time.time()),
            "filename": name,
            "purpose": "batch",
            "status": "processed",
        }

    def _lines(self, file_id: str) -> list[dict[str, Any]]:
        text = self.files[file_id].decode("utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def _finish(self, batch: FakeBatch) -> None:
        lines = self._lines(batch.input_file_id)
        if batch.status == "expired":
            lines = lines[: self.expire_after]
        out: list[str] = []
        errors: list[str] = []
        for n, line in enumerate(lines):
            reply = self.fake.answer(line.get("body") or {})
            record = _record(n, line, reply)
            (errors if record["error"] else out).append(json.dumps(record))
        batch.completed, batch.failed = len(out), len(errors)
        if out:
            batch.output_file_id = f"file-out-{batch.id}"
            self.files[batch.output_file_id] = ("\n".join(out) + "\n").encode()
        if errors:
            batch.error_file_id = f"file-err-{batch.id}"
            self.files[batch.error_file_id] = ("\n".join(errors) + "\n").encode()


def _record(n: int, line: dict[str, Any], reply: Reply) -> dict[str, Any]:
    """One line of a batch output (or error) file, as OpenAI writes it."""
    record: dict[str, Any] = {"id": f"batch_req_{n}", "custom_id": line.get("custom_id")}
    if reply.action == "error":
        message = reply.body if isinstance(reply.body, str) else "fake request error"
        record.update(response=None, error={"code": "server_error", "message": message})
        return record
    record["response"] = {"status_code": reply.status, "request_id": f"req_{n}", "body": reply.body}
    record["error"] = None
    return record
