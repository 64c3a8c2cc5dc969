"""Word lists of the extractive engine: country names, capitals and demonyms, name tokens,
and reporting verbs. Country names come from ``pycountry`` (imported lazily)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


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
