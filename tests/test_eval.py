"""`summarizer eval`: offline extractive runs, thresholds, and record/replay through the proxy."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from summarizer.cli import app
from summarizer.errors import EvalFailed
from summarizer.evals.dataset import repo_evals_dir
from summarizer.testing.fake_openai import FakeOpenAI, completion
from tests.conftest import ROOT, SENTINEL_KEY

runner = CliRunner()
EVALS = repo_evals_dir()


def _run(*args: str) -> Any:
    return runner.invoke(app, ["eval", *args])


def _tiny_set(tmp_path: Path, *stems: str) -> tuple[Path, Path]:
    articles, gold = tmp_path / "articles", tmp_path / "gold"
    articles.mkdir()
    gold.mkdir()
    for stem in stems:
        shutil.copy(EVALS / "gold" / f"{stem}.json", gold)
        shutil.copy(EVALS / "articles" / f"{stem}.txt", articles)
    return articles, gold


def _set_args(articles: Path, gold: Path, out: Path, thresholds: Path) -> list[str]:
    return ["--articles", str(articles), "--gold", str(gold), "--out", str(out),
            "--thresholds", str(thresholds)]  # fmt: skip


def test_extractive_eval_offline_writes_reports(tmp_path: Path) -> None:
    articles, gold = _tiny_set(tmp_path, "000_seed_nk_troops", "007_sport_brief_loan_signing")
    thresholds = tmp_path / "t.toml"
    thresholds.write_text("[extractive]\nschema_valid_rate = 1.0\nactor_f1 = 0.1\n")
    out = tmp_path / "out"
    result = _run("--engine", "extractive", *_set_args(articles, gold, out, thresholds))
    assert result.exit_code == 0, result.output
    assert "000_seed_nk_troops" in result.output and "actor F1" in result.output
    report = json.loads((out / "extractive.json").read_text())
    assert report["engine"] == "extractive" and report["source"] == "offline"
    assert [a["id"] for a in report["articles"]] == [
        "000_seed_nk_troops", "007_sport_brief_loan_signing",
    ]  # fmt: skip
    assert report["metrics"]["schema_valid_rate"] == 1.0
    assert all(t["passed"] for t in report["thresholds"])
    assert "| schema-valid rate | 1.000 |" in (out / "extractive.md").read_text()


def test_thresholds_failing_exit_nonzero(tmp_path: Path) -> None:
    articles, gold = _tiny_set(tmp_path, "007_sport_brief_loan_signing")
    thresholds = tmp_path / "t.toml"
    thresholds.write_text("[extractive]\nactor_f1 = 1.01\nmax_mean_attempts = 5\n")
    result = _run(*_set_args(articles, gold, tmp_path / "out", thresholds))
    assert result.exit_code == EvalFailed.exit_code, result.output
    assert "below its thresholds" in result.output and "actor_f1" in result.output
    report = json.loads((tmp_path / "out" / "extractive.json").read_text())
    assert [t["passed"] for t in report["thresholds"]] == [False, True]


def test_bad_threshold_key_is_a_config_error(tmp_path: Path) -> None:
    articles, gold = _tiny_set(tmp_path, "007_sport_brief_loan_signing")
    thresholds = tmp_path / "t.toml"
    thresholds.write_text("[extractive]\nactor_f2 = 0.5\n")
    result = _run(*_set_args(articles, gold, tmp_path / "out", thresholds))
    assert result.exit_code == 2 and "actor_f2" in result.output


def test_repo_thresholds_have_the_ci_sections() -> None:
    from summarizer.evals.report import default_thresholds_path, load_thresholds

    for name in ("extractive", "smollm2-135m-instruct"):
        assert load_thresholds(default_thresholds_path(), name), name


def _record(fake: FakeOpenAI, answer: dict[str, Any], args: list[str], rec: Path) -> Any:
    fake.push(completion(answer, prompt_tokens=1000, completion_tokens=300))
    return _run("--engine", "llm", "--base-url", fake.url, "--model", "fake-model",
                "--mode", "tools", "--max-retries", "0", "--record", str(rec), *args)  # fmt: skip


def test_record_then_replay_offline_then_stale_recording_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, good_answer: dict[str, Any]
) -> None:
    monkeypatch.setenv("SUMMARIZER_API_KEY", SENTINEL_KEY)
    articles, gold = _tiny_set(tmp_path, "000_seed_nk_troops")
    thresholds = tmp_path / "t.toml"
    thresholds.write_text("[rec]\nschema_valid_rate = 1.0\n")
    rec = tmp_path / "rec"
    with FakeOpenAI() as fake:
        recorded = _record(
            fake, good_answer, _set_args(articles, gold, tmp_path / "o1", thresholds), rec
        )
        assert recorded.exit_code == 0, recorded.output
        assert len(fake.requests) == 1
    # Auth is filtered from the recordings, and the key never appears in them.
    files = sorted(p.name for p in rec.iterdir())
    assert files == ["000_seed_nk_troops.yaml", "meta.json"]
    for path in rec.iterdir():
        text = path.read_text()
        assert SENTINEL_KEY not in text and "authorization" not in text.lower()
    meta = json.loads((rec / "meta.json").read_text())
    assert meta["settings"]["mode"] == "tools" and meta["settings"]["max_retries"] == 0
    assert meta["articles"]["000_seed_nk_troops"]["valid"] is True

    # The fake server is gone: replay serves the recording, with the same scores.
    monkeypatch.delenv("SUMMARIZER_API_KEY")
    replayed = _run("--replay", str(rec), *_set_args(articles, gold, tmp_path / "o2", thresholds))
    assert replayed.exit_code == 0, replayed.output
    first = json.loads((tmp_path / "o1" / "rec.json").read_text())
    second = json.loads((tmp_path / "o2" / "rec.json").read_text())
    assert second["source"] == "replay" and first["source"] == "record"
    assert second["metrics"] == first["metrics"]
    assert second["articles"][0]["total_tokens"] == 1300

    # A changed prompt cannot replay: the error names the command that re-records.
    prompts = tmp_path / "prompts"
    shutil.copytree(ROOT / "prompts", prompts)
    (prompts / "user.j2").write_text((prompts / "user.j2").read_text() + "\nBe brief.\n")
    monkeypatch.setenv("SUMMARIZER_PROMPTS_DIR", str(prompts))
    stale = _run("--replay", str(rec), *_set_args(articles, gold, tmp_path / "o3", thresholds))
    assert stale.exit_code == EvalFailed.exit_code, stale.output
    assert "prompt_hash" in stale.output
    assert "summarizer eval --engine llm --model fake-model" in stale.output
    assert f"--record {rec}" in " ".join(stale.output.split())


def test_replay_of_an_unrecorded_request_fails_loudly(
    tmp_path: Path, good_answer: dict[str, Any]
) -> None:
    articles, gold = _tiny_set(tmp_path, "000_seed_nk_troops")
    thresholds = tmp_path / "t.toml"
    thresholds.write_text("")
    rec = tmp_path / "rec"
    with FakeOpenAI() as fake:
        args = _set_args(articles, gold, tmp_path / "o1", thresholds)
        assert _record(fake, good_answer, args, rec).exit_code == 0
    # Same prompt and settings, but the article changed: the request body differs.
    article = articles / "000_seed_nk_troops.txt"
    article.write_text(article.read_text() + "\nA late update.\n")
    result = _run("--replay", str(rec), *_set_args(articles, gold, tmp_path / "o2", thresholds))
    assert result.exit_code == EvalFailed.exit_code, result.output
    out = " ".join(result.output.split())
    assert "never recorded" in out and "Re-record with: summarizer eval --engine llm" in out


def test_replay_without_meta_is_a_config_error(tmp_path: Path) -> None:
    articles, gold = _tiny_set(tmp_path, "007_sport_brief_loan_signing")
    result = _run(
        "--replay", str(tmp_path), *_set_args(articles, gold, tmp_path / "o", tmp_path / "t")
    )
    assert result.exit_code == 2 and "meta.json" in result.output


def test_default_gold_set_is_found_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After `pip install .`, `summarizer eval` uses ./evals, not site-packages."""
    from summarizer.evals.dataset import load_gold_set

    stem = "000_seed_nk_troops"
    here = tmp_path / "project"
    (here / "evals").mkdir(parents=True)
    _tiny_set(here / "evals", stem)
    monkeypatch.chdir(here)
    assert [item.id for item in load_gold_set()] == [stem]
    assert repo_evals_dir() == here / "evals"
