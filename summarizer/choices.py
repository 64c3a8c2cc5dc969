"""The closed sets of values some settings take, as Literal types.

:class:`summarizer.config.Settings` types its fields with them and the CLI derives its
choices from them; they live apart so that ``summarizer --help`` need not build Settings.
"""

from __future__ import annotations

from typing import Literal, get_args

EngineName = Literal["auto", "llm", "extractive"]
ModeName = Literal["tools", "json_schema", "json", "md_json"]
EvidenceName = Literal["quotes", "sentences"]
ENGINES: tuple[str, ...] = get_args(EngineName)
MODES: tuple[str, ...] = get_args(ModeName)
EVIDENCE_MODES: tuple[str, ...] = get_args(EvidenceName)
