"""Text helpers for the extractive engine: sentences, boilerplate, ranking, name tokens,
country names and reporting verbs.

Everything here is deterministic and offline. Sentence splitting uses ``sentencex``
(Wikimedia's rule-based segmenter) inside each line, since news text often carries
headlines and source lines with no final punctuation. Country names come from
``pycountry``; capitals and irregular demonyms are a short table kept here. Both
imports are lazy, so importing the engine stays cheap.
"""

from __future__ import annotations

import importlib
import math
import re
from dataclasses import dataclass
from functools import lru_cache

# The tldr validator's own patterns (one sentence, abbreviations allowed), so the checks
# below can never drift from what the schema accepts.
from summarizer.schema import _ABBREV
from summarizer.schema import _SENTENCE_BREAK as _BREAK


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Same-length folding (offsets stay valid): curly quotes to straight ones.
_FOLD = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
_DATELINE = re.compile(
    r"^[A-Z][A-Z .'\-]+(?:, [A-Z][\w.]*(?: [A-Z][\w.]*)?)?(?:, [A-Z][a-z]+\.? \d{1,2})? [—–-]+ "
)
_BOILER = re.compile(
    r"^(?:[-–—•*]\s*\w+(?:\s\w+)?|(?:read more|follow us|subscribe|advertisement|share this|"
    r"all rights reserved|copyright|click here|sign up)\b.*|\(?reporting by .*|"
    r"[A-Z][\w ]{1,30} (?:reported|writes|wrote|reports) (?:the|this) "
    r"(?:information|news|report)\.?)$",
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W\d_][\w'\-]*")
STOPWORDS = word_set(
    "a an the and or but if of to in on at by for with from as that this these those is are was "
    "were be been being has have had do does did will would could should may might can it its "
    "he she they them his her their we our you your i not no so than then there which who whom "
    "whose what when where while also said says told after before about over into out up more "
    "most such only other some any all both each one two very just"
)


def fold(text: str) -> str:
    """Fold curly quotes to straight ones without changing length."""
    return text.translate(_FOLD)


@dataclass(frozen=True)
class Sentence:
    """One sentence of the article with its offsets in the original text."""

    text: str
    start: int
    end: int
    index: int
    boilerplate: bool

    @property
    def words(self) -> list[str]:
        return _WORD.findall(self.text)


def is_one_sentence(text: str) -> bool:
    """Whether the schema's tldr validator would accept ``text`` as one sentence."""
    return not any(not _ABBREV.search(text[: m.start() + 1]) for m in _BREAK.finditer(text))


def first_sentence(text: str) -> str:
    """``text`` cut before the first sentence break the tldr validator would see."""
    for m in _BREAK.finditer(text):
        if not _ABBREV.search(text[: m.start() + 1]):
            return text[: m.start() + 1]
    return text


def strip_dateline(text: str) -> str:
    """Drop a leading wire dateline ('QUITO, March 4 — '), keeping the rest verbatim."""
    m = _DATELINE.match(text)
    return text[m.end() :] if m else text


def is_boilerplate(text: str) -> bool:
    words = _WORD.findall(text)
    return (
        not words
        or bool(_BOILER.match(text.strip()))
        or (len(words) <= 2 and text[-1:] not in ".!?\"'")
    )


def detect_title(article: str) -> tuple[str | None, int]:
    """A headline on the first line (no final punctuation, more text below), and where the
    body starts."""
    stripped = article.lstrip()
    first, sep, rest = stripped.partition("\n")
    first = first.strip()
    ends = re.search(r"[.!?:][\"'”’]?$", first)
    if sep and rest.strip() and first and not ends and len(first.split()) <= 25:
        return first, len(article) - len(stripped) + len(first) + 1
    return None, 0


def split_sentences(article: str, body_start: int = 0) -> list[Sentence]:
    """Sentences of the article body, line by line, with offsets into ``article``."""
    # sentencex ships no type information; its segment() yields str.
    segment = importlib.import_module("sentencex").segment

    out: list[Sentence] = []
    pos = body_start
    for line in article[body_start:].split("\n"):
        line_start = pos
        pos += len(line) + 1
        if not line.strip():
            continue
        cursor = line_start
        for piece in segment("en", line):
            chunk = str(piece).strip()
            if not chunk:
                continue
            at = article.find(chunk, cursor, pos)
            if at < 0:
                continue
            cursor = at + len(chunk)
            out.append(Sentence(chunk, at, cursor, len(out), is_boilerplate(chunk)))
    return out


def stem(word: str) -> str:
    w = word.lower().replace("'", "").replace("\u2019", "")
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
        return w[:-1]
    return w


def content_terms(text: str) -> set[str]:
    return {stem(w) for w in _WORD.findall(text) if w.lower() not in STOPWORDS and len(w) > 2}


def rank(sentences: list[Sentence], title: str | None = None) -> list[float]:
    """TextRank (sentence graph, word-overlap similarity) blended with a lead bias."""
    terms = [content_terms(s.text) for s in sentences]
    title_terms = content_terms(title) if title else set()
    n = len(sentences)
    weights = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            common = len(terms[i] & terms[j])
            if common and len(terms[i]) > 1 and len(terms[j]) > 1:
                w = common / (math.log(len(terms[i])) + math.log(len(terms[j])))
                weights[i][j] = weights[j][i] = w
    totals = [sum(row) or 1.0 for row in weights]
    links = [[(j, w / totals[j]) for j, w in enumerate(row) if w] for row in weights]
    score = [1.0 / max(n, 1)] * n
    for _ in range(30):
        score = [0.15 / n + 0.85 * sum(w * score[j] for j, w in links[i]) for i in range(n)]
    top = max(score, default=1.0) or 1.0
    final: list[float] = []
    for i, s in enumerate(sentences):
        lead = 1.0 / (1.0 + 0.35 * i)
        value = 0.55 * score[i] / top + 0.45 * lead
        if title_terms and terms[i]:
            value += 0.25 * len(terms[i] & title_terms) / len(title_terms)
        words = len(s.words)
        if s.boilerplate or words < 6:
            value *= 0.2
        elif s.text.lstrip()[:1] in "\"'\u201c\u2018":
            value *= 0.6  # a bare quote is rarely the news itself
        final.append(value)
    return final


def trim_clause(text: str, limit: int) -> str:
    """``text`` cut at the last clause boundary that fits in ``limit`` characters."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    for mark in ("; ", ", ", " — ", " – ", " - "):
        cut = head.rfind(mark)
        if cut >= limit // 3:
            return head[:cut].rstrip()
    cut = head.rfind(" ")
    return head[: cut if cut > 0 else limit].rstrip()


def clauses(text: str) -> list[str]:
    """Clauses of a sentence split at semicolons and coordinating commas (verbatim pieces)."""
    parts = re.split(r";\s+|,\s+(?=(?:and|but|while|which|although|as)\s)|\s+[—–]\s+", text)
    return [p.strip() for p in parts if len(_WORD.findall(p)) >= 4]


# --- countries -------------------------------------------------------------------------


def _pairs(spec: str) -> dict[str, str]:
    """'Name:CODE, Name:CODE' -> {'Name': 'CODE'} (compact tables below)."""
    return {k.strip(): v for k, v in (item.rsplit(":", 1) for item in spec.split(","))}


_EXTRA = _pairs(
    "Russia:RUS, United States:USA, U.S.:USA, America:USA, Vietnam:VNM, Britain:GBR, "
    "United Kingdom:GBR, U.K.:GBR, Syria:SYR, Turkey:TUR, Czech Republic:CZE, Laos:LAO, "
    "Congo:COD, Palestine:PSE, Ivory Coast:CIV"
)
CAPITALS = _pairs(
    "Kremlin:RUS, Moscow:RUS, Pyongyang:PRK, Seoul:KOR, Kyiv:UKR, Kiev:UKR, Beijing:CHN, "
    "Washington:USA, Tehran:IRN, Paris:FRA, Berlin:DEU, London:GBR, Tokyo:JPN, Ankara:TUR, "
    "Minsk:BLR, Taipei:TWN, Jerusalem:ISR, Damascus:SYR, Riyadh:SAU, Caracas:VEN, Havana:CUB, "
    "Warsaw:POL, Brussels:BEL, Rome:ITA, Madrid:ESP, New Delhi:IND, Islamabad:PAK, Kabul:AFG, "
    "Baghdad:IRQ, Cairo:EGY"
)
_DEMONYMS = _pairs(
    "French:FRA, British:GBR, Dutch:NLD, Spanish:ESP, Polish:POL, Irish:IRL, Swiss:CHE, "
    "Turkish:TUR, Danish:DNK, Swedish:SWE, Finnish:FIN, Greek:GRC, Chinese:CHN, American:USA, "
    "Peruvian:PER, Iraqi:IRQ, Israeli:ISR, Pakistani:PAK, Afghan:AFG, Thai:THA, Filipino:PHL, "
    "Portuguese:PRT, Saudi:SAU, Belarusian:BLR, Vietnamese:VNM"
)
GOV_NOUNS = word_set(
    "government forces troops military army navy ministry authorities officials regime "
    "leadership embassy diplomats parliament soldiers state"
)


@lru_cache(maxsize=1)
def country_names() -> dict[str, tuple[str, str]]:
    """Surface name -> (alpha_3, canonical name), from pycountry plus common short forms."""
    import pycountry

    table: dict[str, tuple[str, str]] = {}
    for c in pycountry.countries:
        code = str(c.alpha_3)
        names = [
            str(getattr(c, "common_name", "") or ""),
            *(n for n, k in _EXTRA.items() if k == code),
            c.name,
        ]
        plain = [n for n in names if n and "," not in n and "(" not in n]
        if not plain:
            continue
        canonical = plain[0]
        for name in plain:
            table.setdefault(name, (code, canonical))
    return table


def country_of_demonym(word: str) -> str | None:
    """alpha_3 of a demonym ('Ukrainian' -> 'UKR', 'North Korean' -> 'PRK'), or None."""
    if word in _DEMONYMS:
        return _DEMONYMS[word]
    names = country_names()
    for suffix in ("n", "an", "ian", "ese", "i"):
        if word.endswith(suffix) and word[: -len(suffix)] in names:
            return names[word[: -len(suffix)]][0]
    for suffix in ("ian", "ese"):
        stem_ = word[: -len(suffix)]
        if word.endswith(suffix) and len(stem_) >= 4:
            hits = {code for name, (code, _) in names.items() if name.startswith(stem_)}
            if len(hits) == 1:
                return hits.pop()
    return None


# --- name tokens -----------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W_][\w'&.\-–]*")
_KEEP_DOT = word_set("Dr. Co. Inc. Corp. Ltd. Jr. St. Mr. Mrs. Ms. Prof. U.S. U.K. U.N.")
_CONNECT = word_set("of for the de del da van von al bin y and")
_START_WORDS = word_set(
    "the a an this that these both but however meanwhile according asked under in on at if it "
    "he she they we our his her its their after before while when as last next some many most "
    "all not every one two so and or yet still"
)


@dataclass
class Tok:
    text: str
    start: int
    end: int
    poss: bool = False

    @property
    def cap(self) -> bool:
        return self.text[:1].isupper()


def tokens(text: str, start: int, end: int) -> list[Tok]:
    out: list[Tok] = []
    for m in _TOKEN.finditer(text, start, end):
        word, s = m.group(), m.start()
        poss = False
        if word.endswith("'s"):
            word, poss = word[:-2], True
        while word and word[-1] in ".'-–" and word not in _KEEP_DOT:
            word = word[:-1]
        if word:
            out.append(Tok(word, s, s + len(word), poss))
    return out


def chunks(toks: list[Tok], text: str, sent_start: int, lower: set[str]) -> list[list[Tok]]:
    """Runs of capitalized tokens joined by single spaces (and name connectors)."""
    out: list[list[Tok]] = []
    cur: list[Tok] = []
    for i, t in enumerate(toks):
        joined = bool(cur) and not cur[-1].poss and text[cur[-1].end : t.start] == " "
        if t.cap and joined:
            cur.append(t)
        elif t.cap:
            if cur:
                out.append(cur)
            cur = [t]
        elif joined and t.text in _CONNECT and i + 1 < len(toks) and toks[i + 1].cap:
            cur.append(t)
        else:
            if cur:
                out.append(cur)
            cur = []
    if cur:
        out.append(cur)
    cleaned: list[list[Tok]] = []
    for c in out:
        while c and (
            c[0].text.lower() in _START_WORDS
            or c[0].text in _CONNECT
            or (
                text[max(sent_start, c[0].start - 2) : c[0].start].strip(' "') == ""
                and c[0].text.lower() in lower
            )
        ):
            c = c[1:]
        while c and c[-1].text in _CONNECT:
            c = c[:-1]
        if c:
            cleaned.append(c)
    return cleaned


# --- reporting verbs -------------------------------------------------------------------

# Verbs that carry a position of their own ('denied' -> 'deny') and neutral reporting verbs,
# whose position comes from what was said.
VERB_POS = {
    verb: pos
    for pos, verbs in (
        ("concern", "warned|warns|cautioned|echoed|expressed concern"),
        ("deny", "denied|denies|deny|dismissed|disputed"),
        ("oppose", "rejected|accused|accuses|condemned|criticized|criticised"),
        ("support", "backed|backs|supported|welcomed|welcomes|praised|expressed support"),
        ("claim", "urged|called"),
    )
    for verb in verbs.split("|")
}
SAY = word_set(
    "said says told stated added argued claimed reported writes wrote replied insisted "
    "estimated announced confirmed acknowledged noted"
)
VERB = re.compile(r"\b(" + "|".join(sorted([*VERB_POS, *SAY], key=lambda v: (-len(v), v))) + r")\b")
