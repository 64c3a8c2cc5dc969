"""Reading an article from a path or stdin into clean text, or a clear :class:`InputError`."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from summarizer.errors import InputError

MAX_BYTES = 2_000_000  # ~300k words; longer inputs are almost certainly not one article


@dataclass
class Article:
    text: str
    source: str
    warnings: list[str] = field(default_factory=list)
    title: str | None = None


def decode(data: bytes, source: str) -> Article:
    """Bytes to text: UTF-8 (BOM or not); anything else is an InputError for now."""
    warnings: list[str] = []
    if b"\x00" in data[:4096]:
        raise InputError(f"{source}: looks like a binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{source}: not valid UTF-8 text (byte {exc.start})") from exc
    return check_text(text, source, warnings)


def check_text(text: str, source: str, warnings: list[str] | None = None) -> Article:
    if not text.strip():
        raise InputError(f"{source}: the article is empty")
    return Article(text=text, source=source, warnings=warnings or [])


def read_article(path: str | Path) -> Article:
    """Read ``path`` (``-`` for stdin)."""
    if str(path) == "-":
        data = sys.stdin.buffer.read(MAX_BYTES + 1)
        source = "<stdin>"
    else:
        p = Path(path)
        source = str(p)
        if not p.exists():
            raise InputError(f"{source}: no such file")
        if p.is_dir():
            raise InputError(f"{source}: is a directory, not an article file")
        try:
            with p.open("rb") as fh:
                data = fh.read(MAX_BYTES + 1)
        except OSError as exc:
            raise InputError(f"{source}: cannot read ({exc.strerror})") from exc
    if len(data) > MAX_BYTES:
        raise InputError(f"{source}: larger than the {MAX_BYTES // 1_000_000} MB input limit")
    return decode(data, source)
