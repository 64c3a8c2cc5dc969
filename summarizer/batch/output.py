"""What one article of a batch became, and the JSONL lines that record it.

:class:`BatchOutcome` is a result or an error, never both; :class:`JsonlWriter` writes
one whole line per outcome and flushes it; :func:`done_ids` reads an output file back
for ``--resume``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TextIO

from summarizer.engines.base import Usage
from summarizer.errors import OutputError, SummarizerError

if TYPE_CHECKING:
    from summarizer.result import SummaryResult


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
    title: str | None = None
    text: str | None = None  # kept only for inline items: their text is nowhere else
    text_sha256: str | None = None  # of the text summarized, to check a re-read file
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
        if not message.strip():  # MemoryError(), a bare exception: never an empty message
            message = f"{type(exc).__name__} (the error gave no message)"
        record: dict[str, Any] = {
            "type": type(exc).__name__,
            "message": self.scrub(message),
            "exit_code": code,
        }
        spent = self._failure_spend()
        if spent is not None:  # a failure that was paid for
            usage, cost = spent
            record["usage"] = {
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "total_tokens": usage.total_tokens,
            }
            record["cost_usd"] = cost
        return record

    def _failure_spend(self) -> tuple[Usage, float | None] | None:
        """The tokens a failed call spent and their price (``None``: unknown), as its
        engine and the façade put them on the error; ``None`` if it spent nothing."""
        exc = self.error
        if self.result is not None or not isinstance(exc, SummarizerError):
            return None
        usage, cost = exc.details.get("usage"), exc.details.get("cost_usd")
        if not isinstance(usage, Usage) or not usage.total_tokens:
            return None
        return usage, cost if isinstance(cost, float) else None

    @property
    def paid_for(self) -> bool:
        """Whether the model was paid for this article: a result, or a failure that spent."""
        return self.result is not None or self._failure_spend() is not None

    @property
    def cost_usd(self) -> float | None:
        """What this article cost: its result's, or a failure's spend (``None``: unknown)."""
        if self.result is not None:
            return self.result.meta.cost_usd
        spent = self._failure_spend()
        return spent[1] if spent is not None else None

    def to_record(self) -> dict[str, Any]:
        """One JSONL line: ``{"id", "path"?, "title"?, "result", "text_sha256", "text"?}``
        or ``{"id", "path"?, "title"?, "error"}``.

        ``text_sha256`` lets a reader (``summarizer report``) check that a file re-read
        from ``path`` is still the text the offsets point into; ``text`` is there only for
        items given inline (a JSONL ``text``, a library string), whose text is nowhere else.
        """
        record: dict[str, Any] = {"id": self.id}
        if self.path is not None:
            record["path"] = self.path
        if self.title is not None:
            record["title"] = self.title
        if self.result is not None:
            record["result"] = self.result.to_dict()
            if self.text_sha256 is not None:
                record["text_sha256"] = self.text_sha256
            if self.text is not None:
                record["text"] = self.text
        else:
            record["error"] = self.error_dict()
        return record


def text_digest(text: str) -> str:
    """SHA-256 (hex) of an article text as summarized (UTF-8; lone surrogates kept)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# -- output --------------------------------------------------------------------------------
_SCAN = 1 << 16  # the end of an output file is searched backwards this much at a time


def _after_last_newline(fh: IO[bytes], size: int) -> int:
    """The offset just after the last ``\\n`` (0 if none), reading from the end in pieces:
    an output file of any size is never read into memory whole."""
    end = size
    while end > 0:
        start = max(0, end - _SCAN)
        fh.seek(start)
        found = fh.read(end - start).rfind(b"\n")
        if found >= 0:
            return start + found + 1
        end = start
    return 0


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
                fh.truncate(_after_last_newline(fh, size))
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
        try:
            try:  # a text stream encodes the whole line before writing any of it
                self.stream.write(json.dumps(record, ensure_ascii=False) + "\n")
            except UnicodeEncodeError:
                self.stream.write(json.dumps(record) + "\n")  # ASCII with \u escapes
            self.stream.flush()
        except OSError as exc:  # EPIPE (the reader went away), ENOSPC
            raise OutputError(f"cannot write the output ({exc.strerror or exc})") from exc
