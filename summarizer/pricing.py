"""Cost in money: a price table shipped as data, overridable, applied to token usage.

``summarizer/data/prices.toml`` lists, per endpoint host and model, US dollars per million
input, cached input and output tokens, each entry with the page it came from and the date
it was read there. A user file (``--prices FILE`` / ``SUMMARIZER_PRICES``) of the same
shape replaces or adds entries. A model with no entry has no known price: its cost is
``None``, never guessed. Runs through the provider's Batch API get its discount.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from summarizer.config import read_toml
from summarizer.errors import ConfigError

if TYPE_CHECKING:
    from summarizer.config import Settings
    from summarizer.engines.base import Usage


PER_TOKENS = 1_000_000
SHIPPED = Path(__file__).parent / "data" / "prices.toml"
ANY_HOST = "*"


@dataclass(frozen=True)
class Price:
    """US dollars per million tokens of one model at one host."""

    host: str
    model: str
    input: float
    output: float
    cached_input: float | None = None  # None: cached input costs as much as input
    batch_discount: float = 0.0  # fraction off with the provider's Batch API
    as_of: str = ""
    source: str = ""

    def cost(self, usage: Usage, *, batch: bool = False) -> float:
        """Dollars for ``usage`` (its cached prompt tokens at the cached price)."""
        cached = min(usage.cached_tokens, usage.prompt_tokens)
        cached_rate = self.input if self.cached_input is None else self.cached_input
        dollars = (
            (usage.prompt_tokens - cached) * self.input
            + cached * cached_rate
            + usage.completion_tokens * self.output
        ) / PER_TOKENS
        return dollars * (1 - self.batch_discount) if batch else dollars


def _number(entry: dict[str, Any], name: str, where: str, required: bool = True) -> float | None:
    value = entry.get(name)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{where}: {name} must be a number of US dollars per million tokens")
    if value < 0:
        raise ConfigError(f"{where}: {name} must be 0 or more")
    return float(value)


def _entry(entry: Any, where: str) -> Price:
    if not isinstance(entry, dict) or not isinstance(entry.get("model"), str):
        raise ConfigError(f"{where}: each [[price]] needs a model name")
    host = entry.get("host", ANY_HOST)
    if not isinstance(host, str):
        raise ConfigError(f'{where}: host must be a host name or "*"')
    discount = _number(entry, "batch_discount", where, required=False) or 0.0
    if discount > 1:
        raise ConfigError(f"{where}: batch_discount is a fraction from 0 to 1, e.g. 0.5")
    return Price(
        host=host.lower(),
        model=entry["model"],
        input=_number(entry, "input", where) or 0.0,
        output=_number(entry, "output", where) or 0.0,
        cached_input=_number(entry, "cached_input", where, required=False),
        batch_discount=discount,
        as_of=str(entry.get("as_of", "")),
        source=str(entry.get("source", "")),
    )


def read_prices(path: Path) -> dict[tuple[str, str], Price]:
    """The entries of one price file, keyed by (host, model)."""
    data = read_toml(path, "the price file")
    entries = data.get("price", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: prices are [[price]] tables")
    prices = [_entry(e, f"{path} [[price]] #{n}") for n, e in enumerate(entries, 1)]
    return {(p.host, p.model): p for p in prices}


@lru_cache(maxsize=8)
def _table(user_file: str | None, stamp: float) -> dict[tuple[str, str], Price]:
    table = read_prices(SHIPPED)
    if user_file is not None:
        table.update(read_prices(Path(user_file)))
    return table


def price_table(user_file: str | None = None) -> dict[tuple[str, str], Price]:
    """The shipped prices with ``user_file``'s over them (re-read when the file changes)."""
    stamp = 0.0
    if user_file is not None:
        try:
            stamp = Path(user_file).stat().st_mtime
        except OSError as exc:
            raise ConfigError(f"cannot read the price file {user_file}: {exc.strerror}") from exc
    return _table(user_file, stamp)


def price_of(settings: Settings) -> Price | None:
    """The price of ``settings.model`` at its endpoint, if one is known."""
    table = price_table(settings.prices)
    host = (urlsplit(settings.effective_base_url).hostname or "").lower()
    return table.get((host, settings.model)) or table.get((ANY_HOST, settings.model))


def cost_usd(
    settings: Settings, usage: Usage, requests: int, *, batch: bool = False
) -> float | None:
    """What a call cost in US dollars: 0 when nothing was sent, ``None`` when unknown."""
    if requests == 0 and usage.total_tokens == 0:
        return 0.0
    price = price_of(settings)
    return None if price is None else round(price.cost(usage, batch=batch), 8)
