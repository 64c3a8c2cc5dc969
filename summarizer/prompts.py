"""Prompt templates are data: Jinja files under ``prompts/``, rendered strictly.

A missing variable is an error (``StrictUndefined``), and the templates' hash is part of
every cache key and of ``meta.prompt_hash``, so editing a prompt invalidates old results.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from summarizer.errors import ConfigError

if TYPE_CHECKING:
    from jinja2 import Template

SYSTEM_TEMPLATE = "system.j2"
USER_TEMPLATE = "user.j2"
# "<article>", "</article>", "< / ARTICLE >", "</article" with no ">"...: the article must
# not open or close the delimiters the templates put around it (prompt injection). Every
# "<" that starts such a marker is escaped, and its ">" too when there is one. Escaped
# only in the prompt.
_DELIMITER = re.compile(r"<(\s*/?\s*article\b[^<>]*)(>?)", re.IGNORECASE)


_PARTS = re.compile(r"<(\s*/?\s*parts\b[^<>]*)>", re.IGNORECASE)


def neutralize_parts(text: str) -> str:
    """Escape ``<parts>`` markers (the overview prompt's delimiters) and article markers."""
    return _PARTS.sub(lambda m: f"&lt;{m.group(1)}&gt;", neutralize(text))


def neutralize(text: str) -> str:
    """Escape ``<article>``/``</article>`` markers inside untrusted text as ``&lt;…&gt;``."""
    return _DELIMITER.sub(lambda m: f"&lt;{m.group(1)}{'&gt;' if m.group(2) else ''}", text)


def data_dir(kind: str) -> Path:
    """Locate ``prompts/`` or ``schemas/``: inside the wheel, else in the source checkout."""
    packaged = Path(__file__).parent / "_data" / kind
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / kind


ARTICLE_TEMPLATES = (SYSTEM_TEMPLATE, USER_TEMPLATE)
#: The article prompt of ``--evidence sentences``: the article as numbered sentences.
SENTENCE_TEMPLATES = ("sentences_system.j2", "sentences_user.j2")
#: The final call for a long article: the parts' summaries in, the whole article's out.
OVERVIEW_TEMPLATES = ("overview_system.j2", "overview_user.j2")
TEMPLATES = ARTICLE_TEMPLATES + SENTENCE_TEMPLATES + OVERVIEW_TEMPLATES
#: Templates a prompts directory of one's own may leave out (the packaged ones are used).
OPTIONAL_TEMPLATES = SENTENCE_TEMPLATES + OVERVIEW_TEMPLATES


def _digest(sources: dict[str, str], names: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    for name in names:
        h.update(name.encode() + b"\0" + sources[name].encode() + b"\0")
    return h.hexdigest()[:16]


@dataclass(frozen=True)
class PromptSet:
    """Every template, loaded once, with their hashes.

    ``hash`` covers the article prompt of ``evidence`` mode (what ``meta.prompt_hash``
    reports and recordings name); ``full_hash`` covers every template and the evidence
    mode, and is what the cache key uses, so editing any of them (the long-article
    overview too) invalidates the results it shaped.
    """

    directory: Path
    sources: dict[str, str]
    evidence: str = "quotes"

    @property
    def article_templates(self) -> tuple[str, str]:
        return SENTENCE_TEMPLATES if self.evidence == "sentences" else ARTICLE_TEMPLATES

    @property
    def hash(self) -> str:
        return _digest(self.sources, self.article_templates)

    @property
    def full_hash(self) -> str:
        return _digest({**self.sources, "evidence": self.evidence}, (*TEMPLATES, "evidence"))

    @cached_property
    def _templates(self) -> dict[str, Template]:
        """Compiled once per prompt set: compiling costs ~2 ms, every call renders."""
        from jinja2 import Environment, StrictUndefined

        env = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
        return {name: env.from_string(source) for name, source in self.sources.items()}

    def _messages(self, names: tuple[str, ...], values: dict[str, Any]) -> list[dict[str, str]]:
        from jinja2 import UndefinedError

        system_name, user_name = names
        try:
            system = self._templates[system_name].render(**values)
            user = self._templates[user_name].render(**values)
        except UndefinedError as exc:
            raise ConfigError(
                f"prompt template in {self.directory} uses an undefined variable: {exc.message}"
            ) from exc
        return [
            {"role": "system", "content": system.strip()},
            {"role": "user", "content": user.strip()},
        ]

    def render(self, article: str, **variables: Any) -> list[dict[str, str]]:
        """Chat messages: the system prompt first, the article delimited in the user turn
        (with ``evidence="sentences"``: as numbered sentences, ``[S1] ...``)."""
        values = {"language": "English", "title": "", **variables, "article": article}
        values["article"] = neutralize(str(values["article"]))
        values["title"] = neutralize(" ".join(str(values["title"]).split()))
        if self.evidence == "sentences":
            from summarizer.citations import numbered_sentences

            values["sentences"] = [
                {"id": s.id, "text": neutralize(s.text), "paragraph": s.paragraph}
                for s in numbered_sentences(article)
            ]
        return self._messages(self.article_templates, values)

    def render_overview(
        self, parts: list[dict[str, Any]], title: str | None = None
    ) -> list[dict[str, str]]:
        """The long-article overview prompt: the parts' ``tldr``, ``summary``, ``key_points``."""
        clean = [
            {
                "tldr": neutralize_parts(str(p["tldr"])),
                "summary": neutralize_parts(str(p["summary"])),
                "key_points": [neutralize_parts(str(k)) for k in p["key_points"]],
            }
            for p in parts
        ]
        heading = neutralize_parts(" ".join((title or "").split()))
        return self._messages(OVERVIEW_TEMPLATES, {"parts": clean, "title": heading})


@lru_cache(maxsize=8)
def load_prompts(directory: str | None = None, evidence: str = "quotes") -> PromptSet:
    """Read the templates from ``directory`` (default: the packaged ``prompts/``), for
    ``evidence`` mode (``quotes`` or ``sentences``).

    A directory of one's own needs the article templates; a sentence-mode or overview
    template it lacks comes from the packaged set.
    """
    packaged = data_dir("prompts")
    path = Path(directory) if directory else packaged
    sources: dict[str, str] = {}
    for name in TEMPLATES:
        source = path / name
        if name in OPTIONAL_TEMPLATES and not source.exists():
            source = packaged / name
        try:
            sources[name] = source.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read prompt templates in {path}: {exc.strerror}") from exc
    return PromptSet(path, sources, evidence)
