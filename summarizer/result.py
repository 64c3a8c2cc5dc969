"""What a run returns: the validated :class:`ArticleSummary` plus run metadata."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from summarizer.schema import ArticleSummary


class TokenUsage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class RunMeta(BaseModel):
    """How a summary was produced. Never contains credentials."""

    engine: str = Field(description="Which engine ran: 'llm' or 'extractive'.")
    model: str | None = Field(default=None, description="Model name (llm engine).")
    endpoint: str | None = Field(
        default=None, description="Endpoint scheme, host and path, without credentials."
    )
    mode: str | None = Field(default=None, description="instructor mode (llm engine).")
    prompt_hash: str | None = Field(default=None, description="Hash of the prompt templates.")
    schema_hash: str = Field(description="Hash of the ArticleSummary schema the model sees.")
    attempts: int = Field(default=1, description="Model answers used (1 + validation re-asks).")
    requests: int = Field(default=0, description="HTTP requests sent, transport retries included.")
    usage: TokenUsage = Field(default_factory=TokenUsage, description="Summed over all attempts.")
    latency_ms: float = Field(default=0.0, description="Wall time of this call.")
    cache_hit: bool = Field(default=False, description="Served from the local cache.")
    chunks: int = Field(default=1, description="Pieces a long article was split into.")
    version: str = Field(description="summarizer version.")
    warnings: list[str] = Field(default_factory=list, description="Non-fatal issues.")


class SummaryResult(BaseModel):
    """A summary and how it was made. ``to_dict()`` is the CLI's JSON output."""

    summary: ArticleSummary
    meta: RunMeta

    def to_dict(self) -> dict[str, Any]:
        data = self.summary.model_dump(mode="json")
        data["meta"] = self.meta.model_dump(mode="json")
        return data
