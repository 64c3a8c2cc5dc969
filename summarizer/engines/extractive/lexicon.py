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
    "Baghdad:IRQ, Cairo:EGY, White House:USA, Downing Street:GBR, Whitehall:GBR, "
    "Elysee Palace:FRA, Élysée Palace:FRA, Élysée:FRA, Elysee:FRA, Blue House:KOR, "
    "Zhongnanhai:CHN, Ottawa:CAN, Canberra:AUS, Nairobi:KEN, Pretoria:ZAF, Abuja:NGA, "
    "Brasilia:BRA, Brasília:BRA, Buenos Aires:ARG, Mexico City:MEX, Lima:PER, Bogota:COL, "
    "Bogotá:COL, Quito:ECU, Santiago:CHL, Athens:GRC, Budapest:HUN, Prague:CZE, Vienna:AUT, "
    "Stockholm:SWE, Oslo:NOR, Copenhagen:DNK, Helsinki:FIN, Dublin:IRL, Lisbon:PRT, "
    "The Hague:NLD, Bern:CHE, Bucharest:ROU, Sofia:BGR, Belgrade:SRB, Tbilisi:GEO, "
    "Yerevan:ARM, Baku:AZE, Astana:KAZ, Tashkent:UZB, Hanoi:VNM, Bangkok:THA, Manila:PHL, "
    "Jakarta:IDN, Kuala Lumpur:MYS, Canberra:AUS, Wellington:NZL, Dhaka:BGD, Colombo:LKA, "
    "Kathmandu:NPL, Doha:QAT, Abu Dhabi:ARE, Amman:JOR, Beirut:LBN, Tripoli:LBY, Tunis:TUN, "
    "Algiers:DZA, Rabat:MAR, Khartoum:SDN, Addis Ababa:ETH, Kinshasa:COD, Kampala:UGA, "
    "Kigali:RWA, Dodoma:TZA, Harare:ZWE, Lusaka:ZMB, Luanda:AGO, Accra:GHA, Dakar:SEN, "
    "Bamako:MLI, Niamey:NER"
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
START_WORDS = word_set(
    "the a an this that these both but however meanwhile according asked under in on at if it "
    "he she they we our his her its their after before while when as last next some many most "
    "all not every one two so and or yet still among for from with by during despite through "
    "without within since until including unlike like about against between over into "
    "neighbouring neighboring nearby rival fellow then now later earlier instead also even "
    "only just once here there where why how what who which whose"
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
        gap = text[cur[-1].end : t.start] if cur else ""
        # "Dock Workers' Union": a plural possessive joins the name like a space.
        joined = (
            bool(cur)
            and not cur[-1].poss
            and (gap == " " or (gap == "' " and cur[-1].text.endswith("s")))
        )
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
            c[0].text.lower() in START_WORDS
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

# Verbs that carry a position of their own ('denied' -> 'deny', 'voted against' -> 'oppose')
# and neutral reporting verbs, whose position comes from what was said. Negated forms are
# listed whole ('did not oppose' -> 'support') so the longest phrase wins the match.
VERB_POS = {
    verb: pos
    for pos, verbs in (
        (
            "concern",
            "warned|warns|cautioned|echoed|expressed concern|expressed concerns|raised concerns|"
            "raised concern|voiced concern|voiced concerns|expressed alarm|feared|fears|worried|"
            "questioned",
        ),
        ("deny", "denied|denies|deny|dismissed|disputed|refuted|rebuffed|rejected claims"),
        (
            "oppose",
            "rejected|rejects|accused|accuses|condemned|condemns|criticized|criticised|"
            "criticizes|criticises|opposed|opposes|objected|protested|slammed|attacked|denounced|"
            "decried|blasted|lambasted|voted against|vowed to appeal|vowed to fight|appealed|"
            "challenged|sued|voted no|vote against|votes against|refused to back|"
            "refused to support|did not support|"
            "would not support|"
            "does not support|did not back|would not back|will not support|voted down",
        ),
        (
            "support",
            "backed|backs|supported|supports|welcomed|welcomes|praised|praises|expressed support|"
            "endorsed|endorses|applauded|hailed|hails|voted for|voted in favour|voted in favor|"
            "defended|championed|lauded|voted yes|vote for|votes for|urged|urges|called for|"
            "did not oppose|"
            "does not oppose|"
            "would not oppose|will not oppose|did not object|would not object|signed off on",
        ),
        ("claim", "alleged|alleges"),
    )
    for verb in verbs.split("|")
}
SAY = word_set(
    "said says told stated added argued claimed reported writes wrote replied insisted "
    "estimated announced confirmed acknowledged noted explained predicted called voted"
)
VERB = re.compile(
    r"\b("
    + "|".join(re.escape(v) for v in sorted([*VERB_POS, *SAY], key=lambda v: (-len(v), v)))
    + r")\b"
)

# --- position cues ---------------------------------------------------------------------

#: No position taken: no comment, cannot confirm, no view.
NEUTRAL_CUE = re.compile(
    r"could not (?:independently )?confirm|declined to (?:comment|say|give|confirm)|(?:would|does|"
    r"did|will) not comment|no information|not taken (?:a|any) (?:formal )?position|did not "
    r"respond|no (?:immediate )?comment|too early to (?:say|comment|tell)|took no position|"
    r"has no view|neither confirm(?:ed)? nor den(?:y|ied)|was monitoring|is monitoring|"
    r"were monitoring|are monitoring|(?:could|can|cannot|can't) ?(?:not )?comment|"
    r"considering (?:its|"
    r"their|his|her|all) options|(?:would|will) consider|respect(?:ed|s)? the|engaging with|"
    r"not (?:yet )?(?:decided|taken a view)|no position"
)
#: Cue words of each position in what was said, in tie-break order (first wins a tie).
POSITION_CUES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (pos, re.compile(r"\b(?:" + words + r")"))
    for pos, words in (
        (
            "deny",
            r"false|fabricat\w*|does not exist|did not exist|no evidence|not true|untrue|baseless|"
            r"unfounded|groundless|inaccurate|misleading|no truth|no basis|categorically|"
            r"did nothing wrong|done nothing wrong|no wrongdoing|innocent|never (?:failed|took|"
            r"used|"
            r"paid|met|signed|received|broke|agreed|had|been)|ha(?:s|d|ve) not (?:failed|paid|"
            r"signed|"
            r"taken|received|broken|agreed|met|been involved)|there (?:is|was|"
            r"were) no (?!immediate)"
            r"|nothing to hide|no record|not involved|none of|(?:not|"
            r"never) (?:been )?(?:\w+ )?linked|"
            r"no link",
        ),
        (
            "oppose",
            r"disagree\w*|(?:not|never) accept|oppos\w+|unfair\w*|reject\w*|unacceptable|wrong\b|"
            r"illegal|unlawful|appeal\b|condemn\w*|criticis\w*|criticiz\w*|refus\w*|against\b|"
            r"should not|must not|should stop|must stop|would not let|will not let|not let|"
            r"cannot be squared|flawed|unjust\w*|reckless|irresponsible|betray\w*|outrage\w*|"
            r"disgrace\w*|scandal\w*|shameful|ransom|mistake\w*|misguided|not through|attack on|"
            r"protested|protesting|one-sided|biased|hiding behind|fight\b|scrap\w*|veto\w*|"
            r"block\w*|halt\b|reverse\b|should have|"
            r"failed to|unjustified|insult\w*|absurd|ridiculous|nonsense|rip-off|punish\w*|"
            r"waste\w*|cannot support|not support|disappoint\w*|blow to|let down",
        ),
        (
            "concern",
            r"threat\w*|risk\w*|danger\w*|worr\w+|fear\w*|concern\w*|undermin\w+|escalat\w+|"
            r"chaos|crisis|serious\w*|harm\w*|damag\w+|uncertain\w*|warn\w*|too (?:short|early|"
            r"small|soon|late|little|few|slow|high)|cannot plan|could lose|lose\b|losing|"
            r"shortage\w*|"
            r"paying extra|costly|struggl\w+|pressure|difficult\w*|vulnerab\w+|jeopard\w+|alarm\w*|"
            r"problem\w*|strain\w*|shortfall|doubt\w*|caution\w*|not enough|insufficient|fragile|"
            r"could not prove|cannot prove|not prove|squeeze|suffer\w*|at stake|devastat\w+|"
            r"hurt\w*|burden\w*|anxious|nervous|afraid|deserve to|have to be sure|need to be sure|"
            r"cost (?:\w+ )?jobs|job (?:losses|cuts)|lay-?offs?|uncompetitive|unsustainable|"
            r"cannot afford|can't afford|thin\b|drags? on",
        ),
        (
            "support",
            r"welcom\w*|support\w*|endors\w*|prais\w*|applaud\w*|good (?:news|deal|step|result|"
            r"thing|day|outcome|decision)|in favou?r|benefit\w*|right decision|positive|important|"
            r"only way|fix(?:es|ed)?\b|overdue|great|excellent|proud|delighted|pleased|happy|"
            r"success\w*|breakthrough|encourag\w+|promising|vital|essential|boost\w*|improv\w+|"
            r"protect\w*|waiting for|allow (?:us|the|them|it|farmers|people)|gives us|help(?:s|ed|"
            r"ing)?\b|"
            r"opportunit\w+|progress|valuable|careful|robust|best\b|historic|milestone|landmark|"
            r"sent a message|clear message|strong (?:case|result|step)|one strong|accept\w*|"
            r"fair\b|affordable|"
            r"right thing|right call|right step",
        ),
    )
)
#: A negation right before a cue word flips or cancels it ("not good", "no risk").
NEGATION = re.compile(r"\b(?:not|no|never|nor|without|n't|cannot|hardly)\s+(?:\w+\s+){0,2}$")
NEGATED_POSITION = {"support": "oppose", "oppose": "support"}
