"""Cost in money: the shipped price table, user overrides, meta.cost_usd, batch totals and
--cost-budget."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarizer.api import Summarizer
from summarizer.cli import app
from summarizer.config import resolve_settings
from summarizer.engines.base import Usage
from summarizer.errors import BudgetExceeded, ConfigError
from summarizer.pricing import SHIPPED, Price, price_of, read_prices
from summarizer.testing.fake_openai import FakeOpenAI, completion
from tests.conftest import SENTINEL_KEY, article_files

Answer = dict[str, Any]
# 1,000 prompt tokens at $2/M and 500 completion tokens at $10/M: $0.002 + $0.005
PRICES = """
[[price]]
host = "127.0.0.1"
model = "fake-model"
input = 2.0
cached_input = 1.0
output = 10.0
batch_discount = 0.5
as_of = "2026-01"
source = "test"
"""
COST = 0.007


@pytest.fixture
def prices(tmp_path: Path) -> Path:
    path = tmp_path / "prices.toml"
    path.write_text(PRICES, encoding="utf-8")
    return path


def test_shipped_prices_name_their_source_and_date() -> None:
    table = read_prices(SHIPPED)
    assert ("api.openai.com", "gpt-4o-mini") in table
    for price in table.values():
        assert price.source.startswith("https://") and price.as_of, price
        assert price.input > 0 and price.output > 0


def test_prices_apply_to_their_host_and_exact_model() -> None:
    openai = resolve_settings(api_key="sk-x", model="gpt-4o-mini")
    assert price_of(openai) is not None
    local = resolve_settings(base_url="http://127.0.0.1:8000/v1", model="gpt-4o-mini")
    assert price_of(local) is None  # a local server of the same name costs no known price
    snapshot = resolve_settings(api_key="sk-x", model="gpt-4o-2024-05-13")
    assert price_of(snapshot) is None  # never guessed from a similar name


def test_cost_counts_cached_tokens_and_the_batch_discount() -> None:
    price = Price("h", "m", input=2.0, output=10.0, cached_input=1.0, batch_discount=0.5)
    usage = Usage(prompt_tokens=1000, completion_tokens=500, total_tokens=1500)
    assert price.cost(usage) == pytest.approx(COST)
    usage.add({"prompt_tokens_details": {"cached_tokens": 400}})
    assert usage.cached_tokens == 400
    assert price.cost(usage) == pytest.approx(COST - 400 * 1.0 / 1e6)
    assert price.cost(usage, batch=True) == pytest.approx((COST - 0.0004) / 2)


def test_meta_cost_usd(fake: FakeOpenAI, prices: Path, seed_text: str, good_answer: Answer) -> None:
    fake.push(completion(good_answer, prompt_tokens=1000, completion_tokens=500))
    fake.push(completion(good_answer, prompt_tokens=1000, completion_tokens=500))
    common: dict[str, Any] = dict(base_url=fake.url, api_key=SENTINEL_KEY, model="fake-model")
    with Summarizer(**common, prices=str(prices)) as s:
        first = s.summarize(seed_text)
        hit = s.summarize(seed_text)
    assert first.meta.cost_usd == pytest.approx(COST)
    assert hit.meta.cache_hit and hit.meta.cost_usd == 0.0  # a cache hit costs nothing
    with Summarizer(**common, cache=False) as unknown:
        assert unknown.summarize(seed_text).meta.cost_usd is None  # no price: null
    assert Summarizer(engine="extractive").summarize(seed_text).meta.cost_usd == 0.0


def test_a_bad_price_file_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[[price]]\nmodel = "m"\ninput = "cheap"\noutput = 1\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="input must be a number"):
        read_prices(bad)


def test_batch_total_and_cost_budget(
    llm_env: FakeOpenAI, prices: Path, tmp_path: Path, seed_text: str, good_answer: Answer
) -> None:
    """Budget 1.5x one article: the second is sent (the first was under budget), the
    third is not; the in-flight one finishes; exit 9."""
    llm_env.push(*[completion(good_answer, prompt_tokens=1000, completion_tokens=500)] * 3)
    out = tmp_path / "out.jsonl"
    args = ["batch", *article_files(tmp_path, seed_text, 3), "-o", str(out), "-j", "1"]
    args += ["--no-cache", "--no-progress", "--prices", str(prices), "--cost-budget", "0.0105"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == BudgetExceeded.exit_code, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 2 and all(line["result"]["meta"]["cost_usd"] == COST for line in lines)
    assert "cost budget reached: $0.0140 spent" in result.output
    assert "1 article(s) not sent" in result.output
    assert "cost $0.0140" in result.output.strip().splitlines()[-1]
    assert len(llm_env.requests) == 2


def test_a_failed_article_counts_toward_the_cost_budget(
    llm_env: FakeOpenAI, prices: Path, tmp_path: Path, seed_text: str, good_answer: Answer
) -> None:
    """The first article's answer fails validation, but its tokens were paid for: that
    spend reaches the budget, so the second article is not sent."""
    bad = completion({"tldr": 3}, prompt_tokens=1000, completion_tokens=500)
    llm_env.push(bad, completion(good_answer, prompt_tokens=1000, completion_tokens=500))
    out = tmp_path / "out.jsonl"
    args = ["batch", *article_files(tmp_path, seed_text, 2), "-o", str(out), "-j", "1"]
    args += ["--no-cache", "--no-progress", "--max-retries", "0", "--prices", str(prices)]
    result = CliRunner().invoke(app, [*args, "--cost-budget", "0.005"])
    assert result.exit_code == BudgetExceeded.exit_code, result.output
    (line,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert line["error"]["type"] == "ValidationFailed"
    assert line["error"]["usage"] == {
        "prompt_tokens": 1000,
        "completion_tokens": 500,
        "total_tokens": 1500,
    }
    assert line["error"]["cost_usd"] == COST
    assert "cost budget reached: $0.0070 spent" in result.output
    assert "0 ok (0 cached), 1 failed" in result.output
    assert len(llm_env.requests) == 1


def test_cost_budget_needs_a_known_price(
    llm_env: FakeOpenAI, tmp_path: Path, seed_text: str
) -> None:
    args = ["batch", *article_files(tmp_path, seed_text, 1), "--cost-budget", "1", "--no-progress"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == ConfigError.exit_code
    assert "--cost-budget needs a price for model 'fake-model'" in result.output
    assert not llm_env.requests


def test_eval_total_cost_is_null_when_any_price_is_unknown() -> None:
    from summarizer.evals.scoring import ArticleScore, aggregate

    priced = [ArticleScore("a", True, cost_usd=0.25), ArticleScore("b", True, cost_usd=0.5)]
    assert aggregate(priced)["total_cost_usd"] == pytest.approx(0.75)
    assert aggregate([*priced, ArticleScore("c", True)])["total_cost_usd"] is None
