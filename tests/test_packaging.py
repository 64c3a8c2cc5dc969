"""Import cost and packaging: `import summarizer` stays light; the wheel is self-contained."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from summarizer.prompts import load_prompts
from tests.conftest import ROOT

HEAVY = ("openai", "instructor", "httpx2", "httpx", "tenacity", "diskcache", "jinja2")


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    return set(out.split())


def test_import_summarizer_does_not_load_openai_or_instructor() -> None:
    loaded = _loaded_after("import summarizer; summarizer.Summarizer; summarizer.ArticleSummary")
    assert not {m for m in loaded if m.split(".")[0] in HEAVY}


def test_cli_help_path_does_not_load_openai() -> None:
    loaded = _loaded_after(
        "from typer.testing import CliRunner\nfrom summarizer.cli import app\n"
        "assert CliRunner().invoke(app, ['--help']).exit_code == 0"
    )
    assert not {m for m in loaded if m.split(".")[0] in ("openai", "instructor")}


@pytest.mark.slow
def test_wheel_installs_into_fresh_venv_and_runs(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("summarizer-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "summarizer/_data/prompts/system.j2" in names
    assert "summarizer/_data/schemas/article_summary.json" in names
    for page in ("templates/review.html.j2", "templates/index.html.j2", "assets/review.js"):
        assert f"summarizer/review/{page}" in names
    for page in ("index.html", "app.js", "app.css"):  # the web page of `summarizer serve`
        assert f"summarizer/serve/web/{page}" in names

    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    pip = [str(bindir / "python"), "-m", "pip", "install", "-q", str(wheel)]
    subprocess.run(pip, check=True, capture_output=True, timeout=900)

    env = {  # no PYTHONPATH either: it would put the checkout before the wheel
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SUMMARIZER_", "OPENAI_")) and k != "PYTHONPATH"
    }
    env["SUMMARIZER_CACHE_DIR"] = str(tmp_path / "cache")
    outside = tmp_path / "elsewhere"  # not the checkout: only the wheel's files are visible
    outside.mkdir()
    run = subprocess.run(
        [str(bindir / "summarizer"), "--help"], capture_output=True, text=True, cwd=outside, env=env
    )
    assert run.returncode == 0 and "summarize" in run.stdout
    probe = subprocess.run(
        [str(bindir / "python"), "-c",
         "import instructor, openai; from summarizer.prompts import load_prompts, data_dir;"
         "print(load_prompts().hash, data_dir('prompts'), instructor.__version__)"],
        capture_output=True, text=True, cwd=outside, env=env, check=True,
    )  # fmt: skip
    prompt_hash, prompts_dir, instructor_version = probe.stdout.split()
    assert prompt_hash == load_prompts().hash
    assert "site-packages" in prompts_dir
    assert tuple(int(p) for p in instructor_version.split(".")[:2]) >= (1, 17)
    schema = subprocess.run(
        [str(bindir / "summarizer"), "schema"], capture_output=True, text=True, cwd=outside, env=env
    )
    assert schema.returncode == 0
    assert schema.stdout == (ROOT / "schemas" / "article_summary.json").read_text()
    _eval_from_the_wheel(bindir, tmp_path, outside, env)


def _eval_from_the_wheel(bindir: Path, tmp_path: Path, outside: Path, env: dict[str, str]) -> None:
    """`summarizer eval` after `pip install .`: the gold set is ./evals, not site-packages."""
    project = tmp_path / "project"  # a copy of the repository's evals/ folder, elsewhere
    shutil.copytree(ROOT / "evals", project / "evals", ignore=shutil.ignore_patterns("recordings"))
    only = ["--only", "000", "--only", "001"]
    run = subprocess.run(
        [str(bindir / "summarizer"), "eval", "--engine", "extractive", "--name", "wheel", *only],
        capture_output=True, text=True, cwd=project, env=env, timeout=300,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert (project / "reports" / "eval" / "wheel.json").is_file()
    assert "000_seed_nk_troops" in run.stderr
    missing = subprocess.run(  # no evals/ here: one clear line naming the flags
        [str(bindir / "summarizer"), "eval", "--engine", "extractive"],
        capture_output=True, text=True, cwd=outside, env=env, timeout=300,
    )  # fmt: skip
    assert missing.returncode == 2
    (line,) = missing.stderr.splitlines()
    assert "no evals/ folder" in line and "--articles" in line and "--gold" in line
