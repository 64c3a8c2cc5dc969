"""The one redaction: API keys (and echoed prefixes of them) blanked out of any text.

Every place that turns something into text a person or a file will see (error messages,
log records, batch error lines, recordings, HTTP problem bodies) goes through
:func:`redact`. A key of at least :data:`MIN_SECRET_LENGTH` characters is replaced wherever
it occurs, and so is its first 12 characters (OpenAI's 401 echoes ``sk-proj-abcd****``); a
shorter key is replaced only where it stands as a whole word, so a 3-character test key
does not blank every word that happens to contain it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

MASK = "***"
MIN_SECRET_LENGTH = 8
PREFIX_LENGTH = 12
#: Environment variables whose values are secrets wherever they show up.
SECRET_VARIABLES = ("SUMMARIZER_API_KEY", "OPENAI_API_KEY")


def environment_secrets() -> list[str]:
    """The keys set in the environment right now."""
    values = (os.environ.get(name, "").strip() for name in SECRET_VARIABLES)
    return [v for v in values if v]


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret in ``secrets`` replaced by ``***``."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        if len(secret) >= MIN_SECRET_LENGTH:
            text = text.replace(secret, MASK)
            if len(secret) > PREFIX_LENGTH:
                text = text.replace(secret[:PREFIX_LENGTH], MASK)
        else:
            text = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", MASK, text)
    return text
