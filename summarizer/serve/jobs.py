"""Jobs: many articles at once, persisted in SQLite (stdlib ``sqlite3``) under the state dir.

A job's items and every finished item's result line are rows of ``jobs.sqlite3``; a
result is written once per item (``UNIQUE(job, idx)``), in the very line ``summarizer
batch`` writes. Items run through the batch runner (:func:`summarizer.batch.run_batch`).
After a crash or a restart the process that owned a job is gone, so the next server to
start claims the job and runs only the items without a result: each item ends up in the
results exactly once, and an item whose answer was cached before the crash is served
from the cache, not sent to the model again. Jobs run on the replica that accepted them.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import math
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from summarizer.batch.inputs import BatchItem, unique_ids
from summarizer.batch.output import JsonlWriter
from summarizer.batch.scheduler import run_batch
from summarizer.serve.processes import alive

if TYPE_CHECKING:
    from summarizer.fetch import FetchPolicy
    from summarizer.serve.metrics import Metrics
    from summarizer.serve.models import JobItem
    from summarizer.serve.summarizers import Summarizers

log = logging.getLogger("summarizer.serve")
ACTIVE = ("queued", "running")
SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, options TEXT NOT NULL, total INTEGER NOT NULL,
    created REAL NOT NULL, updated REAL NOT NULL, owner INTEGER NOT NULL,
    client TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS items (
    job TEXT NOT NULL, idx INTEGER NOT NULL, item TEXT NOT NULL, PRIMARY KEY (job, idx)
);
CREATE TABLE IF NOT EXISTS results (
    job TEXT NOT NULL, seq INTEGER NOT NULL, idx INTEGER NOT NULL, status TEXT NOT NULL,
    line TEXT NOT NULL, PRIMARY KEY (job, seq), UNIQUE (job, idx)
);
"""


@dataclass
class JobRow:
    id: str
    status: str
    options: dict[str, Any]
    total: int
    created: float
    updated: float
    client: str = ""  # the hash of the key that created the job ("" without keys)
    done: int = 0
    cached: int = 0
    failed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "counts": {
                "done": self.done,
                "cached": self.cached,
                "failed": self.failed,
                "total": self.total,
            },
            "created_at": self.created,
            "updated_at": self.updated,
        }


class JobStore:
    """The SQLite file: jobs, their items, their result lines."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(
            str(path), timeout=10.0, isolation_level=None, check_same_thread=False
        )
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(jobs)")}
        if "client" not in columns:  # a jobs file from before jobs belonged to keys
            self._db.execute("ALTER TABLE jobs ADD COLUMN client TEXT NOT NULL DEFAULT ''")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def create(self, items: list[dict[str, Any]], options: dict[str, Any], client: str = "") -> str:
        """A new queued job of ``items``, belonging to ``client`` (a key's hash)."""
        job = uuid.uuid4().hex
        now = time.time()
        with self._tx() as db:
            db.execute(
                "INSERT INTO jobs VALUES (?, 'queued', ?, ?, ?, ?, ?, ?)",
                (job, json.dumps(options), len(items), now, now, os.getpid(), client),
            )
            db.executemany(
                "INSERT INTO items VALUES (?, ?, ?)",
                ((job, i, json.dumps(item, ensure_ascii=False)) for i, item in enumerate(items)),
            )
        return job

    def get(self, job: str) -> JobRow | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, status, options, total, created, updated, client FROM jobs "
                "WHERE id = ?",
                (job,),
            ).fetchone()
            if row is None:
                return None
            counts = dict(
                self._db.execute(
                    "SELECT status, COUNT(*) FROM results WHERE job = ? GROUP BY status", (job,)
                ).fetchall()
            )
        found = JobRow(row[0], row[1], json.loads(row[2]), row[3], row[4], row[5], row[6])
        found.cached = counts.get("cached", 0)
        found.failed = counts.get("failed", 0)
        found.done = found.cached + found.failed + counts.get("ok", 0)
        return found

    def jobs_of(self, client: str, limit: int, before: float | None = None) -> list[JobRow]:
        """``client``'s jobs, newest first: at most ``limit``, created before ``before``."""
        with self._lock:
            ids = [
                row[0]
                for row in self._db.execute(
                    "SELECT id FROM jobs WHERE client = ? AND created < ? "
                    "ORDER BY created DESC, id LIMIT ?",
                    (client, math.inf if before is None else before, limit),
                )
            ]
        return [row for row in map(self.get, ids) if row is not None]

    def status(self, job: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT status FROM jobs WHERE id = ?", (job,)).fetchone()
        return None if row is None else str(row[0])

    def set_status(self, job: str, status: str, *, only_active: bool = True) -> bool:
        where = " AND status IN ('queued', 'running')" if only_active else ""
        with self._tx() as db:
            cur = db.execute(
                f"UPDATE jobs SET status = ?, updated = ? WHERE id = ?{where}",
                (status, time.time(), job),
            )
            return cur.rowcount > 0

    def pending(self, job: str) -> list[tuple[int, dict[str, Any]]]:
        """Items without a result line yet, in input order."""
        with self._lock:
            rows = self._db.execute(
                "SELECT idx, item FROM items WHERE job = ? AND idx NOT IN "
                "(SELECT idx FROM results WHERE job = ?) ORDER BY idx",
                (job, job),
            ).fetchall()
        return [(idx, json.loads(item)) for idx, item in rows]

    def record(self, job: str, idx: int, status: str, line: str) -> bool:
        """Store one item's result line; ``False`` if that item already has one."""
        with self._tx() as db:
            (seq,) = db.execute(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM results WHERE job = ?", (job,)
            ).fetchone()
            cur = db.execute(
                "INSERT OR IGNORE INTO results VALUES (?, ?, ?, ?, ?)",
                (job, seq, idx, status, line),
            )
            db.execute("UPDATE jobs SET updated = ? WHERE id = ?", (time.time(), job))
            return cur.rowcount > 0

    def lines(self, job: str, after: int = 0) -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT line FROM results WHERE job = ? AND seq > ? ORDER BY seq", (job, after)
            ).fetchall()
        return [r[0] for r in rows]

    def claim_orphans(self) -> list[str]:
        """Take over the active jobs whose owning process is gone; return their ids."""
        me = os.getpid()
        with self._tx() as db:
            rows = db.execute(
                "SELECT id, owner FROM jobs WHERE status IN ('queued', 'running')"
            ).fetchall()
            mine = [job for job, owner in rows if owner == me or not alive(owner)]
            db.executemany("UPDATE jobs SET owner = ? WHERE id = ?", ((me, j) for j in mine))
        return mine

    def purge(self, before: float) -> int:
        """Delete the finished jobs (completed or cancelled) last updated before ``before``
        (a ``time.time()``), with their items and result lines; how many went."""
        with self._tx() as db:
            old = [
                row[0]
                for row in db.execute(
                    "SELECT id FROM jobs WHERE status NOT IN ('queued', 'running') AND updated < ?",
                    (before,),
                )
            ]
            for table, column in (("results", "job"), ("items", "job"), ("jobs", "id")):
                db.executemany(f"DELETE FROM {table} WHERE {column} = ?", ((j,) for j in old))
        return len(old)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def item_record(item: JobItem) -> dict[str, Any]:
    data = item.model_dump(exclude_none=True)
    data["id"] = str(data["id"])
    return data


def unique_records(items: list[JobItem]) -> list[dict[str, Any]]:
    """Item records with distinct ids (``id#2``...), as ``summarizer batch`` makes them."""
    records = [item_record(i) for i in items]
    renamed = unique_ids(BatchItem(r["id"], text="") for r in records)
    for record, batch_item in zip(records, renamed, strict=True):
        record["id"] = batch_item.id
    return records


class JobRunner:
    """Runs each job as a task on the server's event loop; notifies event listeners."""

    def __init__(
        self,
        store: JobStore,
        summarizers: Summarizers,
        metrics: Metrics,
        fetch: FetchPolicy,
        concurrency: int,
    ) -> None:
        self.store = store
        self.summarizers = summarizers
        self.metrics = metrics
        self.fetch = fetch
        self.concurrency = concurrency
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._changed: dict[str, asyncio.Event] = {}

    @property
    def running(self) -> int:
        """Jobs this process is running now."""
        return len(self._tasks)

    def start(self, job: str) -> None:
        if job not in self._tasks:
            self._tasks[job] = asyncio.create_task(self._run(job), name=f"job-{job}")
            self.metrics.jobs.set(len(self._tasks))

    def resume_orphans(self) -> list[str]:
        jobs = self.store.claim_orphans()
        for job in jobs:
            log.info("resuming job %s", job)
            self.start(job)
        return jobs

    def changed(self, job: str) -> asyncio.Event:
        return self._changed.setdefault(job, asyncio.Event())

    def wake_all(self) -> None:
        for job in list(self._changed):
            self._notify(job)

    def _notify(self, job: str) -> None:
        event = self._changed.pop(job, None)
        if event is not None:
            event.set()

    def _item(self, record: dict[str, Any]) -> BatchItem:
        return BatchItem(
            record["id"],
            text=record.get("text"),
            url=record.get("url"),
            title=record.get("title"),
            html=record.get("html"),
            fetch=self.fetch,
        )

    async def _run(self, job: str) -> None:
        try:
            await self._work(job)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # e.g. the state file became unusable
            log.error("job %s stopped: %s: %s", job, type(exc).__name__, exc)
        finally:
            self._tasks.pop(job, None)
            self.metrics.jobs.set(len(self._tasks))
            self._notify(job)

    async def _work(self, job: str) -> None:
        row = self.store.get(job)
        if row is None or row.status not in ACTIVE:
            return
        self.store.set_status(job, "running")
        self._notify(job)
        pending = self.store.pending(job)
        items = [self._item(record) for _, record in pending]
        async with self.summarizers.fresh(row.options) as summarizer:
            async for outcome in run_batch(summarizer, items, self.concurrency):
                buffer = io.StringIO()
                JsonlWriter(buffer).write(outcome)
                idx = pending[outcome.index][0]
                self.store.record(job, idx, outcome.status, buffer.getvalue())
                self._notify(job)
                if self.store.status(job) not in ACTIVE:
                    return  # cancelled, perhaps by another worker process sharing the file
        if self.store.set_status(job, "completed"):
            log.info("job %s completed", job)

    async def cancel(self, job: str) -> bool:
        """Mark ``job`` cancelled and stop its task; ``False`` if it had already ended."""
        cancelled = self.store.set_status(job, "cancelled")
        task = self._tasks.get(job)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self._notify(job)
        return cancelled

    async def aclose(self) -> None:
        """Stop every task (its job stays active in the file and resumes on restart)."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
