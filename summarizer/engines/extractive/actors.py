"""Actors of one article: who is named, as what, under which aliases, and where.

Candidates come from capitalized name chunks, classified by the words around them:
titles and appositions make people, organization keywords and known acronyms make
organizations, country names, capitals, demonyms and government phrases ("Peru's
foreign ministry") make countries, and plural nouns before a reporting verb make groups.
Mentions of one actor under different surface forms are merged into its aliases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from summarizer.engines.extractive.lexicon import (
    CAPITALS,
    GOV_NOUNS,
    VERB,
    Tok,
    chunks,
    country_names,
    country_of_demonym,
    tokens,
    word_set,
)
from summarizer.sentences import Sentence, fold

# --- name lexicon ------------------------------------------------------------------------

_TITLES = word_set(
    "president minister secretary-general secretary leader chancellor premier mayor judge "
    "governor senator dr. coach manager director executive officer spokeswoman spokesman "
    "spokesperson lawmaker chairman chairwoman chair ambassador general commander king queen "
    "prince pope prosecutor attorney commissioner professor prof. mr. mrs. ms. economist "
    "analyst founder counterpart investigator scientist specialist geochemist epidemiologist "
    "head captain striker rider gen. sen. gov. rep. mp deputy"
)
_ROLE_MODS = word_set(
    "state team company foreign chief vice executive deputy rival opposition former acting "
    "senior union health defence defense interior finance prime top interim club its her his "
    "their the a an co-lead lead principal fisheries threat planetary infectious"
)
_ORG_WORDS = word_set(
    "service commission agency union association council ministry group co. inc. corp. ltd. "
    "labs partners center centre university institute authority court federation organization "
    "organisation party bank fund committee assembly department office transit terminals "
    "securities biologics movement exchange police army navy company board foundation alliance "
    "network forum ngo nato"
)
_OUTLETS = word_set(
    "politico reuters ap afp bbc cnn bloomberg nbc cbs abc fox news associated press guardian "
    "financial times new york times washington post wall street journal al jazeera le monde "
    "yonhap interfax tass kyodo xinhua axios"
)
_OUTLET_CUE = re.compile(r"(?:newspaper|daily|paper|outlet|broadcaster|magazine|tabloid) $")
_KNOWN_ORGS = word_set("NATO UN EU WHO IMF OPEC ASEAN IAEA ICC ICJ FBI CIA WTO OSCE AU")
_CALENDAR = word_set(
    "Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May "
    "June July August September October November December"
)
_GROUPS = (
    "allies|partners|analysts|protesters|demonstrators|researchers|scientists|advocates|critics|"
    "residents|retailers|fishermen|lawmakers|investors|experts|groups|workers|dockworkers|unions|"
    "opponents|activists|economists|regulators|voters|officials"
)
_GROUP_WORDS = frozenset(_GROUPS.split("|"))
_GROUP = re.compile(
    r"(?:^|, |\band |\bwhich )((?:[A-Z][\w]*'s )?(?:[A-Z]?[a-z]+ )?(?:" + _GROUPS + r"))"
    r" (?:have |had |are |were )?(?:said|warned|welcomed|urged|argued|are considering|"
    r"considering|hesitant|blocked|called)"
)
_TITLE_ALT = "|".join(re.escape(t) for t in sorted(_TITLES, key=len, reverse=True))


def _role_before(toks: list[Tok], idx: int, text: str) -> str:
    """Title words and modifiers right before token ``idx`` ('Ukrainian Foreign Minister')."""
    j = idx
    while j > 0 and idx - j < 6:
        t = toks[j - 1]
        if text[t.end + (2 if t.poss else 0) : toks[j].start] != " ":
            break
        low = t.text.lower()
        if not (t.cap or low in _TITLES or low in _ROLE_MODS or t.poss):
            break
        j -= 1
    while j < idx and toks[j].text.lower() in {"the", "a", "an"}:
        j += 1
    return (
        text[toks[j].start : toks[idx - 1].end + (2 if toks[idx - 1].poss else 0)]
        if j < idx
        else ""
    )


def _is_role(text: str) -> bool:
    """Whether an apposition reads like a role ('a fisheries economist at ...')."""
    words = [w.lower().strip("'’") for w in text.split()[:6]]
    return (
        any(
            w in _TITLES or (len(w) > 5 and w.endswith(("er", "or", "ist", "ian", "man", "woman")))
            for w in words
        )
        and not text[:1].isdigit()
    )


@dataclass
class Act:
    """One actor candidate; ``mentions`` is filled in by ``find_mentions``."""

    name: str
    type: str
    role: str = ""
    aliases: list[str] = field(default_factory=list)
    mentions: int = 0


class Actors:
    """Finds the actors of one article and where they are mentioned."""

    def __init__(self, article: str, sentences: list[Sentence]) -> None:
        self.orig = article
        self.text = fold(article)
        self.sentences = sentences
        self.lower = set(re.findall(r"\b[a-z]\w*", self.text))
        self.acts: dict[str, Act] = {}
        self.countries = country_names()
        self.pending: list[str] = []
        self.names: list[str] = []

    def add(self, key: str, name: str, kind: str, role: str = "", alias: str = "") -> Act:
        act = self.acts.setdefault(key, Act(name, kind, role))
        act.role = act.role or role
        if alias and alias != act.name and alias not in act.aliases:
            act.aliases.append(alias)
        return act

    def country_of(self, words: str) -> str | None:
        hit = self.countries.get(words)
        return hit[0] if hit else CAPITALS.get(words)

    def scan(self) -> None:
        for s in self.sentences:
            toks = tokens(self.text, s.start, s.end)
            for c in chunks(toks, self.text, s.start, self.lower):
                self._classify(c, toks, s)
            for m in _GROUP.finditer(self.text[s.start : s.end]):
                skip = re.match(r"(?:which |the |and )?", m.group(1))
                start = s.start + m.start(1) + (skip.end() if skip else 0)
                name = self.orig[start : s.start + m.end(1)]
                if not name.endswith("officials") or "'s" in m.group(1):
                    self.add("g:" + fold(name).casefold(), name, "group", "collective actor")
        people = {a.name.split()[-1] for a in self.acts.values() if a.type == "person"}
        for name in self.pending:
            full = [n for n in self.names if name in n.split()[1:]]
            if name.lower() in _GROUP_WORDS:
                self.add("g:" + name.casefold(), name, "group", "collective actor")
            elif full and name not in people:
                self._person(full[0], "", "")
            elif name not in people and self.country_of(name) is None and name not in _CALENDAR:
                self.add("o:" + name.casefold(), name, "organization", "organization in the story")

    def _classify(self, c: list[Tok], toks: list[Tok], s: Sentence) -> None:
        words = [t.text for t in c]
        phrase = self.orig[c[0].start : c[-1].end]
        before = self.text[max(s.start, c[0].start - 40) : c[0].start]
        after = self.text[c[-1].end + (2 if c[-1].poss else 0) : s.end]
        if phrase.casefold() in _OUTLETS or _OUTLET_CUE.search(before):
            return
        code = self.country_of(self.text[c[0].start : c[-1].end])
        if code is not None:
            return  # countries are counted from mentions later
        low = [w.lower() for w in words]
        title_at = max((i for i, w in enumerate(low[:-1]) if w in _TITLES), default=-1)
        name_toks = c[title_at + 1 :]
        name = self.orig[name_toks[0].start : name_toks[-1].end]
        if any(w in _ORG_WORDS for w in low[title_at + 1 :]) or (
            len(words) == 1 and words[0] in _KNOWN_ORGS
        ):
            self._org(c, before)
            return
        if len(name_toks) > 4 or any(self.country_of(w) for w in words[title_at + 1 :]):
            return
        if len(name_toks) >= 2:
            self.names.append(name)
        idx = toks.index(name_toks[0])
        role = _role_before(toks, idx, self.orig)
        appos = re.split(r",|\bwho\b", after[2:])[0].strip() if after.startswith(", ") else ""
        if role and role.split()[-1].lower() in _TITLES:
            if role.lower() in {"dr.", "mr.", "mrs.", "ms.", "prof."} and _is_role(appos):
                role = appos[:80]
            self._person(name, role, phrase if title_at >= 0 and len(name_toks) == 1 else "")
            return
        if len(name_toks) >= 2 and _is_role(appos):
            self._person(name, appos[:80], "")
        elif len(name_toks) >= 2 and re.search(r"\b(?:" + _TITLE_ALT + r")\.?, $", before):
            self._person(
                name, self.orig[c[0].start - len(before) : c[0].start].split(",")[-2].strip(), ""
            )
        elif len(words) == 1 and words[0].isupper() and not VERB.match(after.lstrip()):
            return
        elif VERB.match(after.lstrip()) or VERB.match(re.sub(r"^, [^,]*, ", "", after)):
            if len(name_toks) >= 2 and not re.search(r"(?:group|company|firm|team) $", before):
                self._person(name, "", "")
            elif len(name_toks) == 1:
                self.pending.append(name)
            else:
                self._org(c, before)

    def _org(self, c: list[Tok], before: str) -> None:
        name = self.orig[c[0].start : c[-1].end]
        owner = re.search(r"([A-Z]\w*(?: [A-Z]\w*)?)'s $", before)
        key = "o:" + fold(name).casefold()
        full = name
        if owner and self.country_of(owner.group(1)) and key not in self.acts:
            full = self.orig[c[0].start - len(owner.group(0)) : c[-1].end]
        act = self.add(key, full, "organization", "organization in the story", name)
        paren = re.match(r" \(([A-Z]{2,6})\)", self.text[c[-1].end : c[-1].end + 10])
        if paren:
            self.add(key, act.name, "organization", alias=paren.group(1))

    def _person(self, name: str, role: str, titled: str) -> None:
        last = name.split()[-1]
        for key, act in self.acts.items():
            if (
                act.type == "person"
                and act.name.split()[-1] == last
                and (name in act.name or act.name in name)
            ):
                if len(name) > len(act.name):
                    act.aliases.append(act.name)
                    act.name = name
                self.add(key, act.name, "person", role, titled)
                return
        self.add("p:" + fold(name).casefold(), name, "person", role, titled)

    def surfaces(self) -> dict[str, str]:
        """Folded surface form -> actor key, for mention search (countries added here)."""
        table: dict[str, str] = {}
        persons = [k for k, a in self.acts.items() if a.type == "person"]
        lasts = [self.acts[k].name.split()[-1] for k in persons]
        roles = [self.acts[k].role.lower().split()[-1:] for k in persons]
        for key, act in self.acts.items():
            for s in [act.name, *act.aliases]:
                table.setdefault(fold(s), key)
            if act.type == "person":
                last = act.name.split()[-1]
                if lasts.count(last) == 1 and len(last) > 2:
                    table.setdefault(fold(last), key)
                word = act.role.lower().split()[-1:]
                if word and roles.count(word) == 1 and word[0] in _TITLES:
                    table.setdefault("the " + word[0], key)
                    table.setdefault("The " + word[0], key)
        for name, (code, _) in self.countries.items():
            if name in self.text and re.search(r"(?<!\w)" + re.escape(name) + r"(?!\w)", self.text):
                table.setdefault(name, "c:" + code)
        for cap, code in CAPITALS.items():
            table.setdefault(cap, "c:" + code)
        return table


@dataclass(frozen=True)
class Mention:
    """One mention of the actor ``key`` at ``start:end`` of the article."""

    start: int
    end: int
    key: str


def find_mentions(finder: Actors) -> list[Mention]:
    """Actor mentions in text order: names, aliases, capitals, and government phrases
    ("Peru's foreign ministry", "North Korean forces") standing for a country."""
    text, table = finder.text, finder.surfaces()
    gov = "|".join(sorted(GOV_NOUNS))
    found: list[Mention] = []
    taken: set[int] = set()
    composite = re.compile(
        r"(?<!\w)((?:North |South |New |Saudi )?[A-Z][a-z]+)(?:'s (?:[a-z]+ ){0,2}| (?:[a-z]+ )?)"
        r"(?:" + gov + r")s?(?!\w)"
    )
    forms: dict[str, list[str]] = {}
    for m in composite.finditer(text):
        head = m.group(1)
        code = finder.country_of(head) or country_of_demonym(head)
        if code and (m.group(0)[len(head) :].startswith("'s") or code == country_of_demonym(head)):
            forms.setdefault("c:" + code, []).append(finder.orig[m.start() : m.end()])
            found.append(Mention(m.start(), m.end(), "c:" + code))
            taken.update(range(m.start(), m.end()))
    alts = sorted(table, key=len, reverse=True)
    simple = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(a) for a in alts) + r")(?![\w-])")
    for m in simple.finditer(text) if alts else ():
        if m.start() in taken:
            continue
        key = table[m.group()]
        if key.startswith("c:"):
            forms.setdefault(key, []).insert(0, finder.orig[m.start() : m.end()])
        found.append(Mention(m.start(), m.end(), key))
    for key, names in forms.items():
        names = sorted(
            dict.fromkeys(names),
            key=lambda n: (fold(n) not in finder.countries, n in CAPITALS, names.index(n)),
        )
        act = finder.add(key, names[0], "country", "country involved")
        for n in names[1:]:
            if n.split()[-1].lower() not in GOV_NOUNS and not n.endswith("s"):
                finder.add(key, act.name, "country", alias=n)
    found.sort(key=lambda x: x.start)
    for mention in found:
        finder.acts[mention.key].mentions += 1
    return found


def mentions_in(mentions: list[Mention], s: Sentence) -> list[Mention]:
    """The mentions that start inside sentence ``s``, in text order."""
    return [m for m in mentions if s.start <= m.start < s.end]
