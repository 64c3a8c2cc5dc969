"""Reading an article from a path or stdin into clean text, or a clear :class:`InputError`.

What is accepted, in order of the checks:

* the path: a missing file, a broken symbolic link or a link loop, a URL (read here as
  a path; :mod:`summarizer.fetch` fetches http(s) pages), a directory, closed standard
  input each get their own message; with
  ``regular_only`` (batch), FIFOs, devices and sockets are refused without being opened
  for a blocking read;
* size: at most :data:`MAX_BYTES` bytes are read; a larger input is an error naming the
  limit (the character limit on the text itself is ``Settings.max_input_chars``);
* encoding: a UTF-32/UTF-16/UTF-8 byte-order mark wins; then UTF-16 without a mark, known
  by its NUL bytes (every other byte of Latin-script text), with a warning; otherwise
  UTF-8; bytes that are not UTF-8 are decoded as Windows-1252 (a superset of Latin-1 for
  text) with a warning in :attr:`Article.warnings`, never a crash;
* binary: known file signatures (PNG, JPEG, GIF, PDF, ZIP, gzip...) and a NUL byte
  anywhere in the input are rejected as "not text";
* HTML (a ``.html``/``.htm`` file, or text that starts like a page): the main article
  text and the title are extracted with ``trafilatura`` (imported only for HTML);
* content: empty, whitespace-only and boilerplate-only text ("- News", "Advertisement",
  a few symbols) is rejected with "no article text".

The text itself is never rewritten beyond decoding (quotes are checked against it), apart
from dropping the byte-order mark.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from summarizer.errors import InputError

#: The most bytes read from one input. 4 MB holds the largest UTF-8 encoding of a
#: ``max_input_chars`` (1M-character) article; it exists so a wrong path (a log, a dump)
#: is refused before it is read into memory. Long articles are chunked downstream.
MAX_BYTES = 4_000_000
#: An article needs at least this many words (outside boilerplate lines) to be summarized;
#: each Chinese or Japanese character counts as a word.
MIN_WORDS = 5

_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
)
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document (convert it to text first)"),
    (b"PK\x03\x04", "a ZIP archive (or a .docx/.odt document: save it as text first)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x7fELF", "an executable"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (save it as text first)"),
)
_HTML_START = re.compile(
    r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S
)
_HTML_SUFFIXES = (".html", ".htm", ".xhtml")
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
_UTF16_SAMPLE = 8192  # bytes looked at to tell UTF-16 without a byte-order mark
# C0 controls other than tab, LF, VT, FF and CR, and DEL: text has almost none of them;
# binary data without NULs, and UTF-16 of a non-Latin script without a byte-order mark
# read as single bytes, are full of them.
_CONTROL_CHARS = "".join(map(chr, [*range(0x01, 0x09), *range(0x0E, 0x20), 0x7F]))
_CONTROL_BYTES = _CONTROL_CHARS.encode("ascii")
_MAX_CONTROL_SHARE = 0.05
_NUL_PATH = "{source}: not a usable path (it contains a NUL character)"
_NOT_TEXT_HINT = "if it is UTF-16 or UTF-32 text, save it as UTF-8 (or with a byte-order mark)"
# Chinese and Japanese are written without spaces: each ideograph or kana counts as a
# word (a run of them is a sentence, not a word). Hangul, written with spaces between
# words, counts like letters: a run of two or more.
_CJK = (
    "\u3005\u3007\u3021-\u3029\u3038-\u303b"  # 々 〇 and other ideographic marks
    "\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff\uff66-\uff9d"  # kana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003ffff"  # ideographs
)
_WORD = re.compile(rf"[{_CJK}]|[^\W\d_{_CJK}]{{2,}}")
_BOILERPLATE_LINE = re.compile(
    r"^(?:[-–—•*|>#]+\s*)?(?:news|home|menu|advertisement|sponsored|share|share this|"
    r"subscribe|sign up|sign in|log in|read more|related|follow us|click here|skip to content|"
    r"all rights reserved|copyright.*|©.*|cookies?.*|privacy policy|terms of use)\W*$",
    re.I,
)


@dataclass
class Article:
    text: str
    source: str
    warnings: list[str] = field(default_factory=list)
    title: str | None = None


def _sniff_signature(data: bytes, source: str) -> None:
    for magic, kind in _SIGNATURES:
        if data.startswith(magic):
            raise InputError(f"{source}: looks like {kind}, not article text")


def _reject_nul(found: bool, source: str) -> None:
    if found:
        raise InputError(
            f"{source}: looks like a binary file (NUL bytes), not article text; {_NOT_TEXT_HINT}"
        )


def _reject_controls(text: str | bytes, source: str) -> None:
    if isinstance(text, str):
        count = sum(text.count(c) for c in _CONTROL_CHARS)
    else:  # one pass in C
        count = len(text) - len(text.translate(None, _CONTROL_BYTES))
    if count > max(16, len(text) * _MAX_CONTROL_SHARE):
        raise InputError(
            f"{source}: looks like a binary file ({count:,} control characters in "
            f"{len(text):,}), not article text; {_NOT_TEXT_HINT}"
        )


def _bomless_utf16(data: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` if the NUL bytes fall on every other byte, else ``None``.

    UTF-16 has a NUL high byte in every ASCII code unit (spaces, digits, punctuation; most
    letters of Latin scripts) and almost never a NUL low byte; binary data and UTF-32
    (two or three NULs in a row) do not look like that. Five words need four spaces, so
    at least four NULs.
    """
    if len(data) < 4 or len(data) % 2:
        return None
    sample = data[:_UTF16_SAMPLE]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    units = len(sample) // 2
    if odd >= max(4, units * 0.05) and even <= odd * 0.02:
        return "utf-16-le"
    if even >= max(4, units * 0.05) and odd <= even * 0.02:
        return "utf-16-be"
    return None


def _decode_utf16(data: bytes, encoding: str, source: str) -> tuple[str, list[str]]:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source}: looks like {encoding.upper()} without a byte-order mark (NUL bytes "
            f"between the letters) but is not valid {encoding.upper()} (byte {exc.start}); "
            f"{_NOT_TEXT_HINT}"
        ) from exc
    _reject_nul("\x00" in text, source)
    _reject_controls(text, source)
    warning = (
        f"{source}: no byte-order mark, but its NUL bytes show {encoding.upper()}; decoded as "
        f"{encoding.upper()}. Save it as UTF-8 to avoid this warning"
    )
    return text, [warning]


def decode(data: bytes, source: str) -> tuple[str, list[str]]:
    """Bytes to text and warnings: BOM, else UTF-16 by its NULs, else UTF-8, else cp1252."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{source}: starts with a {encoding.upper()} byte-order mark but is not "
                    f"valid {encoding.upper()} (byte {exc.start + len(bom)})"
                ) from exc
            _reject_nul("\x00" in text, source)
            _reject_controls(text, source)
            return text, []
    _sniff_signature(data, source)
    utf16 = _bomless_utf16(data) if b"\x00" in data else None
    if utf16 is not None:
        return _decode_utf16(data, utf16, source)
    _reject_nul(b"\x00" in data, source)  # anywhere, not only near the start
    _reject_controls(data, source)  # a byte under 0x20 is that control in UTF-8 and cp1252
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        bad = exc.start
    try:
        text, encoding = data.decode("cp1252"), "Windows-1252 (cp1252)"
    except UnicodeDecodeError:  # 0x81, 0x8d, 0x8f, 0x90, 0x9d are undefined in cp1252
        text, encoding = data.decode("latin-1"), "Latin-1 (ISO-8859-1)"
    warning = (
        f"{source}: not valid UTF-8 (first bad byte at offset {bad}); decoded as {encoding}. "
        "If accented letters look wrong, convert the file to UTF-8"
    )
    return text, [warning]


def looks_like_html(text: str, source: str = "") -> bool:
    return source.lower().endswith(_HTML_SUFFIXES) or bool(_HTML_START.match(text[:4096]))


def extract_html(html: str, source: str) -> tuple[str, str | None]:
    """The main text and the title of an HTML page (``trafilatura``, imported lazily)."""
    try:
        import trafilatura
    except ImportError as exc:  # pragma: no cover - trafilatura is a dependency
        raise InputError(
            f"{source}: is an HTML page, and reading HTML needs the 'trafilatura' package "
            "(pip install trafilatura)"
        ) from exc
    doc: Any = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=False
    )
    text = str(getattr(doc, "text", "") or "").strip() if doc is not None else ""
    title = str(getattr(doc, "title", "") or "").strip() if doc is not None else ""
    if not text:
        raise InputError(f"{source}: no article text found in the HTML page")
    return text, (title or None)


def check_text(text: str, source: str, warnings: list[str] | None = None) -> Article:
    """Reject text with nothing to summarize; otherwise wrap it, unchanged."""
    if not text.strip():
        raise InputError(f"{source}: the article is empty")
    words = 0
    for line in text.splitlines():  # counted only as far as MIN_WORDS: a check, not a tally
        if not _BOILERPLATE_LINE.match(line.strip()):
            words += len(_WORD.findall(line))
            if words >= MIN_WORDS:
                break
    if words < MIN_WORDS:
        raise InputError(
            f"{source}: no article text (only {words} word(s) outside boilerplate; "
            f"at least {MIN_WORDS} needed)"
        )
    return Article(text=text, source=source, warnings=list(warnings or []))


def url_hint(spec: str) -> str | None:
    """The message for a path that is really a URL (``https://...``), else ``None``."""
    if _URL.match(spec):
        if spec.lower().startswith(("http://", "https://")):
            return (
                f"{spec}: looks like a URL, and this reads files: fetch pages with "
                "summarizer.fetch.fetch_article (the CLI's `summarize URL` and `batch` do)"
            )
        return (
            f"{spec}: looks like a URL, and only http and https URLs are fetched: save the "
            "page (or its text) to a file and pass that file"
        )
    return None


def _read_stdin() -> bytes:
    stream: Any = sys.stdin
    if stream is None:  # started with standard input closed (`<&-`)
        raise InputError(
            "<stdin>: standard input is closed: pipe the article in, or pass a file instead of -"
        )
    try:
        data = getattr(stream, "buffer", stream).read(MAX_BYTES + 1)
    except (OSError, ValueError) as exc:  # EBADF, or "I/O operation on closed file"
        raise InputError(f"<stdin>: cannot read standard input ({exc})") from exc
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def _missing(p: Path, given: str, exc: OSError) -> str:
    """Why ``os.stat`` failed, in the words a user needs (``given``: the path as typed)."""
    source = str(p)
    if exc.errno == errno.ELOOP:
        return f"{source}: is a symbolic link loop (following it never reaches a file)"
    if exc.errno not in (errno.ENOENT, errno.ENOTDIR):
        return f"{source}: cannot read ({exc.strerror or exc})"
    hint = url_hint(given)
    if hint is not None:
        return hint
    if p.is_symlink():
        return f"{source}: is a broken symbolic link (to {os.readlink(p)}, which does not exist)"
    return f"{source}: no such file"


def path_problem(spec: str) -> str | None:
    """Why ``spec`` cannot be reached (no such file, a broken link, a link loop, a URL),
    in the words of :func:`read_article`'s errors; ``None`` if it exists."""
    try:
        os.stat(spec)
    except OSError as exc:
        return _missing(Path(spec), spec, exc)
    except ValueError:  # an embedded NUL
        return _NUL_PATH.format(source=spec)
    return None


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def _not_regular(mode: int, source: str) -> InputError:
    return InputError(
        f"{source}: is {_kind(mode)}, not an article file (only regular files are read)"
    )


def _open(p: Path, given: str, regular_only: bool) -> IO[bytes]:
    source = str(p)
    try:
        mode = os.stat(p).st_mode
    except OSError as exc:
        raise InputError(_missing(p, given, exc)) from exc
    except ValueError as exc:  # an embedded NUL (a JSON "\u0000" in a list's path)
        raise InputError(_NUL_PATH.format(source=source)) from exc
    if stat.S_ISDIR(mode):
        raise InputError(f"{source}: is a directory, not an article file")
    if regular_only and not stat.S_ISREG(mode):
        raise _not_regular(mode, source)
    # O_NONBLOCK: a file swapped for a FIFO after the stat cannot block the open
    nonblock = getattr(os, "O_NONBLOCK", 0) if regular_only else 0
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_BINARY", 0) | nonblock)
    except OSError as exc:
        raise InputError(f"{source}: cannot read ({exc.strerror or exc})") from exc
    try:
        mode = os.fstat(fd).st_mode
        if regular_only and not stat.S_ISREG(mode):
            raise _not_regular(mode, source)
        if nonblock:
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _read(path: str | Path, regular_only: bool = False) -> tuple[bytes, str]:
    if str(path) == "-":
        return _read_stdin(), "<stdin>"
    p = Path(path)
    source = str(p)
    with _open(p, str(path), regular_only) as fh:
        try:
            return fh.read(MAX_BYTES + 1), source
        except OSError as exc:
            raise InputError(f"{source}: cannot read ({exc.strerror or exc})") from exc


def parse_bytes(data: bytes, source: str) -> Article:
    """Bytes (a file's or stdin's content) to a checked :class:`Article`."""
    if len(data) > MAX_BYTES:
        raise InputError(
            f"{source}: larger than the {MAX_BYTES / 1_000_000:g} MB input limit; pass one article"
        )
    text, warnings = decode(data, source)
    title = None
    if looks_like_html(text, source):
        text, title = extract_html(text, source)
    article = check_text(text, source, warnings)
    article.title = title
    return article


def read_article(path: str | Path, *, regular_only: bool = False) -> Article:
    """Read ``path`` (``-`` for stdin): decoded, HTML extracted, checked.

    ``regular_only`` refuses FIFOs, devices and sockets (a batch must never block on one);
    without it a named pipe is read like a file (``summarizer summarize <(curl ...)``).
    """
    data, source = _read(path, regular_only)
    return parse_bytes(data, source)
