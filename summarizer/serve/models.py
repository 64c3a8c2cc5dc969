"""The request and response bodies of the HTTP API (pydantic), and the per-request options.

:class:`SummaryOptions` is the one list of settings a caller may choose per request; the
endpoint, the API key and every limit stay the operator's.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

PATH_REFUSED = (
    "`path` items are refused: the server never reads its own files on a client's behalf; "
    "send the article as `text`, `html` or `url`"
)
SOURCES = ("text", "html", "url")


def _unicode(value: str) -> str:
    """Refuse lone surrogates (``"\\ud800"`` in JSON): they cannot be stored or returned."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"not valid Unicode (a lone surrogate at {exc.start})") from None
    return value


Text = Annotated[str, AfterValidator(_unicode)]
Url = Annotated[str, Field(max_length=8192), AfterValidator(_unicode)]
Title = Annotated[str, Field(max_length=2000), AfterValidator(_unicode)]


class SummaryOptions(BaseModel):
    """Settings a caller may override for one request (``Settings`` names, all optional)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    engine: Literal["auto", "llm", "extractive"] | None = None
    model: Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_unicode)] | None = (
        None
    )
    mode: Literal["tools", "json_schema", "json", "md_json"] | None = None
    temperature: Annotated[float, Field(ge=0.0, le=2.0)] | None = None
    max_retries: Annotated[int, Field(ge=0, le=10)] | None = None
    max_tokens: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    token_budget: Annotated[int, Field(ge=1, le=1_000_000_000)] | None = None
    cache: bool | None = None
    refresh: bool | None = None
    strict: bool | None = None
    evidence: Literal["quotes", "sentences"] | None = None

    def overrides(self) -> dict[str, Any]:
        """The options given, as ``Settings`` overrides."""
        return self.model_dump(exclude_none=True)


#: The names :class:`SummaryOptions` accepts (anything else is a 422).
OPTION_NAMES: tuple[str, ...] = tuple(SummaryOptions.model_fields)


def _one_source(model: BaseModel) -> None:
    given = [name for name in SOURCES if getattr(model, name) is not None]
    if len(given) != 1:
        found = ", ".join(given) if given else "none"
        raise ValueError(f"give exactly one of `text`, `html` or `url` (got {found})")


class SummaryRequest(BaseModel):
    """``POST /v1/summaries``: one article as ``text``, ``html`` or ``url``."""

    model_config = ConfigDict(extra="forbid")

    text: Text | None = Field(default=None, description="The article as plain text.")
    html: Text | None = Field(default=None, description="The article's HTML page.")
    url: Url | None = Field(default=None, description="An http(s) URL to fetch the article from.")
    title: Title | None = Field(default=None, description="The headline, if known.")
    options: SummaryOptions | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> SummaryRequest:
        _one_source(self)
        return self


class JobItem(BaseModel):
    """One article of a job: ``summarizer batch``'s list format, without ``path``."""

    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(_unicode)] | int
    text: Text | None = None
    html: Text | None = None
    url: Url | None = None
    title: Title | None = None

    @model_validator(mode="before")
    @classmethod
    def _no_path(cls, data: Any) -> Any:
        if isinstance(data, dict) and "path" in data:
            raise ValueError(PATH_REFUSED)
        return data

    @model_validator(mode="after")
    def _exactly_one(self) -> JobItem:
        _one_source(self)
        return self


class JobRequest(BaseModel):
    """``POST /v1/jobs`` as JSON (the other form is NDJSON, one :class:`JobItem` a line)."""

    model_config = ConfigDict(extra="forbid")

    items: list[JobItem] = Field(min_length=1)
    options: SummaryOptions | None = None


class JobCounts(BaseModel):
    done: int = Field(description="Items finished (ok, cached or failed).")
    cached: int = Field(description="Of those, served from the cache.")
    failed: int = Field(description="Of those, failed (the error is in its result line).")
    total: int = Field(description="Items in the job.")


class JobStatus(BaseModel):
    id: str
    status: Literal["queued", "running", "completed", "cancelled"]
    counts: JobCounts
    created_at: float = Field(description="Unix time the job was accepted.")
    updated_at: float = Field(description="Unix time of the last change.")


class JobList(BaseModel):
    jobs: list[JobStatus] = Field(description="The caller's jobs, newest first.")
    next_before: float | None = Field(
        description="Pass as `before` for the next page; null on the last page."
    )
