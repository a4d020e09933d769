"""Question analysis: what kind of question this is, what kind of answer it expects, and its
content terms. Rule-based, pure and fast (tens of microseconds): regular expressions over the
wh-words and set phrases, one table of patterns per language. A question without a function
word of either language is also given to the language detector (0.15 ms).

`holds_answer_type(text, answer_type)` says whether a span holds an answer of the expected
type (a number, an amount of money, a duration, a date, a person's name...). It uses regular
expressions too: spaCy's `en_core_web_sm` NER was measured at ~10 ms a sentence on 2 cores (an
answer weighs 10-60 candidate sentences against a budget of a few ms), and it labelled
"Amara Okafor" a place.

To add a language, add its patterns to `PATTERNS`, its stopwords to `STOPWORDS` and its
month and unit words to the answer-type expressions; `detect_language` picks the table.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from kenning.ingest.language import detect_language as detect_text_language


class QuestionType(StrEnum):
    """What a question asks for."""

    procedure = "procedure"  # how do I / how to / what are the steps
    quantity = "quantity"  # how much / how many / how long / what is the cost
    date = "date"  # when / what year / by when
    person = "person"  # who / which person or team
    yes_no = "yes_no"  # is / does / can ... ?
    cause = "cause"  # why / what caused / what was the root cause
    definition = "definition"  # what is X / what does X mean
    other = "other"


class AnswerType(StrEnum):
    """What an answer should hold for the question to be answered."""

    steps = "steps"
    number = "number"
    percent = "percent"
    money = "money"
    duration = "duration"
    date = "date"
    time = "time"
    person = "person"
    place = "place"
    reason = "reason"
    boolean = "boolean"
    description = "description"
    entity = "entity"  # what / which X: a name, a thing


@dataclass(frozen=True)
class QuestionAnalysis:
    """What `analyse` found in a question.

    Attributes:
        question: the question as given (whitespace normalised).
        language: the language whose patterns matched ("en", "fr").
        type: the question type.
        answer_type: the expected answer type.
        terms: the content words, lower-cased, in order, stopwords and question words dropped.
    """

    question: str
    language: str
    type: QuestionType
    answer_type: AnswerType
    terms: tuple[str, ...]


Q, A = QuestionType, AnswerType
MONEY_WORDS = (r"cost|costs|price|pay|paid|spend|spent|budget|fee|fees|salary|stipend|cap|"
               r"worth|charge|charged|reimburse\w*|allowance|per diem")  # fmt: skip
# Amounts of money in a French question; "payés" of "congés payés" is not one.
FRENCH_MONEY_WORDS = (r"coût\w*|coûte\w*|prix|budget|dépens\w*|factur\w*|montant|plafond|"
                      r"prime|indemnité\w*|salaire|tarif\w*|rembours\w*|frais|allocation")
DURATION_WORDS = r"long|quickly|fast|soon|often|frequently|longtemps|vite|souvent"
# "How much faster was X than Y?" compares times (the Dortmund plan took nine minutes, then
# three minutes forty seconds), as "how fast" asks for one.
DURATION_COMPARED = r"faster|slower|quicker|sooner|later"

# (pattern, question type, answer type), tried in order; the first match wins. Patterns see
# the question lower-cased, with curly apostrophes straightened.
PATTERNS: dict[str, list[tuple[re.Pattern[str], QuestionType, AnswerType]]] = {
    "en": [
        (re.compile(r"\bhow (?:do|can|should|would|could|must|did) (?:i|we|you|one|they)\b"
                    r"|^how to\b|\bhow is (?:\w+ ){0,3}(?:done|set up|configured|deployed)\b"
                    r"|\bwhat (?:are|were) the steps\b|\bsteps? (?:to|for)\b|\bprocedure\b"
                    r"|\bwhat (?:is|'s) the (?:process|procedure) (?:to|for)\b"
                    r"|\bwhat (?:should|must) (?:[\w-]+ ){1,4}do\b"),
         Q.procedure, A.steps),  # fmt: skip
        (re.compile(rf"\bhow much\b.*\b(?:{MONEY_WORDS})\b|\bhow much money\b|\bwhat "
                    rf"(?:is|was|are|were) (?:the |our )?(?:[\w-]+ ){{0,3}}(?:{MONEY_WORDS})\b"
                    r"|\bhow much (?:does|do|did|will|would) .* (?:adds?|saves?)\b.*\bper "
                    r"(?:month|year|week|day|night|person|head)\b"
                    r"|\bhow much (?:does|do|did|will|would) .* (?:cost|pay|spend|charge)"),
         Q.quantity, A.money),  # fmt: skip
        # "How long is the Rhine?" asks for a length; "how long do we keep..." for a duration.
        (re.compile(r"\bhow long (?:is|was|are|were) (?:the |a |an )?[\w-]+(?: [\w-]+)?$"),
         Q.quantity, A.number),  # fmt: skip
        (re.compile(rf"\bhow (?:{DURATION_WORDS})\b|\bwithin how\b|\bfor how long\b"
                    rf"|\bhow much (?:{DURATION_COMPARED})\b"
                    r"|\bwhat (?:is|was) the (?:\w+ )?(?:duration|period|deadline|retention)\b"),
         Q.quantity, A.duration),  # fmt: skip
        (re.compile(r"\bwhat (?:percentage|percent|per cent|proportion|share)\b|\bhow many "
                    r"(?:percent|per cent)\b|\bwhat (?:is|was|are|were) the (?:\w+ )?"
                    r"(?:percentage|proportion|share)\b"), Q.quantity, A.percent),  # fmt: skip
        (re.compile(r"\bhow (?:much|many|far|big|large|old|high|tall|deep|wide|heavy|small)\b"
                    r"|\bwhat (?:is|was|are|were) the (?:\w+ )?(?:number|amount|size|population"
                    r"|percentage|share|rate|total|count|limit|capacity|area|length|height|"
                    r"weight|speed|temperature|distance)\b|\bwhat (?:percentage|proportion|"
                    r"fraction|share|number)\b"), Q.quantity, A.number),  # fmt: skip
        (re.compile(r"\bwhat time\b|\bat what time\b"), Q.date, A.time),
        (re.compile(r"^when\b|\bby when\b|\b(?:what|which|in what|in which) (?:year|date|day|"
                    r"month|century|decade|era|period|season|week|quarter)\b|\bwhen (?:did|does"
                    r"|do|is|was|will|were|are|can|should|must)\b"), Q.date, A.date),  # fmt: skip
        (re.compile(r"^why\b|\bwhy (?:did|does|do|is|was|were|are|would|will)\b"
                    r"|\bwhat (?:was|is|were|are) the (?:\w+ )?(?:causes?|reasons?)\b"
                    r"|\bwhat (?:caused|causes|led to|made)\b|\bhow come\b|\bfor what reason\b"
                    r"|\bwhat (?:went wrong|happened)\b"), Q.cause, A.reason),  # fmt: skip
        (re.compile(r"^who(?:m|se)?\b|\bwho (?:is|was|are|were|owns|decided|said|knows|"
                    r"approves|leads|runs|should|can|do|did|to)\b|\b(?:which|what) (?:person|"
                    r"people|team|engineer|employee|manager|owner|lead|member|contact)s?\b"
                    r"|\bwho\b"), Q.person, A.person),  # fmt: skip
        (re.compile(r"^where\b|\bwhere (?:is|are|was|were|do|does|did|can|should)\b"
                    r"|\b(?:in |at )?(?:what|which) (?:city|country|region|place|state|"
                    r"location|town|continent|depot|site|area)\b"), Q.other, A.place),  # fmt: skip
        (re.compile(r"^(?:is|are|was|were|do|does|did|can|could|should|will|would|has|have|"
                    r"had|may|might|must|shall|am)\b"), Q.yes_no, A.boolean),  # fmt: skip
        (re.compile(r"^(?:what|who) (?:is|are|was|were) (?:an? |the )?(?:[\w-]+ ?){1,3}\??$"
                    r"|\bwhat does (?:[\w-]+ ){1,4}(?:mean|stand for)\b|^(?:define|explain|"
                    r"describe)\b|\bwhat is meant by\b|\bwhat (?:is|are) (?:an? |the )?"
                    r"(?:meaning|definition|purpose) of\b"),
         Q.definition, A.description),  # fmt: skip
        (re.compile(r"^how\b"), Q.procedure, A.steps),
        (re.compile(r"\b(?:what|which)\b"), Q.other, A.entity),
    ],
    "fr": [
        # "Comment…", also after the situation it is asked in ("J'ai acheté une voiture
        # d'occasion, comment faire la carte grise ?"), and "que faire ?".
        (re.compile(r"(?:^|[,;:] )comment\b|\bétapes?\b|\bprocédure\b|\b(?:que|quoi) faire\b"),
         Q.procedure, A.steps),  # fmt: skip
        # Before the amounts: "combien de temps", "combien de jours de congés payés".
        (re.compile(r"\bcombien de temps\b|\bà quelle fréquence\b|\bdans quel délai\b"
                    r"|\bquel(?:le)? (?:est |sera )?(?:la |le )?(?:durée|délai)\b"),
         Q.quantity, A.duration),  # fmt: skip
        (re.compile(r"\bquel(?:le)? (?:est |sera )?(?:le |la )?(?:taux|pourcentage|proportion)\b"),
         Q.quantity, A.percent),  # fmt: skip
        (re.compile(r"\bcombien de (?:jours|semaines|mois|heures|minutes|ans|années|fois|"
                    r"personnes|clients)\b"), Q.quantity, A.number),  # fmt: skip
        (re.compile(rf"\bcombien\b.*\b(?:{FRENCH_MONEY_WORDS})\b|\bquel(?:le)? "
                    rf"(?:est |était |sera )?(?:le |la |l')?(?:[\w-]+ )?(?:{FRENCH_MONEY_WORDS})"
                    r"\b|\bà combien s'élève\b|\bcombien (?:faut-il )?(?:payer|payons|paie)\b"
                    r"|\bcombien (?:touche|gagne|perçoi)\w*|\bcombien\b.*\bêtre payée?s?\b"),
         Q.quantity, A.money),  # fmt: skip
        (re.compile(r"\bcombien\b|\bquel(?:le)? est le nombre\b"), Q.quantity, A.number),
        (re.compile(r"^quand\b|\bà quelle date\b|\ben quelle année\b|\bquel jour\b"
                    r"|\bpour quand\b|\bd'ici quand\b|\bjusqu'à quand\b"),
         Q.date, A.date),  # fmt: skip
        (re.compile(r"^pourquoi\b|\bquelle (?:est|était) la cause\b|\bqu'est-ce qui a causé\b"),
         Q.cause, A.reason),  # fmt: skip
        (re.compile(r"^qui\b|\bquelle (?:personne|équipe)\b|\bà qui\b|\bauprès de qui\b"),
         Q.person, A.person),  # fmt: skip
        (re.compile(r"^où\b|\bdans quel(?:le)? (?:ville|pays|région)\b"), Q.other, A.place),
        # "Est-ce que…", "Puis-je…", "Dois-je…", also after a clause ("Si je démissionne,
        # est-ce que j'aurai droit au chômage ?").
        (re.compile(r"(?:^|, )(?:est-ce\b|[\w']+-(?:t-)?(?:je|tu|il|elle|on|nous|vous|ils|elles)"
                    r"\b)|^(?:est|sont|peut|faut-il|doit)\b"),
         Q.yes_no, A.boolean),  # fmt: skip
        (re.compile(r"^qu'est-ce que\b|\bque (?:signifie|veut dire)\b|^(?:définir|expliquer)\b"),
         Q.definition, A.description),  # fmt: skip
        (re.compile(r"\b(?:quel|quelle|quels|quelles|que|quoi)\b"), Q.other, A.entity),
    ],
}

STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        "a about above after again against all am an and any are as at be because been before "
        "being below between both but by can could did do does doing down during each few for "
        "from further had has have having he her here hers him his how i if in into is it its "
        "itself just me more most my no nor not now of off on once only or other our ours out "
        "over own same she should so some such than that the their theirs them then there "
        "these they this those through to too under until up very was we were what when where "
        "which while who whom whose why will with would you your yours also much many tell "
        "say said does did get got one ones us may might must shall per".split()
    ),
    "fr": frozenset(
        "a au aux avec ce ces cette comment combien dans de des du elle en est et il ils je la "
        "le les leur lui ma mais me mes mon ne nos notre nous on ou où par pas pour qu que quel "
        "quelle quelles quels qui quoi quand sa se ses son sont sur ta te tes ton tu un une vos "
        "votre vous y à été être avoir ont fait faut peut pourquoi ils elles est-ce "
        "qu'est-ce".split()
    ),
}
FRENCH_MARKERS = re.compile(
    r"\b(?:qu'est-ce|est-ce|quel|quelle|quels|quelles|pourquoi|combien|comment|quand|où|qui"
    r"|les|des|une|est|sont|nous|vous|pour|dans|avec)\b"
)
ENGLISH_MARKERS = re.compile(
    r"\b(?:what|which|who|when|where|why|how|the|is|are|do|does|did|of|to|and|we|you)\b"
)
WORD = re.compile(r"[\w'’-]+")
# The second word of "how long", "how many"...: part of the question, not of its topic.
HOW_WORD = re.compile(r"(?i)\bhow (?:long|quickly|soon|often|far|much|many|fast|big|old)\b"
                      rf"(?: (?:{DURATION_COMPARED})\b)?")
ELISION = re.compile(r"^(?:[dljmnstc]|qu)['’]|['’]s$")


# "Which cloud provider hosts…", "What kind of license…": the words naming what is asked for,
# up to the verb (an auxiliary, or the word before a determiner) and at most ASKED_WORDS_MAX.
ASKED_PHRASE = re.compile(r"(?i)^\s*(?:which|what)\s+(?:(?:kind|type|sort)s?\s+of\s+)?(.*)")
AUXILIARY = frozenset(
    "is are was were be been do does did has have had can could will would should may might "
    "must shall".split()
)
DETERMINER = frozenset(
    "the a an our their its his her my your this that these those we they you it".split()
)
ASKED_WORDS_MAX = 3


def asked_words(question: str) -> tuple[str, ...]:
    """The words naming what a which/what question asks for, lower-cased: ("cloud",
    "provider") of "Which cloud provider hosts our Kubernetes clusters?"; none for "What is
    …?" or a question of another form.

    Example:
        >>> asked_words("Which cloud provider hosts our Kubernetes clusters?")
        ('cloud', 'provider')
    """
    found = ASKED_PHRASE.match(question)
    if not found:
        return ()
    words = [w.strip("'’-").lower() for w in WORD.findall(found.group(1))]
    if words and (words[0] in AUXILIARY or words[0].endswith("ed")):  # "What happened…"
        return ()
    asked: list[str] = []
    for i, word in enumerate(words[:ASKED_WORDS_MAX]):
        following = words[i + 1] if i + 1 < len(words) else ""
        if word in AUXILIARY or (asked and following in DETERMINER):
            break
        asked.append(word)
    return tuple(asked)


def detect_language(question: str) -> str:
    """The language whose function words outnumber the other's; on a tie ("Dois-je faire un
    préavis si je quitte mon emploi ?" has none of either), the language detector's guess
    when it is sure, else "en"."""
    text = question.lower().replace("’", "'")
    french, english = len(FRENCH_MARKERS.findall(text)), len(ENGLISH_MARKERS.findall(text))
    if french != english:
        return "fr" if french > english else "en"
    guess = detect_text_language(question)
    return guess.lang if guess.sure and guess.lang in PATTERNS else "en"


def content_terms(text: str, language: str = "en") -> tuple[str, ...]:
    """The distinct content words of a text, lower-cased, in order (stopwords dropped)."""
    stop = STOPWORDS.get(language, STOPWORDS["en"])
    text = HOW_WORD.sub(" ", text)
    words = (ELISION.sub("", w.strip("'’-")) for w in WORD.findall(text.lower()))
    return tuple(dict.fromkeys(w for w in words if w and w not in stop))


def analyse(question: str, language: str | None = None) -> QuestionAnalysis:
    """The type, expected answer type and content terms of a question.

    Args:
        question: the question in plain language.
        language: "en" or "fr"; detected from function words when omitted.

    Example:
        >>> analyse("How much is the hotel cap per night in Munich?").answer_type
        <AnswerType.money: 'money'>
    """
    text = " ".join(question.split())
    language = language if language in PATTERNS else detect_language(text)
    lowered = text.lower().replace("’", "'").rstrip(" ?!.")
    found = (QuestionType.other, AnswerType.entity)
    for pattern, qtype, atype in PATTERNS[language]:
        if pattern.search(lowered):
            found = (qtype, atype)
            break
    return QuestionAnalysis(text, language, *found, content_terms(text, language))


# ---- answer types in text -----------------------------------------------------------------

# Numbers as words ("three minutes forty seconds", "fourteen thousand two hundred stops").
NUMBER_WORDS = (r"zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|"
                r"fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|"
                r"fifty|sixty|seventy|eighty|ninety|hundred|thousand|million|billion|trillion|"
                r"dozen|half|quarter|several|twice|thrice|un|une|deux|trois|quatre|cinq|six|"
                r"sept|huit|neuf|dix|onze|douze|treize|quatorze|quinze|seize|vingt|trente|"
                r"quarante|cinquante|soixante|cent|mille|million|milliard")  # fmt: skip
NUMBER = rf"(?:\d[\d,.\u202f ]*\d|\d|(?:{NUMBER_WORDS}))"
MONTHS = (r"jan(?:uary|\.)?|feb(?:ruary|\.)?|mar(?:ch|\.)?|apr(?:il|\.)?|may|june?|july?|"
          r"aug(?:ust|\.)?|sep(?:t(?:ember)?|\.)?|oct(?:ober|\.)?|nov(?:ember|\.)?|"
          r"dec(?:ember|\.)?|janvier|février|mars|avril|mai|juin|juillet|août|septembre|"
          r"octobre|novembre|décembre")  # fmt: skip
DAYS = (r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|lundi|mardi|mercredi|"
        r"jeudi|vendredi|samedi|dimanche|today|tomorrow|yesterday")  # fmt: skip
TIME_UNITS = (r"seconds?|secs?|s|ms|milliseconds?|minutes?|mins?|hours?|hrs?|h|days?|weeks?|"
              r"months?|years?|yrs?|decades?|centuries|century|working days|business days|"
              r"secondes?|heures?|jours?|semaines?|mois|ans?|années?")  # fmt: skip
# Capitalised only because they open a sentence: not names.
SENTENCE_OPENERS = (
    r"The|A|An|In|On|At|This|That|These|Those|It|Its|When|If|Our|We|After|Before|Then|For|From"
    r"|By|With|As|During|All|Each|Every|Since|Until|Some|Most|There|They|He|She|I|You|And|But"
    r"|Or|So|To|Of|Le|La|Les|Un|Une|Il|Elle"
)
TYPE_PATTERNS: dict[AnswerType, re.Pattern[str]] = {
    AnswerType.number: re.compile(rf"(?i)\b{NUMBER}\b|\d"),
    AnswerType.percent: re.compile(
        rf"(?i)\d[\d.,]*\s?(?:%|percent\b|per cent\b|pour cent\b)|\b{NUMBER} (?:percent|per "
        r"cent|pour cent)\b|\b(?:half|a third|a quarter|two thirds|three quarters|majority)\b"
    ),
    AnswerType.money: re.compile(
        # "€180", "180 €" (French writes the sign after, often past a no-break space).
        r"(?i)[€$£¥]\s?\d|\d[\d,.]*\s?(?:[€$£]|(?:eur|euros?|usd|dollars?|gbp|pounds?|chf"
        r"|francs?)\b)"
        rf"|\b{NUMBER}\s(?:million |billion )?(?:euros?|dollars?|pounds?)\b"
    ),
    AnswerType.duration: re.compile(
        rf"(?i)\b{NUMBER}[\s-]?(?:{TIME_UNITS})\b|\b(?:an?|one) (?:hour|day|week|month|year)\b"
        r"|\b(?:daily|weekly|monthly|yearly|annually|hourly|immediately|quarterly)\b"
    ),
    AnswerType.date: re.compile(
        rf"(?i)\b(?:{MONTHS})\b|\b(?:1[0-9]{{3}}|20[0-9]{{2}})s?\b|\b(?:{DAYS})\b"
        r"|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|\bcentury\b|\b(?:q[1-4])\b"
    ),
    AnswerType.time: re.compile(
        r"(?i)\b\d{1,2}[:.h]\d{2}\b|\b\d{1,2}\s?(?:am|pm|a\.m\.|p\.m\.)|\b(?:noon|midnight)\b"
    ),
    AnswerType.person: re.compile(
        rf"\b(?!(?:{SENTENCE_OPENERS})\b)[A-Z][a-zà-ÿ'’-]+"
        r"(?:\s(?:van |de |von |da |del )?[A-Z][a-zà-ÿ'’-]+)+\b|(?<!\w)@[a-z][\w.-]+"
    ),
    AnswerType.place: re.compile(rf"\b(?!(?:{SENTENCE_OPENERS})\b)[A-Z][\w'’-]+"),
    AnswerType.reason: re.compile(
        r"(?i)\b(?:because|due to|caused by|as a result|owing to|since|so that|led to|leads to"
        r"|root cause|reason|therefore|thus|parce que|à cause|car)\b"
    ),
    # Steps are ordered: a bulleted list (contacts, caveats, what to do afterwards) is not.
    AnswerType.steps: re.compile(r"(?m)^\s*\d+[.)]\s+\S"),
}


def holds_answer_type(text: str, answer_type: AnswerType, question: str = "") -> bool:
    """True when the text holds an answer of the expected type that the question does not
    already hold: for "How many counties, besides the traditional eight?" a sentence's
    "eight" is no answer, and for "What share voted for the Pico Act of 1859?" its "1859".

    Types without a form of their own (description, entity, boolean) hold in any text.
    A date also counts as a time, and a number with a time unit as a duration.

    Example:
        >>> holds_answer_type("The cap is €180 per night.", AnswerType.money)
        True
    """
    pattern = TYPE_PATTERNS.get(answer_type)
    if pattern is None:
        return bool(text.strip())
    asked = f" {' '.join(WORD.findall(question.lower()))} " if question else ""

    def new(pattern: re.Pattern[str]) -> bool:
        return any(not asked or f" {' '.join(WORD.findall(m.group(0).lower()))} " not in asked
                   for m in pattern.finditer(text))  # fmt: skip

    if answer_type is AnswerType.time and new(TYPE_PATTERNS[AnswerType.date]):
        return True
    return new(pattern)


# ---- question terms in text ---------------------------------------------------------------

SUFFIXES = ("ations", "ation", "ies", "es", "s", "ing", "ed", "ly")
EXCEPTED = re.compile(r"\b(?:except|excluding|other than|apart from|sauf|hors)\s+(?:for\s+)?"
                      r"[\w'’-]+(?:\s*(?:,|and|or|et|ou)\s*[\w'’-]+)*")  # fmt: skip


@lru_cache(maxsize=65536)  # the same words come back in every passage of every question
def stem(word: str) -> str:
    """A crude English stem, enough to match "captures" with "capture" and "failed" with
    "fail" (both sides of a comparison are stemmed the same way)."""
    word = word.lower().strip("'’")
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    for suffix in SUFFIXES:
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)] + {"ies": "y", "ation": "at", "ations": "at"}.get(
                suffix, "")  # fmt: skip
    return word


def stems_of(text: str) -> frozenset[str]:
    """The stems of the words of a text; a hyphenated word also gives its parts
    ("#inc-payments" matches "payments"). Words after "except" or "excluding" do not count:
    "Germany (except Munich)" is not about Munich."""
    text = EXCEPTED.sub(" ", text.lower())
    words = WORD.findall(text)
    parts = [p for w in words if "-" in w for p in w.split("-") if p]
    return frozenset(stem(w) for w in [*words, *parts])


def joined_terms(question: str, terms: tuple[str, ...], vocabulary: frozenset[str]
                 ) -> tuple[str, ...]:  # fmt: skip
    """The terms with a phrasal verb the passages write as one word joined: "fail over" is
    "failover", "roll back" "rollback", "set up" "setup" when the passages (their stems in
    `vocabulary`) hold the joined word; it replaces the verb, which alone ("failed") means
    something else.

    Example:
        >>> joined_terms("How do we fail over paydb?", ("fail", "paydb"), frozenset({"failover"}))
        ('failover', 'paydb')
    """
    words = [w.strip("'’-") for w in WORD.findall(question.lower())]
    out = list(terms)
    for first, second in zip(words, words[1:], strict=False):
        joined = first + second
        if first in out and stem(joined) in vocabulary and joined not in out:
            out[out.index(first)] = joined
            if second in out:
                out.remove(second)
    return tuple(out)


def term_weights(terms: tuple[str, ...], passages: list[frozenset[str]]) -> dict[str, float]:
    """An IDF weight for each question term over the retrieved passages (their stems).

    A term found in few of them weighs more; a term found in none weighs most, so a question
    whose distinctive word appears nowhere (the cafeteria's menu) has low coverage.
    """
    n = len(passages)
    weights: dict[str, float] = {}
    for term in terms:
        key = stem(term)
        df = sum(key in p for p in passages)
        weights[key] = math.log(1.0 + (n + 1) / (df + 0.5))
    return weights


def coverage(weights: dict[str, float], stems: frozenset[str]) -> float:
    """The weighted share of the question's terms that a text holds (0 when it has none)."""
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in stems) / total if total else 0.0
