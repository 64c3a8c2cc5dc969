"""What a batch reads: files, directories, glob patterns and JSONL lists, lazily.

:func:`expand_inputs` turns command-line inputs into :class:`BatchItem` s one at a time
(``{"id", "text" | "path" | "url", "title"?}`` per JSONL line, see :func:`read_jsonl`),
and an item's text is only read when its turn comes; :func:`unique_ids` makes every id
distinct for ``--resume``; :func:`printable` makes ids and messages safe to show.

Bounds: a list line is read with a bounded ``readline`` (at most :data:`MAX_LINE_BYTES`;
the rest of a longer line is read in pieces and dropped) and its inline ``text`` may be
at most :data:`summarizer.inputs.MAX_BYTES` bytes, as for a file; either failure fails
that line alone. A ``path`` item may name any file the process can read: pass
``allow_paths=False`` where the list comes from someone else (an HTTP request).
"""

from __future__ import annotations

import glob
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, TextIO

from summarizer.errors import InputError, SummarizerError
from summarizer.inputs import MAX_BYTES, path_problem

if TYPE_CHECKING:
    from summarizer.fetch import FetchPolicy

ARTICLE_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown", ".html", ".htm"})
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson"})
#: The longest JSONL list line read: room for the JSON escapes (``\uXXXX``, up to 3 bytes
#: per byte of UTF-8) of a :data:`~summarizer.inputs.MAX_BYTES` article. A longer line
#: fails alone, and is never held in memory whole.
MAX_LINE_BYTES = 3 * MAX_BYTES + 1_000_000
_DISCARD_CHUNK = 1 << 20  # the rest of an over-long line is read and dropped this much at a time
_MB = 1_000_000
# C0/C1 controls (ANSI escapes, CR/LF that forge lines), DEL, and bidi/line-separator marks
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


@dataclass
class BatchItem:
    """One article to summarize: inline ``text`` or ``html``, a file ``path``, or a ``url``."""

    id: str
    text: str | None = None
    path: str | None = None
    url: str | None = None
    title: str | None = None
    error: SummarizerError | None = None  # found while reading the input list
    html: str | None = None
    fetch: FetchPolicy | None = None  # limits for a ``url`` item (default: FetchPolicy())

    def load(self) -> tuple[str, str | None, list[str]]:
        """The article text, title and input warnings (e.g. a legacy encoding).

        Raises :class:`InputError` if there is no usable text.
        """
        from summarizer.inputs import read_article

        if self.error is not None:
            raise self.error
        if self.text is not None:
            return self.text, self.title, []
        if self.path is not None:  # never a FIFO or a device: a batch must not block on one
            article = read_article(self.path, regular_only=True)
            return article.text, self.title or article.title, list(article.warnings)
        if self.html is not None:
            from summarizer.inputs import check_text, extract_html

            text, title = extract_html(self.html, self.id)
            return check_text(text, self.id).text, self.title or title, []
        if self.url is not None:
            from summarizer.fetch import fetch_article

            page = fetch_article(self.url, self.fetch)
            return page.text, self.title or page.title, list(page.warnings)
        raise InputError(f"{self.id}: the item has none of `text`, `path` or `url`")

    async def aload(self) -> tuple[str, str | None, list[str]]:
        """:meth:`load`, fetching a ``url`` item without blocking the event loop."""
        if self.error is None and self.text is None and self.path is None and self.url:
            from summarizer.fetch import afetch_article

            page = await afetch_article(self.url, self.fetch)
            return page.text, self.title or page.title, list(page.warnings)
        return self.load()


# -- reading inputs ------------------------------------------------------------------------
def _failed(where: str, message: str) -> BatchItem:
    return BatchItem(where, error=InputError(f"{where}: {message}"))


def _jsonl_item(raw: str, where: str, base: Path, allow_paths: bool) -> BatchItem | None:
    line = raw.strip()
    if not line:
        return None
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        return _failed(where, f"not valid JSON ({exc.msg})")
    except ValueError as exc:  # an integer of more than 4300 digits
        return _failed(where, f"not usable JSON ({exc})")
    except RecursionError:  # [[[[... nested deeper than the parser's stack
        return _failed(where, "not valid JSON (nested too deeply)")
    if not isinstance(data, dict):
        return _failed(where, "expected a JSON object")
    item_id = str(data["id"]) if data.get("id") is not None else where
    values = {k: data.get(k) for k in ("text", "path", "url", "title")}
    bad = [k for k, v in values.items() if v is not None and not isinstance(v, str)]
    if bad:
        return BatchItem(item_id, error=InputError(f"{item_id}: `{bad[0]}` must be a string"))
    text, path = values["text"], values["path"]
    if text is not None and len(text) > MAX_BYTES // 4 and _utf8_size(text) > MAX_BYTES:
        return BatchItem(
            item_id,
            error=InputError(
                f"{item_id}: `text` is larger than the {MAX_BYTES / _MB:g} MB input limit; "
                "pass one article"
            ),
        )
    if path is not None and not allow_paths:
        return BatchItem(
            item_id,
            error=InputError(f"{item_id}: `path` items are not accepted here: send the `text`"),
        )
    if path is not None and not Path(path).is_absolute():
        path = str(base / path)  # relative paths are relative to the JSONL file
    return BatchItem(item_id, text, path, values["url"], values["title"])


def _utf8_size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _bounded_lines(stream: IO[bytes] | TextIO, limit: int) -> Iterator[str | bytes | None]:
    """The stream's lines, or ``None`` for a line over ``limit`` (its rest is dropped).

    ``limit`` counts bytes (characters for a text stream). Memory stays within about
    ``limit`` whatever the input: the rest of a long line is read and dropped in pieces.
    """
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        if len(line) <= limit or line[-1:] in (b"\n", "\n"):
            yield line
            continue
        while True:
            rest = stream.readline(_DISCARD_CHUNK)
            if not rest or rest[-1:] in (b"\n", "\n"):
                break
        yield None


def _decoded(raw: str | bytes, lineno: int) -> str:
    if isinstance(raw, bytes):  # a BOM is allowed on the first line only
        return raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
    return raw.removeprefix("\ufeff") if lineno == 1 else raw


def read_jsonl(
    stream: IO[bytes] | TextIO,
    source: str,
    *,
    base: Path | None = None,
    allow_paths: bool = True,
) -> Iterator[BatchItem]:
    """Items from a JSONL list, decoded line by line: one bad line fails alone.

    ``source`` names the list in ids and messages (``source:lineno``); a relative ``path``
    is relative to ``base`` (default: the working directory). ``allow_paths=False``
    refuses every ``path`` item (each fails as its own line): for lists that come from
    someone else, such as an HTTP request, which must never read the server's files.
    """
    base = Path.cwd() if base is None else base
    lineno = 0
    try:
        for lineno, raw in enumerate(_bounded_lines(stream, MAX_LINE_BYTES), 1):
            where = f"{source}:{lineno}"
            if raw is None:
                yield _failed(
                    where,
                    f"the line is over the {MAX_LINE_BYTES / _MB:g} MB limit for one list line "
                    f"(an article may be at most {MAX_BYTES / _MB:g} MB); it was skipped",
                )
                continue
            try:
                line = _decoded(raw, lineno)
            except UnicodeDecodeError as exc:
                yield _failed(where, f"not UTF-8 ({exc.reason})")
                continue
            item = _jsonl_item(line, where, base, allow_paths)
            if item is not None:
                yield item
    except (OSError, ValueError) as exc:  # EBADF, EIO, "I/O operation on closed file"
        yield _failed(f"{source}:{lineno + 1}", f"cannot read the list ({exc})")


def _walk(directory: str) -> Iterator[str]:
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and Path(name).suffix.lower() in ARTICLE_SUFFIXES:
                yield os.path.join(root, name)


def _stdin_closed() -> bool:
    return sys.stdin is None


_STDIN_CLOSED = "standard input is closed: pipe a JSONL list in, or pass files instead of -"


def expand_inputs(inputs: Iterable[str], *, allow_paths: bool = True) -> Iterator[BatchItem]:
    """Files, directories (article files inside, recursively), globs, JSONL lists, ``-``, URLs.

    The inputs themselves are the caller's choice; ``allow_paths=False`` refuses the
    ``path`` items inside lists (see :func:`read_jsonl`).
    """
    for spec in inputs:
        if spec.lower().startswith(("http://", "https://")):
            yield BatchItem(spec, url=spec)
        elif spec == "-":
            if _stdin_closed():
                yield _failed("<stdin>", _STDIN_CLOSED)
                continue
            yield from _read_stdin_list(allow_paths)
        elif os.path.isdir(spec):
            yield from (BatchItem(p, path=p) for p in _walk(spec))
        elif os.path.isfile(spec) and Path(spec).suffix.lower() in JSONL_SUFFIXES:
            yield from _read_list_file(spec, allow_paths)
        elif os.path.exists(spec) or not glob.has_magic(spec):
            yield BatchItem(spec, path=spec)  # a missing file fails as its own item
        else:
            matches = sorted(glob.glob(spec, recursive=True))
            if not matches:
                yield BatchItem(spec, error=InputError(f"{spec}: no file matches this pattern"))
            yield from expand_inputs(
                (m for m in matches if not os.path.isdir(m)), allow_paths=allow_paths
            )


def _read_stdin_list(allow_paths: bool) -> Iterator[BatchItem]:
    """The list on standard input, through a reader of its own on fd 0 when there is one.

    A batch reads it in a thread that Ctrl-C may leave blocked in a read; had it locked
    ``sys.stdin.buffer``, the interpreter would abort at exit trying to close that.
    """
    try:
        fd = sys.stdin.fileno()
    except (AttributeError, OSError, ValueError):  # a test runner's or an IDE's stdin
        stream: IO[bytes] | TextIO = getattr(sys.stdin, "buffer", None) or sys.stdin
        yield from read_jsonl(stream, "<stdin>", base=Path.cwd(), allow_paths=allow_paths)
        return
    with open(fd, "rb", closefd=False) as own:
        yield from read_jsonl(own, "<stdin>", base=Path.cwd(), allow_paths=allow_paths)


def _read_list_file(spec: str, allow_paths: bool) -> Iterator[BatchItem]:
    try:
        with open(spec, "rb") as fh:  # errors while reading fail inside read_jsonl
            yield from read_jsonl(fh, spec, base=Path(spec).parent, allow_paths=allow_paths)
    except OSError as exc:
        yield BatchItem(spec, error=InputError(f"{spec}: cannot read the list ({exc})"))


def check_inputs(inputs: Iterable[str]) -> None:
    """Raise :class:`InputError` naming every path or pattern that matches nothing.

    For the command line, before anything runs (and costs): a mistyped argument is
    reported at once (a URL is fetched later, a broken link or a link
    loop is named as such), and ``-`` with standard
    input closed is refused. Missing files named inside a JSONL list still fail one by one.
    """
    specs = list(inputs)
    if "-" in specs and _stdin_closed():
        raise InputError(f"-: {_STDIN_CLOSED} (nothing was run)")
    missing = [
        spec
        for spec in specs
        if spec != "-"
        and not spec.lower().startswith(("http://", "https://"))
        and not os.path.exists(spec)
        and not (glob.has_magic(spec) and any(glob.iglob(spec, recursive=True)))
    ]
    # a URL, a broken link, a link loop: say exactly that, not "no such file"
    special = [m for m in map(path_problem, missing) if m and not m.endswith(": no such file")]
    if special:
        raise InputError(f"{printable(special[0])} (nothing was run)")
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
    """``text`` safe for any stream and terminal, on one line: undecodable file-name bytes
    and lone surrogates, control characters (ANSI escapes, CR, LF), and bidi marks escaped
    as ``\\x1b``, ``\\n``, ``\\u202e``. Every id and message shown on stderr goes through it."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
