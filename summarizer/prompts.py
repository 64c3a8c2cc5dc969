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
# "<article>", "</article>", "< / ARTICLE >"...: the article must not open or close the
# delimiters the templates put around it (prompt injection). Escaped only in the prompt.
_DELIMITER = re.compile(r"<(\s*/?\s*article\b[^<>]*)>", re.IGNORECASE)


def neutralize(text: str) -> str:
    """Escape ``<article>``/``</article>`` markers inside untrusted text as ``&lt;…&gt;``."""
    return _DELIMITER.sub(lambda m: f"&lt;{m.group(1)}&gt;", text)


def data_dir(kind: str) -> Path:
    """Locate ``prompts/`` or ``schemas/``: inside the wheel, else in the source checkout."""
    packaged = Path(__file__).parent / "_data" / kind
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / kind


@dataclass(frozen=True)
class PromptSet:
    """The system and user templates, loaded once, with their combined hash."""

    directory: Path
    system_source: str
    user_source: str

    @property
    def hash(self) -> str:
        h = hashlib.sha256()
        for name, source in (
            (SYSTEM_TEMPLATE, self.system_source),
            (USER_TEMPLATE, self.user_source),
        ):
            h.update(name.encode() + b"\0" + source.encode() + b"\0")
        return h.hexdigest()[:16]

    @cached_property
    def _templates(self) -> tuple[Template, Template]:
        """Compiled once per prompt set: compiling costs ~2 ms, every call renders."""
        from jinja2 import Environment, StrictUndefined

        env = Environment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False)
        return env.from_string(self.system_source), env.from_string(self.user_source)

    def render(self, article: str, **variables: Any) -> list[dict[str, str]]:
        """Chat messages: the system prompt first, the article delimited in the user turn."""
        from jinja2 import UndefinedError

        system_template, user_template = self._templates
        values = {"language": "English", "title": "", **variables, "article": article}
        values["article"] = neutralize(str(values["article"]))
        values["title"] = neutralize(" ".join(str(values["title"]).split()))
        try:
            system = system_template.render(**values)
            user = user_template.render(**values)
        except UndefinedError as exc:
            raise ConfigError(
                f"prompt template in {self.directory} uses an undefined variable: {exc.message}"
            ) from exc
        return [
            {"role": "system", "content": system.strip()},
            {"role": "user", "content": user.strip()},
        ]


@lru_cache(maxsize=8)
def load_prompts(directory: str | None = None) -> PromptSet:
    """Read the templates from ``directory`` (default: the packaged ``prompts/``)."""
    path = Path(directory) if directory else data_dir("prompts")
    try:
        system = (path / SYSTEM_TEMPLATE).read_text(encoding="utf-8")
        user = (path / USER_TEMPLATE).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read prompt templates in {path}: {exc.strerror}") from exc
    return PromptSet(path, system, user)
