"""The gold set: articles under ``evals/articles/`` and hand labels under ``evals/gold/``.

``evals/README.md`` documents the format. Loading is strict (unknown fields are errors),
so a typo in a gold file fails loudly instead of silently scoring against nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from summarizer.errors import ConfigError

#: Every hard case the issue asks the set to cover (labels used in ``hard_cases``).
HARD_CASES: tuple[str, ...] = (
    "denial_vs_unconfirmed_claim",
    "same_surname",
    "title_only_reference",
    "curly_and_straight_quotes",
    "indirect_speech",
    "single_source",
    "brief",
    "long_feature",
    "prompt_injection",
    "no_stances",
    "diacritics",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GoldFact(_Strict):
    fact: str
    terms: list[str]


class GoldActor(_Strict):
    name: str
    type: str
    aliases: list[str] = []


class GoldStance(_Strict):
    actor: str
    target: str
    position: str
    evidence: str


class GoldQuestion(_Strict):
    question: str
    keywords: list[str]


class GoldLabels(_Strict):
    article: str
    labeled_by: str
    notes: str = ""
    hard_cases: list[str] = []
    key_facts: list[GoldFact] = []
    actors: list[GoldActor] = []
    stances: list[GoldStance] = []
    open_questions: list[GoldQuestion] = []


@dataclass(frozen=True)
class GoldItem:
    """One labeled article: its id (file stem), its text and its labels."""

    id: str
    text: str
    labels: GoldLabels
    gold_path: Path
    article_path: Path


def evals_dir_candidates() -> tuple[Path, ...]:
    """Where the default ``evals/`` is looked for, in order: the working directory (a
    checkout, or any folder with an ``evals/``), then the source checkout this package is
    imported from (not there when installed from a wheel: site-packages has no evals/)."""
    return (Path.cwd() / "evals", Path(__file__).resolve().parent.parent.parent / "evals")


def find_evals_dir() -> Path | None:
    """The first candidate ``evals/`` that holds a ``gold/`` folder, else ``None``."""
    return next((d for d in evals_dir_candidates() if (d / "gold").is_dir()), None)


def repo_evals_dir() -> Path:
    """The default ``evals/`` for ``--articles`` / ``--gold`` (see :func:`find_evals_dir`)."""
    found = find_evals_dir()
    if found is None:
        raise ConfigError(
            f"no evals/ folder with gold labels in {Path.cwd()} (or next to the installed "
            "package): run from the repository's root, or pass --articles DIR and --gold DIR"
        )
    return found


def load_labels(path: Path) -> GoldLabels:
    try:
        return GoldLabels.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise ConfigError(f"cannot read gold file {path}: {exc.strerror}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"gold file {path} is invalid at {loc}: {first['msg']}") from exc


def load_gold_set(
    gold_dir: Path | None = None,
    articles_dir: Path | None = None,
    only: list[str] | None = None,
) -> list[GoldItem]:
    """Every ``gold/*.json`` with its article, sorted by id; ``only`` keeps matching ids."""
    gold_dir = gold_dir or repo_evals_dir() / "gold"
    articles_dir = articles_dir or repo_evals_dir() / "articles"
    if not gold_dir.is_dir():
        raise ConfigError(f"gold directory {gold_dir} does not exist")
    items: list[GoldItem] = []
    for path in sorted(gold_dir.glob("*.json")):
        if only and not any(path.stem.startswith(prefix) for prefix in only):
            continue
        labels = load_labels(path)
        article_path = articles_dir / labels.article
        try:
            text = article_path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"gold file {path.name} names article {labels.article!r}, which cannot be read "
                f"in {articles_dir}: {exc.strerror}"
            ) from exc
        items.append(GoldItem(path.stem, text, labels, path, article_path))
    if not items:
        raise ConfigError(f"no gold files (*.json) found in {gold_dir}")
    return items
