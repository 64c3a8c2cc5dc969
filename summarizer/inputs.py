"""Reading an article from a path or stdin into clean text, or a clear :class:`InputError`.

What is accepted, in order of the checks:

* size: at most :data:`MAX_BYTES` bytes are read; a larger input is an error naming the
  limit (the character limit on the text itself is ``Settings.max_input_chars``);
* encoding: a UTF-32/UTF-16/UTF-8 byte-order mark wins; otherwise UTF-8; bytes that are
  not UTF-8 are decoded as Windows-1252 (a superset of Latin-1 for text) with a warning in
  :attr:`Article.warnings`, never a crash;
* binary: known file signatures (PNG, JPEG, GIF, PDF, ZIP, gzip...) and NUL bytes are
  rejected as "not text";
* HTML (a ``.html``/``.htm`` file, or text that starts like a page): the main article
  text and the title are extracted with ``trafilatura`` (imported only for HTML);
* content: empty, whitespace-only and boilerplate-only text ("- News", "Advertisement",
  a few symbols) is rejected with "no article text".

The text itself is never rewritten beyond decoding (quotes are checked against it), apart
from dropping the byte-order mark.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


def _sniff_binary(data: bytes, source: str) -> None:
    for magic, kind in _SIGNATURES:
        if data.startswith(magic):
            raise InputError(f"{source}: looks like {kind}, not article text")
    if b"\x00" in data[:8192]:
        raise InputError(f"{source}: looks like a binary file (NUL bytes), not article text")


def decode(data: bytes, source: str) -> tuple[str, list[str]]:
    """Bytes to text and warnings: BOM, else UTF-8, else Windows-1252 with a warning."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding), []
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{source}: starts with a {encoding.upper()} byte-order mark but is not "
                    f"valid {encoding.upper()} (byte {exc.start + len(bom)})"
                ) from exc
    _sniff_binary(data, source)
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
    words = sum(
        len(_WORD.findall(line))
        for line in text.splitlines()
        if not _BOILERPLATE_LINE.match(line.strip())
    )
    if words < MIN_WORDS:
        raise InputError(
            f"{source}: no article text (only {words} word(s) outside boilerplate; "
            f"at least {MIN_WORDS} needed)"
        )
    return Article(text=text, source=source, warnings=list(warnings or []))


def _read(path: str | Path) -> tuple[bytes, str]:
    if str(path) == "-":
        return sys.stdin.buffer.read(MAX_BYTES + 1), "<stdin>"
    p = Path(path)
    source = str(p)
    if not p.exists():
        raise InputError(f"{source}: no such file")
    if p.is_dir():
        raise InputError(f"{source}: is a directory, not an article file")
    try:
        with p.open("rb") as fh:
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


def read_article(path: str | Path) -> Article:
    """Read ``path`` (``-`` for stdin): decoded, HTML extracted, checked."""
    data, source = _read(path)
    return parse_bytes(data, source)
