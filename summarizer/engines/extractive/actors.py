"""Actors of one article: who is named, as what, under which aliases, and where.

Candidates come from capitalized name chunks, classified by the words around them:
titles and appositions make people, organization keywords and known acronyms make
organizations, country names, capitals, demonyms and government phrases ("Peru's
foreign ministry") make countries, and plural nouns before a reporting verb make groups.
Mentions of one actor under different surface forms are merged into its aliases.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from summarizer.engines.extractive.lexicon import (
    CAPITALS,
    GOV_NOUNS,
    START_WORDS,
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
    "head captain striker rider gen. sen. gov. rep. mp deputy mr mrs ms dr prof sir dame lord "
    "lady justice councillor councilor alderman inspector superintendent detective sergeant "
    "constable magistrate chancellor president-elect speaker whip sheikh rabbi bishop father "
    "cardinal archbishop imam counsel son daughter wife husband mother brother sister widow "
    "grandmother grandfather lawyer"
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
    "network forum ngo nato confederation federación federação asociación associação fundación "
    "fondation fondazione stiftung senate parliament congress legislature tribunal directorate "
    "inspectorate regulator watchdog trust society league club plc llc gmbh ag s.a. sa nv "
    "holdings corporation airlines airways motors industries technologies pharmaceuticals "
    "laboratories capital ventures mobility telecom energy utilities railways railway airport "
    "hospital clinic school college academy project initiative coalition campaign secretariat "
    "cooperative cooperativa guild syndicate council sporting clube fc afc cf athletic atlético "
    "rovers wanderers albion hotspur"
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
    "allies|partners|protesters|demonstrators|scientists|critics|"
    "residents|retailers|fishermen|lawmakers|investors|workers|dockworkers|unions|"
    "opponents|activists|regulators|voters|officials|campaigners|senators|MPs|legislators|"
    "councillors|councilors|Republicans|Democrats|Conservatives|nurses|doctors|teachers|farmers|"
    "growers|parents|students|passengers|commuters|fans|shareholders|employees|drivers|pilots|"
    "tenants|miners|villagers|families|consumers|members|strikers|marchers|rebels|militants|"
    "delegates|ministers|judges|prosecutors|police officers|unionists"
)
_GROUP_WORDS = frozenset(_GROUPS.split("|"))
_NOT_MODIFIER = (
    r"(?!(?:his|her|its|their|our|my|some|many|most|other|all|both|these|those|such|several|"
    r"said|says|and|or|but|that|which|who|when|while|as)\b)"
)
_GROUP = re.compile(
    r"(?:^|, |\band |\bwhich |\bthe )((?:[A-Z][\w]*'s )?(?:" + _NOT_MODIFIER + r"[A-Z]?[a-z]+ )"
    r"{0,3}(?:" + _GROUPS + r"))"
    r" (?:have |had |are |were |also |then |have also )?(?:said|warned|welcomed|urged|argued|"
    r"are considering|considering|hesitant|blocked|called|voted|joined|protested|marched|"
    r"gathered|staged|walked out|went on strike|criticised|criticized|condemned|accused|opposed|"
    r"backed|supported|demanded|rejected|complained|signed|filed|sued|threatened|vowed|"
    r"rallied|approved|passed|argued|told|say|says|want|wanted|plan|planned|fear|feared)"
)
_NAME = r"[A-Z][\w&-]*[a-z0-9][\w&-]*"
_BUSINESS = re.compile(
    r"\b(" + _NAME + r")(?:'s)? (?:shares?|shareholders|investors|stock|chief executive|"
    r"chief financial officer|board|chairman|chairwoman|profits?|revenues?|sales|employees|"
    r"headquarters|plant|factory|stores|subsidiary|takeover|merger|bid)\b|"
    r"\b(?:shares in|shares of|stake in|acquisition of|takeover of|merger with|merge with|"
    r"bid for|offer for|buy|to buy|acquire|acquired|bought|sold|invest in|rival) ("
    + _NAME
    + r")\b|"
    r"\b(" + _NAME + r")(?: and (" + _NAME + r"))? (?:agreed|agree|announced|reported|posted|fell|"
    r"rose|merged|will merge|will buy|will acquire|bought|acquired|hired|sold|launched|"
    r"raised|cut|plans to|said it|said on)\b"
)
#: "the union" / "the regulator" stand for the one organization whose name has these words.
_DESCRIPTIONS: dict[str, frozenset[str]] = {
    noun: frozenset(words.split())
    for noun, words in (
        ("regulator", "authority commission agency regulator directorate office inspectorate"),
        ("watchdog", "authority commission agency regulator directorate office inspectorate"),
        ("union", "union"),
        ("court", "court tribunal"),
        ("council", "council"),
        ("ministry", "ministry department"),
        ("commission", "commission"),
        ("agency", "agency"),
        ("authority", "authority"),
        ("party", "party"),
        ("federation", "federation federación federação confederation"),
        ("confederation", "confederation"),
        ("association", "association asociación associação"),
        ("foundation", "foundation fondation fundación fondazione stiftung"),
        ("directorate", "directorate"),
        ("senate", "senate"),
        ("parliament", "parliament"),
        ("club", "club fc"),
        ("panel", "panel committee"),
        ("committee", "committee"),
        ("hospital", "hospital"),
        ("bank", "bank"),
        ("alliance", "alliance"),
        ("coalition", "coalition"),
        ("cooperative", "cooperative cooperativa"),
        ("company", "@company"),
        ("firm", "@company"),
        ("group", "@company group"),
        ("carrier", "@company airlines airways"),
        ("airline", "@company airlines airways"),
        ("operator", "@company"),
    )
}
#: Lower-case institutions owned by a place: "Poland's health ministry", "Millbrook's city
#: council", "the Lyon prosecutor's office" (foreign ministries stand for the country).
_PLACE_BODY = re.compile(
    r"\b((?:[A-Z][\w-]+ )?[A-Z][\w-]+(?:'s)? (?:(?:health|education|transport|interior|justice|"
    r"finance|environment|economy|agriculture|defence|defense|labour|labor|culture|sports?|"
    r"energy|infrastructure|state|regional|municipal|local|federal|provincial) ){0,2}(?:ministry|"
    r"city council|town council|county council|district council|council|prosecutor's office|"
    r"police|mayoral authority|health authority|regional government|district court|"
    r"appeals court|high court|city hall))\b"
)
#: ", a patient group," / ", a nonprofit," after a name: the name is an organization's.
_ORG_APPOSITION = re.compile(
    r", (?:a|an|the) (?:(?!for\b|of\b|at\b|with\b|to\b)[\w-]+ ){0,3}?(?:group|charity|company|"
    r"firm|association|union|body|"
    r"nonprofit|non-profit|campaign|coalition|network|lobby|organi[sz]ation|foundation|"
    r"operator|carrier|developer|maker|manufacturer|bank|insurer|retailer|platform|startup|"
    r"watchdog|regulator|agency|consortium|club|team|newspaper)\b"
)
_NEXT_WORD = re.compile(r" ([a-z]+)\b")
_PREV_WORD = re.compile(r"\b([a-z]+) $")
_LONGER = re.compile(r"(?: [A-Z][\w&-]+){1,2}(?![\w-])")


def _word_starts(text: str, word: str) -> list[int]:
    """Offsets of ``word`` in ``text`` where it is not part of a longer word (plain string
    search: a regex per name would churn the ``re`` cache)."""
    out: list[int] = []
    at = text.find(word)
    while at >= 0:
        end = at + len(word)
        if (at == 0 or not (text[at - 1].isalnum() or text[at - 1] in "-_")) and (
            end >= len(text) or not (text[end].isalnum() or text[end] in "-_")
        ):
            out.append(at)
        at = text.find(word, at + 1)
    return out


#: "the firm Mercer Dunlap", "rival carrier SkyJet": the name that follows is a company's.
_FIRM_BEFORE = re.compile(
    r"\b(?:the|a|an|its|rival|Italian|German|French|British|American|Japanese|Chinese) "
    r"(?:[\w-]+ )?(?:firm|company|group|carrier|airline|bank|insurer|lender|retailer|bottler|"
    r"developer|maker|manufacturer|operator|broker|fund|startup|platform|chain|supplier) $"
)
#: "Javier Moreno, 29," / "Frank Oduya, 71, was": an age in apposition marks a person.
_AGE_AFTER = re.compile(r", \d{1,3},")
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
        #: word -> the names (in order) that carry it after their first word
        self.names_by_later_word: dict[str, list[str]] = {}
        self.companies: set[str] = set()
        self.starts = {sent.start for sent in sentences}

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
        self._business()
        self._place_bodies()
        people = {a.name.split()[-1] for a in self.acts.values() if a.type == "person"}
        for name in (p for p in self.pending if len(p) >= 2):
            full = self.names_by_later_word.get(name, [])
            if name.lower() in _GROUP_WORDS:
                self.add("g:" + name.casefold(), name, "group", "collective actor")
            elif full and name not in people:
                self._person(full[0], "", "")
            elif (
                name not in people
                and self.country_of(name) is None
                and name not in _CALENDAR
                and name.lower() not in self.lower
                and not (name.endswith("s") and self._only_sentence_initial(name))
            ):
                self.add("o:" + name.casefold(), name, "organization", "organization in the story")
        self._merge_heads()
        self._prefix_people()
        self._descriptions()

    def _only_sentence_initial(self, name: str) -> bool:
        """Whether every use of ``name`` opens a sentence ("Analysts said ...")."""
        return all(at in self.starts for at in _word_starts(self.text, name))

    def _prefix_people(self) -> None:
        """A "person" whose name opens an organization's name ("Southern Gate" and
        "Southern Gate Terminals") is that organization."""
        orgs = [a for a in self.acts.values() if a.type == "organization"]
        for key, act in list(self.acts.items()):
            if act.type != "person" or act.role:
                continue
            owners = [o for o in orgs if o.name.startswith(act.name + " ")]
            if len(owners) == 1:
                owners[0].aliases.append(act.name)
                del self.acts[key]

    def _plain_name(self, name: str, at: int) -> bool:
        """Whether a single capitalized word at ``at`` can be a company's bare name."""
        return not (
            self.country_of(name)
            or country_of_demonym(name)
            or name in _CALENDAR
            or name.lower() in self.lower
            or name.lower() in _TITLES
            or name.casefold() in _OUTLETS
            or re.search(r"[A-Z][\w.'-]* $", self.text[max(0, at - 30) : at])
            or re.match(r" [A-Z]", self.text[at + len(name) : at + len(name) + 2])
            or any(name in a.name.split() for a in self.acts.values() if a.type == "person")
            or len(_word_starts(self.text, name)) < 2
        )

    def _business(self) -> None:
        """Companies named bare as the subject or object of business words ("Korvane and
        Tessaly agreed", "shares in Tessaly", "Korvane's chief executive")."""
        for m in _BUSINESS.finditer(self.text):
            for g in range(1, 5):
                name = m.group(g)
                if name and self._plain_name(name, m.start(g)):
                    key = "o:" + name.casefold()
                    self.add(key, self.orig[m.start(g) : m.end(g)], "organization", "company")
                    self.companies.add(key)

    def _place_bodies(self) -> None:
        """Lower-case institutions: "Poland's health ministry", "the interior ministry"."""
        for m in _PLACE_BODY.finditer(self.text):
            owner = m.group(1).split("'s")[0].split()[-1]
            if owner.lower() in START_WORDS or owner in _CALENDAR or owner.lower() in _TITLES:
                continue
            name = self.orig[m.start(1) : m.end(1)]
            self.add("o:" + fold(name).casefold(), name, "organization", "public body")
        for m in re.finditer(r"\b[Tt]he ((?!foreign )[a-z]+ ministry)\b", self.text):
            name = self.orig[m.start(1) : m.end(1)]
            if not any(name in a.name for a in self.acts.values()):
                self.add("o:" + name, name, "organization", "ministry")

    def _merge_heads(self) -> None:
        """A bare first word ("Aeris") joins the one longer name it starts ("Aeris
        Regional"), which is then an organization."""
        for key, act in list(self.acts.items()):
            if act.type != "organization" or " " in act.name:
                continue
            longer = [
                (k, a)
                for k, a in self.acts.items()
                if k != key
                and a.type in ("organization", "person")
                and a.name.startswith(act.name + " ")
            ]
            if not longer:
                self._lengthen(key, act)
            elif len(longer) == 1:
                k, a = longer[0]
                if a.type == "person":
                    a.type, a.role = "organization", act.role or "organization in the story"
                self.add(k, a.name, a.type, alias=act.name)
                if key in self.companies:
                    self.companies.add(k)
                del self.acts[key]

    def _lengthen(self, key: str, act: Act) -> None:
        """A bare company name also written with more capitalized words ("Trackwell" and
        "ordered Trackwell Rail to") takes the longer form as its name."""
        forms = []
        for at in _word_starts(self.text, act.name):
            more = _LONGER.match(self.text, at + len(act.name))
            if more:
                forms.append(self.text[at : more.end()])
        forms = [
            f
            for f in forms
            if not any(
                self.country_of(w)
                or w in _CALENDAR
                or w.lower() in _TITLES
                or w.lower() in self.lower
                for w in f.split()[1:]
            )
        ]
        if forms:
            full = max(set(forms), key=forms.count)
            start = self.text.find(full)
            act.aliases.append(act.name)
            act.name = self.orig[start : start + len(full)]

    def _type_nouns(self, act: Act) -> set[str]:
        """What kind of body an organization is: words of its name and a noun written next
        to it ("the GMB union", "the metalworkers' union FMLI")."""
        nouns = {w.lower() for w in act.name.split()}
        for name in [act.name, *act.aliases]:
            for at in _word_starts(self.text, fold(name)):
                end = at + len(name)
                after = _NEXT_WORD.match(self.text, end, end + 30)
                before = _PREV_WORD.search(self.text[max(0, at - 30) : at])
                nouns.update(x.group(1) for x in (after, before) if x)
        return nouns

    def _descriptions(self) -> None:
        """ "the union", "the regulator", "the company" as aliases of the one organization
        they can stand for (left out when more than one could)."""
        present: dict[str, list[str]] = {}
        named: dict[str, list[str]] = {}
        for m in re.finditer(r"\b[Tt]he ([a-z]+|[A-Z][\w-]+(?: [A-Z][\w-]+)*)\b", self.text):
            into = present if m.group(1).islower() else named
            into.setdefault(m.group(1).lower(), []).append(m.group())
        orgs = {k: a for k, a in self.acts.items() if a.type == "organization"}
        for key, a in orgs.items():
            for form in sorted(set(named.get(a.name.lower(), []))):
                if form[4:] == fold(a.name):
                    self.add(
                        key,
                        a.name,
                        "organization",
                        alias=self.orig[self.text.find(form) :][: len(form)],
                    )
        if not present.keys() & _DESCRIPTIONS.keys():
            return
        nouns = {key: self._type_nouns(a) for key, a in orgs.items()}
        for noun, words in _DESCRIPTIONS.items():
            if noun not in present:
                continue
            fits = [
                key
                for key in orgs
                if words & nouns[key] or ("@company" in words and key in self.companies)
            ]
            if len(fits) == 1:
                for form in sorted(set(present[noun])):
                    self.add(fits[0], self.acts[fits[0]].name, "organization", alias=form)

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
        of_at = next((i for i, t in enumerate(name_toks) if t.text == "of" and i >= 1), None)
        if title_at >= 0 and low[title_at] not in _ORG_WORDS and of_at is not None:
            c = c[: title_at + 1 + of_at]  # "Dr. José Peña of Hospital Universitario ..."
            words, low, name_toks = words[: len(c)], low[: len(c)], name_toks[:of_at]
            after = self.text[c[-1].end : s.end]
        name = self.orig[name_toks[0].start : name_toks[-1].end]
        if len(name) < 2:
            return  # "I", an initial: never an actor's name on its own
        if title_at < 0 and _FIRM_BEFORE.search(before):
            self._org(c, before)
            return
        if (
            any(w in _ORG_WORDS for w in low[title_at + 1 :])
            or (len(words) == 1 and words[0] in _KNOWN_ORGS)
            or (title_at < 0 and len(words) >= 2 and _ORG_APPOSITION.match(after))
        ):
            self._org(c, before)
            return
        if title_at < 0 and len(name_toks) >= 3 and name_toks[1].text == "of":
            if name_toks[0].text.lower() in _GROUP_WORDS:  # "Residents of Millford"
                self.add("g:" + fold(phrase).casefold(), phrase, "group", "collective actor")
            return
        cut = next((i for i, t in enumerate(name_toks) if t.text == "of" and i >= 2), None)
        if cut is not None:
            name_toks = name_toks[:cut]
            name = self.orig[name_toks[0].start : name_toks[-1].end]
            words = [t.text for t in c[: title_at + 1]] + [t.text for t in name_toks]
        if len(name_toks) > 4 or any(self.country_of(w) for w in words[title_at + 1 :]):
            return
        if len(name_toks) >= 2:
            self.names.append(name)
            for word in dict.fromkeys(name.split()[1:]):
                self.names_by_later_word.setdefault(word, []).append(name)
        self._person_or_body(c, toks, name_toks, title_at, (phrase, name, before, after))

    def _person_or_body(
        self,
        c: list[Tok],
        toks: list[Tok],
        name_toks: list[Tok],
        title_at: int,
        texts: tuple[str, str, str, str],
    ) -> None:
        """A name chunk that is no organization by its words: a person (by title, role,
        age or reporting verb), an organization (by how it is used), or pending."""
        phrase, name, before, after = texts
        words = [t.text for t in c[: title_at + 1]] + [t.text for t in name_toks]
        idx = toks.index(name_toks[0])
        role = _role_before(toks, idx, self.orig)
        appos = re.split(r",|\bwho\b", after[2:])[0].strip() if after.startswith(", ") else ""
        if role and role.split()[-1].lower() in _TITLES:
            if role.lower().rstrip(".") in {"dr", "mr", "mrs", "ms", "prof"} and _is_role(appos):
                role = appos[:80]
            self._person(name, role, phrase if title_at >= 0 and len(name_toks) == 1 else "")
            return
        if len(name_toks) >= 2 and _is_role(appos):
            self._person(name, appos[:80], "")
        elif 2 <= len(name_toks) <= 3 and (
            _AGE_AFTER.match(after) or (re.search(r"\bsaid $", before) and after[:1] in ",.")
        ):
            self._person(name, "", "")
        elif len(name_toks) >= 2 and re.search(r"\b(?:" + _TITLE_ALT + r")\.?, $", before):
            self._person(
                name, self.orig[c[0].start - len(before) : c[0].start].split(",")[-2].strip(), ""
            )
        elif len(words) == 1 and words[0].isupper() and not VERB.match(after.lstrip()):
            return
        elif VERB.match(after.lstrip()) or VERB.match(re.sub(r"^, [^,]*, ", "", after)):
            if len(name_toks) >= 2 and not self._org_like(name_toks, before, after):
                self._person(name, "", "")
            elif len(name_toks) == 1:
                self.pending.append(name)
            else:
                self._org(c, before)

    def _org_like(self, name_toks: list[Tok], before: str, after: str) -> bool:
        """A name before a reporting verb reads as an organization: 'the carrier X', 'X
        said it ...', or its first word used alone elsewhere ('Aeris') and its last not."""
        if re.search(
            r"(?:group|company|firm|team|operator|carrier|maker|bank|airline|developer|insurer|"
            r"retailer|lender|broker|fund|investor|platform|app|startup|charity|club) $",
            before,
        ):
            return True
        if re.match(
            r"\s*(?:\w+ ){0,4}?(?:said|says|told \w+)(?: [^,.]{0,30}?)? (?:that )?it\b", after
        ):
            return True
        first, last = name_toks[0].text, name_toks[-1].text
        full = self.text[name_toks[0].start : name_toks[-1].end]
        alone = len(_word_starts(self.text, first))
        lone_last = len(_word_starts(self.text, last))
        together = self.text.count(full)
        return alone > together and lone_last == together

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
            if name in self.text and _word_starts(self.text, name):
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
        if table.get(m.group(0), "").startswith("o:"):
            continue
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
    """The mentions that start inside sentence ``s``, in text order (``mentions`` is sorted
    by start, as :func:`find_mentions` returns it: two binary searches, not a scan)."""
    lo = bisect.bisect_left(mentions, s.start, key=_start)
    hi = bisect.bisect_left(mentions, s.end, lo, key=_start)
    return mentions[lo:hi]


def _start(mention: Mention) -> int:
    return mention.start
