"""Summarize many articles concurrently, streaming one outcome per article.

Inputs are read lazily: :func:`expand_inputs` turns files, directories, glob patterns
and JSONL lists (``{"id", "text" | "path" | "url", "title"?}`` per line) into
:class:`BatchItem` s one at a time, and an item's text is only read when its turn comes.
:func:`run_batch` keeps at most ``concurrency`` articles in flight over
:meth:`Summarizer.asummarize` (``AsyncOpenAI`` underneath) and yields each
:class:`BatchOutcome` as it completes (or in input order with ``ordered=True``, holding
at most ``4 * concurrency`` finished outcomes back), so memory stays flat whatever the
number of articles. One article failing never stops the others: its outcome carries
the error instead of a result.
"""

from __future__ import annotations

import asyncio
import glob
import json
import os
import sys
import time
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TextIO, TypeAlias

from summarizer.errors import InputError, SummarizerError

if TYPE_CHECKING:
    from summarizer.core import Summarizer
    from summarizer.result import SummaryResult

ARTICLE_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown", ".html", ".htm"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
ORDERED_WINDOW = 4  # ordered mode: finished outcomes held back, per unit of concurrency


@dataclass
class BatchItem:
    """One article to summarize: inline ``text``, a file ``path``, or a ``url``."""

    id: str
    text: str | None = None
    path: str | None = None
    url: str | None = None
    title: str | None = None
    error: SummarizerError | None = None  # found while reading the input list

    def load(self) -> tuple[str, str | None, list[str]]:
        """The article text, title and input warnings (e.g. a legacy encoding).

        Raises :class:`InputError` if there is no usable text.
        """
        from summarizer.inputs import read_article

        if self.error is not None:
            raise self.error
        if self.text is not None:
            return self.text, self.title, []
        if self.path is not None:
            article = read_article(self.path)
            return article.text, self.title or article.title, list(article.warnings)
        if self.url is not None:
            raise InputError(
                f"{self.id}: a url item needs its page fetched, and batch does not use the "
                "network: add the article as `text` (or save it and give its `path`)"
            )
        raise InputError(f"{self.id}: the item has none of `text`, `path` or `url`")


BatchInput: TypeAlias = "str | tuple[str, str] | BatchItem"


@dataclass
class BatchOutcome:
    """What happened to one article: a result or an error, never both."""

    index: int
    id: str
    path: str | None = None
    result: SummaryResult | None = None
    error: BaseException | None = None
    elapsed: float = 0.0
    warnings: list[str] = field(default_factory=list)  # about the input (also in the result)
    scrub: Callable[[str], str] = str  # removes the API key from error messages

    @property
    def status(self) -> str:
        """``ok``, ``cached`` (served from the cache) or ``failed``."""
        if self.result is None:
            return "failed"
        return "cached" if self.result.meta.cache_hit else "ok"

    def error_dict(self) -> dict[str, Any]:
        exc = self.error
        if isinstance(exc, SummarizerError):
            message, code = exc.message, exc.exit_code
        else:
            message, code = str(exc), 1
        return {"type": type(exc).__name__, "message": self.scrub(message), "exit_code": code}

    def to_record(self) -> dict[str, Any]:
        """One JSONL line: ``{"id", "path"?, "result"}`` or ``{"id", "path"?, "error"}``."""
        record: dict[str, Any] = {"id": self.id}
        if self.path is not None:
            record["path"] = self.path
        if self.result is not None:
            record["result"] = self.result.to_dict()
        else:
            record["error"] = self.error_dict()
        return record


# -- reading inputs ------------------------------------------------------------------------
def _jsonl_item(raw: str, source: str, lineno: int, base: Path) -> BatchItem | None:
    line = raw.strip()
    if not line:
        return None
    fallback = f"{source}:{lineno}"
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return BatchItem(fallback, error=InputError(f"{fallback}: not valid JSON ({exc.msg})"))
    if not isinstance(data, dict):
        return BatchItem(fallback, error=InputError(f"{fallback}: expected a JSON object"))
    item_id = str(data["id"]) if data.get("id") is not None else fallback
    values = {k: data.get(k) for k in ("text", "path", "url", "title")}
    bad = [k for k, v in values.items() if v is not None and not isinstance(v, str)]
    if bad:
        return BatchItem(item_id, error=InputError(f"{item_id}: `{bad[0]}` must be a string"))
    path = values["path"]
    if path is not None and not Path(path).is_absolute():
        path = str(base / path)  # relative paths are relative to the JSONL file
    return BatchItem(item_id, values["text"], path, values["url"], values["title"])


def _read_jsonl(stream: IO[bytes] | TextIO, source: str, base: Path) -> Iterator[BatchItem]:
    """Items from a JSONL list, decoded line by line: one bad line fails alone."""
    lines: Iterable[str | bytes] = stream
    for lineno, raw in enumerate(lines, 1):
        if isinstance(raw, bytes):
            try:  # a BOM is allowed on the first line only
                line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                where = f"{source}:{lineno}"
                yield BatchItem(where, error=InputError(f"{where}: not UTF-8 ({exc.reason})"))
                continue
        else:
            line = raw.removeprefix("\ufeff") if lineno == 1 else raw
        item = _jsonl_item(line, source, lineno, base)
        if item is not None:
            yield item


def _walk(directory: str) -> Iterator[str]:
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and Path(name).suffix.lower() in ARTICLE_SUFFIXES:
                yield os.path.join(root, name)


def expand_inputs(inputs: Iterable[str]) -> Iterator[BatchItem]:
    """Files, directories (article files inside, recursively), globs, JSONL lists, ``-``."""
    for spec in inputs:
        if spec == "-":
            stdin: IO[bytes] | TextIO = getattr(sys.stdin, "buffer", None) or sys.stdin
            yield from _read_jsonl(stdin, "<stdin>", Path.cwd())
        elif os.path.isdir(spec):
            yield from (BatchItem(p, path=p) for p in _walk(spec))
        elif os.path.isfile(spec) and Path(spec).suffix.lower() in JSONL_SUFFIXES:
            try:
                with open(spec, "rb") as fh:
                    yield from _read_jsonl(fh, spec, Path(spec).parent)
            except OSError as exc:
                yield BatchItem(spec, error=InputError(f"{spec}: cannot read the list ({exc})"))
        elif os.path.exists(spec) or not glob.has_magic(spec):
            yield BatchItem(spec, path=spec)  # a missing file fails as its own item
        else:
            matches = sorted(glob.glob(spec, recursive=True))
            if not matches:
                yield BatchItem(spec, error=InputError(f"{spec}: no file matches this pattern"))
            yield from expand_inputs(m for m in matches if not os.path.isdir(m))


def check_inputs(inputs: Iterable[str]) -> None:
    """Raise :class:`InputError` naming every path or pattern that matches nothing.

    For the command line, before anything runs (and costs): a mistyped argument is
    reported at once. Missing files named inside a JSONL list still fail one by one.
    """
    missing = [
        spec
        for spec in inputs
        if spec != "-"
        and not os.path.exists(spec)
        and not (glob.has_magic(spec) and any(glob.iglob(spec, recursive=True)))
    ]
    if missing:
        names = ", ".join(printable(m) for m in missing)
        raise InputError(f"no such file, directory or match: {names} (nothing was run)")


def unique_ids(items: Iterable[BatchItem], notes: list[str] | None = None) -> Iterator[BatchItem]:
    """Items with distinct ids, so each output line (and ``--resume``) names one article.

    A file met twice under the same id (a directory and a glob over it) is summarized
    once; any other item reusing an id gets ``id#2``, ``id#3``... Each change is described
    in ``notes``.
    """
    seen: dict[str, str | None] = {}  # id -> the real path of a file item, else None
    for item in items:
        where = os.path.realpath(item.path) if item.path and item.text is None else None
        if item.id in seen:
            if where is not None and seen[item.id] == where:
                if notes is not None:
                    notes.append(f"{printable(item.id)} is listed twice: summarized once")
                continue
            n = 2
            while f"{item.id}#{n}" in seen:
                n += 1
            if notes is not None:
                notes.append(f"duplicate id {printable(item.id)} renamed {printable(item.id)}#{n}")
            item.id = f"{item.id}#{n}"
        seen[item.id] = where
        yield item


def printable(text: str) -> str:
    """``text`` safe for any stream: undecodable file-name bytes and lone surrogates escaped."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _as_item(value: BatchInput, index: int) -> BatchItem:
    if isinstance(value, BatchItem):
        return value
    if isinstance(value, tuple):
        return BatchItem(str(value[0]), text=value[1])
    return BatchItem(str(index), text=value)


# -- running -------------------------------------------------------------------------------
async def _one(
    summarizer: Summarizer, index: int, item: BatchItem, gate: asyncio.Semaphore
) -> BatchOutcome:
    async with gate:
        started = time.perf_counter()
        outcome = BatchOutcome(index, item.id, item.path, scrub=summarizer.scrub)
        try:
            text, title, outcome.warnings = item.load()
            result = await summarizer.asummarize(text, title=title)
            if outcome.warnings:
                result.meta.warnings = [*outcome.warnings, *result.meta.warnings]
            outcome.result = result
        except Exception as exc:  # one article never stops the batch
            outcome.error = exc
        outcome.elapsed = time.perf_counter() - started
        return outcome


async def run_batch(
    summarizer: Summarizer,
    items: Iterable[BatchInput],
    concurrency: int = 8,
    ordered: bool = False,
) -> AsyncGenerator[BatchOutcome, None]:
    """Yield one outcome per item, at most ``concurrency`` articles in flight."""
    source = (_as_item(v, i) for i, v in enumerate(items))
    gate = asyncio.Semaphore(max(1, concurrency))
    window = max(1, concurrency) * (ORDERED_WINDOW if ordered else 1)
    pending: dict[int, asyncio.Task[BatchOutcome]] = {}  # insertion order == input order
    index, exhausted = 0, False
    try:
        while True:
            while not exhausted and len(pending) < window:
                item = next(source, None)
                if item is None:
                    exhausted = True
                    break
                pending[index] = asyncio.create_task(_one(summarizer, index, item, gate))
                index += 1
            if not pending:
                return
            if ordered:
                await asyncio.wait({next(iter(pending.values()))})
            else:
                await asyncio.wait(pending.values(), return_when=asyncio.FIRST_COMPLETED)
            for key in list(pending):
                if not pending[key].done():
                    if ordered:
                        break
                    continue
                yield pending.pop(key).result()
    finally:
        for task in pending.values():
            task.cancel()
        if pending:
            await asyncio.gather(*pending.values(), return_exceptions=True)
        await summarizer.aclose()  # the async HTTP client is bound to this event loop


def iter_outcomes(
    summarizer: Summarizer, items: Iterable[BatchInput], concurrency: int = 8, ordered: bool = False
) -> Iterator[BatchOutcome]:
    """Synchronous :func:`run_batch`: drives a private event loop between yields."""
    loop = asyncio.new_event_loop()
    agen = run_batch(summarizer, items, concurrency, ordered)
    try:
        while True:
            try:
                yield loop.run_until_complete(agen.__anext__())
            except StopAsyncIteration:
                return
    finally:
        loop.run_until_complete(agen.aclose())
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


# -- output --------------------------------------------------------------------------------
def done_ids(path: Path, *, retry_failed: bool = False) -> set[str]:
    """Ids already in an output file (for ``--resume``).

    A last line cut short by a crash is removed. With ``retry_failed`` the error lines
    are removed too (the file is rewritten line by line), so those articles run again.
    """
    if not path.exists():
        return set()
    ids: set[str] = set()
    with path.open("rb+") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        if size:
            fh.seek(max(0, size - 1))
            if fh.read(1) != b"\n":  # cut short: drop the partial line
                fh.seek(0)
                data_end = fh.read().rfind(b"\n") + 1
                fh.truncate(data_end)
    tmp = path.with_name(path.name + ".resume-tmp") if retry_failed else None
    with (
        path.open(encoding="utf-8") as fh,
        tmp.open("w", encoding="utf-8") if tmp else open(os.devnull, "w") as out,
    ):
        for line in fh:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if not isinstance(record, dict) or "id" not in record:
                continue
            if retry_failed and "result" not in record:
                continue
            ids.add(str(record["id"]))
            out.write(line)
    if tmp is not None:
        os.replace(tmp, path)
    return ids


class JsonlWriter:
    """Writes one whole line per outcome and flushes it, so an interrupt leaves valid JSONL.

    A line the stream cannot encode (an id with a lone surrogate, from a file name that is
    not UTF-8 or a JSON ``"\\ud800"``; any non-ASCII text on an ASCII stdout) is written
    with ``\\u`` escapes instead, which JSON readers (and ``--resume``) decode to the same id.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, outcome: BatchOutcome) -> None:
        record = outcome.to_record()
        try:  # a text stream encodes the whole line before writing any of it
            self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")
        except UnicodeEncodeError:
            self.stream.write(json.dumps(record) + "\n")  # ASCII with \u escapes
        self.stream.flush()
