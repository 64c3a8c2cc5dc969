"""What a batch reads: files, directories, glob patterns and JSONL lists, lazily.

:func:`expand_inputs` turns command-line inputs into :class:`BatchItem` s one at a time
(``{"id", "text" | "path" | "url", "title"?}`` per JSONL line), and an item's text is
only read when its turn comes; :func:`unique_ids` makes every id distinct for ``--resume``.
"""

from __future__ import annotations

import glob
import json
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, TextIO

from summarizer.errors import InputError, SummarizerError

if TYPE_CHECKING:
    pass

ARTICLE_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown", ".html", ".htm"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})


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
