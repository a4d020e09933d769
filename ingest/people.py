"""People mentioned by a document and their roles: metadata, meeting notes, transcripts.

Roles from metadata (owner, authors, attendees) hold for the whole document. Roles written in
the body of notes hold for one part of it, and carry that part as their `detail` (anchor lines,
one per line) so that expert ranking credits them only when a retrieved passage holds it: the
owner or shepherd of an agenda item ("**inline assembly (Amanieu, Josh)**", a project table's
Owner column, "presented by Niko"), a liaison, an action item's owner, someone who speaks in
the notes ("nikomatsakis: I think ..."), and someone merely named in a line.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from kenning.ingest.frontmatter import as_list
from kenning.ingest.identity import Roster, declared_aliases, not_a_person
from kenning.schema import ParsedDocument, anchor_text

# Metadata keys (front matter, header blocks, file properties) and the role each names.
META_ROLES: dict[str, str] = {
    "owner": "owner", "owners": "owner", "maintainer": "owner", "maintainers": "owner",
    "incident_lead": "owner", "incident_commander": "owner", "maintained_by": "owner",
    "author": "author", "authors": "author", "creator": "author",
    "reviewer": "reviewer", "reviewers": "reviewer", "approvers": "reviewer",
    "presenter": "presenter", "presenters": "presenter", "speaker": "presenter",
    "facilitator": "facilitator", "facilitators": "facilitator", "chair": "facilitator",
    "host": "facilitator",
    "attendees": "attendee", "attendance": "attendee", "participants": "attendee",
    "present": "attendee",
}  # fmt: skip

LABEL_LINE = re.compile(
    r"^\s*(?:[-*]\s*)?\**(?P<label>attendees|attendance|participants|present|facilitator|"
    r"facilitators|presenter|presenters|chair|host|owner|owners|author|authors|"
    r"incident lead|incident commander|maintained by)\**\s*:\**\s*(?P<value>.+)$",
    re.I,
)
# "Attendance:" alone on its line: the lines under it list who was there.
PEOPLE_LABEL = re.compile(
    r"^\s*(?:[-*]\s*)?\**(?:attendees|attendance|attending|participants|present)\**\s*:\**\s*$",
    re.I,
)
PEOPLE_HEADINGS = re.compile(
    r"^(attendees|attendance|attending|participants|present|who was there)$", re.I
)
ACTION_HEADINGS = re.compile(r"action|next step|follow.?up|to.?do", re.I)
# Sections that say who to go to for what: "## Contacts", "## Ownership", "## Getting help".
CONTACT_HEADINGS = re.compile(
    r"^(?:contacts?|owners?|ownership|who to ask|getting help|help|points? of contact|"
    r"escalation|maintainers|support)$", re.I,
)
TOPIC_LINE = re.compile(r"^(?P<topic>[^:]{3,80}):\s*(?P<who>.{2,120})$")
BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s*)?")
NAME = r"[A-Z][\w'’.-]+(?: [A-Z][\w'’.-]+){0,2}"
SENTENCE_END = re.compile(r"(?<=[a-z)\]])\.\s+(?=[A-Z])")
# What a label's value may hold for it to name people (`reads_as_names`).
NAME_SEPARATORS = re.compile(r"\s*(?:[,;/&]|\band\b)\s*")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
BRACKETED_EMAIL = re.compile(r"<\s*[\w.+-]+@[\w.-]+\s*>")  # "Jane Doe <jane@corp.example>"
HANDLE = re.compile(r"@?[^\W\d_][\w.'’-]*")  # scottmcm, @bstone, mark-simulacrum, the8472
NAME_WORD = re.compile(r"[^\W\d_][\w'’.-]*")
# Lower-case words inside a name: "Ludwig van Beethoven", "Maria da Silva".
PARTICLES = frozenset("van von der den de da di du del della la le bin ibn al dos das ten ter y"
                      .split())  # fmt: skip
ACTION_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"^@(?P<who>[\w.-]+)\b"),
    re.compile(r"^\**(?P<who>" + NAME + r")\**\s*(?::|[-–]|will|to)\s", re.U),
    re.compile(r"\bACTION\s*\((?P<who>[^)]+)\)", re.I),
    re.compile(r"\bACTION\s*:\s*(?P<who>" + NAME + r")\s+(?:to|will)\b"),
    re.compile(r"\((?:owner|assignee|who)\s*:\s*(?P<who>[^)]+)\)", re.I),
)
NOT_NAMES = frozenset({"we", "team", "all", "everyone", "tbd", "none", "n/a", "action", "todo",
                       "decision", "done", "the", "follow", "next"})
# Words that stand where a name could but are not people ("proposed by someone").
NOT_PEOPLE = NOT_NAMES | frozenset(
    "i me you he she it they them us our their someone somebody anyone anybody nobody people "
    "folks others other default design group groups meeting meetings this that these those "
    "who which whom here there time way lang libs compiler rfcbot bot github zulip email "
    "users user author authors owner owners a an and or but if so then also just maybe role "
    "person one project act serve".split()
)
# `Label: text` lines in notes that are not someone speaking.
NOT_SPEAKERS = frozenset(
    "link links note notes question questions answer answers conclusion conclusions consensus "
    "summary update updates status plan plans proposal proposals decision decisions example "
    "examples context background motivation observation observations outcome result results "
    "problem problems solution idea ideas goal goals pros cons pro con concern concerns edit "
    "tldr aside recap option options alternative alternatives caveat warning source sources "
    "issue issues pr rfc date time agenda topic topics q a fyi ps nb reason rationale why how "
    "what when where who scribe chair host owner author presenter liaison shepherd "
    "announcement announcements resolution reply response comment comments feedback remark "
    "thoughts thought opinion suggestion yes no also then step steps case cases meeting "
    "attendance attendees participants present others team members http https".split()
) | frozenset({"action item", "action items", "next step", "next steps", "tracking issue",
               "meeting date", "team members", "note-taker", "note taker", "action item scribe",
               "status update", "tl;dr", "e.g.", "i.e.", "p.s."})  # fmt: skip
# Roles written in the body of notes, held for one part of it (see the module docstring).
ITEM_ROLES: dict[str, str] = {
    "owner": "item_owner", "owners": "item_owner", "author": "item_owner",
    "authors": "item_owner", "presenter": "item_owner", "presenters": "item_owner",
    "lead": "item_owner", "champion": "item_owner", "dri": "item_owner",
    "initiative owner": "item_owner", "maintainer": "item_owner", "assignee": "item_owner",
    "liaison": "liaison", "liaisons": "liaison", "team liaison": "liaison",
    "shepherd": "liaison", "shepherds": "liaison",
}  # fmt: skip
MAX_ANCHORS = 12
# Words in a title's parentheses that are not people: "RFC 2229 (proposed)".
STATUS_WORDS = frozenset(
    "proposed tentative done comment comments reopened dequeued beta alpha stable nightly draft "
    "wip deferred postponed closed merged open updated new old paraphrased informed unstably "
    "carefully big learning aka optional required blocked pending nominated accepted rejected "
    "approved fcp rfc mcp experimental continued cont ongoing future current previous maybe "
    "recorded cancelled canceled rescheduled tbd wg again part update updates notes e.g eg "
    "i.e ie etc see cf some no yes allow pending resolved reminder specifically remove review "
    "question questions tracking stabilization stabilize lint lints".split()
)
# An action item that starts with a verb names its owner elsewhere ("Invite Ryan to ...").
IMPERATIVES = frozenset(
    "invite ask send check ping follow schedule write review update create reach post prepare "
    "draft find contact make add remove fix look talk discuss move close open file set get "
    "confirm share merge publish circle collect organise organize book plan decide".split()
)
# A name starts a word and its words are bounded, so that searching a long line stays linear
# (an unbounded `[\w.-]*` retried at every position of an 8 MB line is quadratic).
WHO = r"(?<![\w@.'’])@?[A-Za-z][\w.'’-]{0,40}\w(?:\s+[A-Z][\w'’-]{1,40}){0,2}"
TITLE_WITH_PEOPLE = re.compile(
    r"^\s*(?:#+\s*|\*\*|__)(?P<item>[^()]{3,}?)\s*\((?P<who>[^()]{2,60})\)\s*(?:\*\*|__)?\s*$"
)
# The verbs in any case, the name as written (`[A-Z]` starts its second and third words).
BY_PHRASE = re.compile(
    r"\b(?i:presented|proposed|nominated|authored|prepared|raised|written|drafted|led|owned|"
    rf"championed|suggested)\s+(?i:by)\s+(?P<who>{WHO})"
)
OWNER_INLINE = re.compile(
    r"\((?:owner|owners|lead|dri|author|presenter)\s*:\s*(?P<who>[^)]{2,60})\)", re.I
)
# "for Argo CD ask Tomás Silva", "contact Jonas Becker": the line names who to go to.
ASK_PHRASE = re.compile(
    rf"\b(?i:ask|contact|ping|reach out to|talk to|speak to)\s+(?P<who>{WHO})"
)
# What comes before "ask X" when it is someone's task rather than advice to the reader.
ASSIGNED = re.compile(r"\b(?:to|will|should|would|could|can|shall|must|'ll)\s+$", re.I)
CLAUSE_START = re.compile(r"(?:^|[,;:(])\s*$")
# "spastorino as owner", "tmandry will be owner", "pnkfelix willing to serve as liaison".
AS_ROLE = re.compile(
    rf"(?P<who>{WHO})\s+(?i:(?:(?:is\s+|was\s+)?(?:willing|volunteered|volunteers|agreed|"
    r"agrees|offered|offers|happy|glad)\s+to\s+(?:serve\s+|act\s+)?)?"
    r"(?:as|is|will be|to be|would be|be)\s+(?:the\s+|a\s+)?"
    r"(?P<role>owner|liaison|shepherd|lead|champion))\b"
)
BODY_LABEL = re.compile(
    r"^\s*(?:[-*+]\s*)?\**(?P<label>initiative owner|team liaison|liaisons?|shepherds?|owners?|"
    r"authors?|presenters?|lead|champion|dri|maintainer|assignee)\**\s*:\**\s*(?P<who>.+)$", re.I
)
SUBJECT_VERB = re.compile(
    rf"^(?P<who>{WHO})[,:]?\s+(?:nominated|proposed|volunteers|volunteered|raised|presented|"
    r"will present|seconded|is driving|owns)\b"
)
ACTION_SUBJECT = re.compile(rf"^(?P<who>{WHO})\s+(?:to|will)\s+[a-z]+")
SIGNATURE = re.compile(rf"(?:^|\s)(?:--|—)\s*(?P<who>{WHO})\s*$")
DIALOGUE = re.compile(
    r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?(?P<who>@?[A-Za-z][^:*_\n]{0,38}?)(?:\*\*|__)?\s*:\s+"
    r"(?P<text>\S.*)$"
)
TABLE_ROW = re.compile(r"^\s*\|(.+)\|\s*$")
HANDLE_WITH_DIGITS = re.compile(r"[A-Za-z][A-Za-z_-]{2,}\d{2,}[A-Za-z]*")  # jackh726, Fishrock123
ACTION_PREFIX = re.compile(r"^\s*\**(?:action items?|action|ai|todo)\**\s*:\**\s*", re.I)
# The date an action item was given: "[2021-03-30]: Taylor to write up a summary".
DATED = re.compile(r"^\s*\[?\d{4}[-./]\d{1,2}[-./]\d{1,2}\]?\s*[:–-]?\s*")
LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
URL = re.compile(r"<?https?://\S+>?")


def readable(line: str) -> str:
    """A line with links reduced to their text and bare URLs dropped: where names are read."""
    return URL.sub(" ", LINK.sub(r"\1", line))


def clean_name(text: str) -> str:
    """Strip markup and parenthetical notes from a mention: `**Jane** (Payments)` -> `Jane`."""
    text = re.sub(r"\([^)]*\)", "", text)
    text = re.sub(r"[*_`]", "", text).strip(" .;:-–")
    return " ".join(text.split())


def plausible(name: str) -> bool:
    """A mention that could be a person: short, not a common word, not a sentence; digits
    only in a one-word handle with three letters or more (`jackh726`, not `v1.2` or `Q3 plan`)."""
    words = name.split()
    local = name.split("@")[0] if not name.startswith("@") else name[1:]
    digits = any(ch.isdigit() for ch in local)
    handle_with_digits = (
        len(words) == 1 and local[:1].isalpha() and sum(ch.isalpha() for ch in local) >= 3
    )
    return (
        0 < len(words) <= 4
        and len(name) <= 60
        and name.lower() not in NOT_NAMES
        and (not digits or handle_with_digits)
    )


def without_notes(value: object) -> object:
    """Drop parenthetical notes before splitting: `Kwame (support lead, x@y)` -> `Kwame`."""
    return re.sub(r"\([^)]*\)", "", value) if isinstance(value, str) else value


def name_form(part: str) -> bool:
    """Whether one item of a list is written as someone: an e-mail address, a handle or single
    name (`scottmcm`, `@bstone`, `Priya`), or two to four capitalised words ("Tomás Silva",
    "Ludwig van Beethoven"); not words of a sentence ("coordinates the rollout")."""
    if EMAIL.fullmatch(part) or HANDLE.fullmatch(part):
        return True
    words = part.split()
    return (
        1 < len(words) <= 4
        and words[0].lower() not in NOT_NAMES
        and all(NAME_WORD.fullmatch(w) for w in words)
        and words[0][0].isupper()
        and words[-1][0].isupper()
        and all(w[0].isupper() or w in PARTICLES for w in words)
    )


def reads_as_names(value: str) -> bool:
    """Whether a label's value lists people ("Jane Doe, @bob and carla@corp.example",
    "Amara Okafor (AO)", "scottmcm") rather than saying something ("coordinates the rollout
    with the depots", "the team will meet again next week"): every item of it is a name."""
    value = SENTENCE_END.split(readable(value), maxsplit=1)[0]
    value = BRACKETED_EMAIL.sub(" ", str(without_notes(value)))
    parts = [p for p in (clean_name(p) for p in NAME_SEPARATORS.split(value)) if p]
    return bool(parts) and all(name_form(p) for p in parts)


def split_names(value: str) -> list[str]:
    """`Jane, Bob and Carla` -> three names; a sentence after them is not one of them
    ("Owner: Dmitri Volkov (Platform). Contributors: Mei Lin" names the owner only)."""
    value = SENTENCE_END.split(value, maxsplit=1)[0]
    return [n for n in (clean_name(p) for p in as_list(without_notes(value))) if plausible(n)]


def mentions_from_meta(meta: dict[str, object]) -> list[tuple[str, str, str]]:
    """People named in metadata, as (role, mention, detail)."""
    out: list[tuple[str, str, str]] = []
    for key, role in META_ROLES.items():
        for name in as_list(without_notes(meta.get(key))):
            name = clean_name(name)
            if plausible(name) or "@" in name:
                out.append((role, name, ""))
    return out


def action_owner(item: str) -> str | None:
    """Who an action item is assigned to, if it says ("Invite Ryan to present" names the
    person invited, not the owner)."""
    item = DATED.sub("", ACTION_PREFIX.sub("", item))
    for pattern in ACTION_PATTERNS:
        match = pattern.search(item)
        if match:
            who = clean_name(match.group("who"))
            # "Allow: helps you retain ...", "Reason to do so: ..." are not assignments.
            if (plausible(who) and who.split()[0].lower() not in IMPERATIVES
                    and who.lower() not in NOT_SPEAKERS | STATUS_WORDS | NOT_PEOPLE):  # fmt: skip
                return who
    return None


def anchor(line: str) -> str:
    """A line as expert ranking looks for it in a passage (`schema.anchor_text`), cut short."""
    return anchor_text(line)[:120]


def person_like(who: str, roster: set[str], capitalised: bool = True) -> bool:
    """Whether a word in a sentence is someone: a name the roster knows, a handle (`@x`,
    `jackh726`, `mark-simulacrum`), or (`capitalised`) a capitalised name — not "someone",
    "the team" or "(e.g., ...)"."""
    who = who.strip()
    lowered = who.lower()
    if not who or not plausible(who) or lowered in NOT_PEOPLE or lowered in STATUS_WORDS:
        return False
    if lowered in roster:
        return True
    if who.startswith("@"):
        return True
    if " " not in who and sum(c.isalpha() for c in who) >= 3 and (
        re.search(r"[\d_-]", who) or re.search(r"[a-z][A-Z]", who)  # jackh726, RalfJ
    ):
        return "." not in who
    words = who.split()
    # A lone capitalised word ("Pending") is a name only where the place says so; two or
    # three ("Ryan Levick") read as one anywhere.
    return (capitalised or len(words) > 1) and all(
        w[:1].isupper() and w[1:2].islower() for w in words
    ) and not (words[0].lower() in IMPERATIVES or any(w.lower() in NOT_SPEAKERS for w in words))


def _split_people(
    value: str, roster: set[str], labelled: bool = False, free: bool = False
) -> list[str]:
    """The people in a list of names. `labelled`: the place says these are people (an Owner
    column, "(owner: ...)", a title's parentheses), so a bare handle (`qmx`) counts too,
    though a status word ("(proposed)") still does not. `free`: running text ("proposed by
    ..."), where a capitalised word is a person only if the roster knows it."""
    names = re.split(r"\s*(?:,|/|&|;|\band\b)\s*", str(without_notes(value)))
    out = []
    for name in (clean_name(v) for v in names):
        if name.lower() in STATUS_WORDS:
            continue
        if person_like(name, roster, capitalised=not free) or (
            labelled and plausible(name) and " " not in name and name.lower() not in NOT_PEOPLE
            and name.lower() not in STATUS_WORDS and name[:1].isalpha()
        ):
            out.append(name)
    return out


def _table_roles(lines: list[str], roster: set[str]) -> list[tuple[str, str, str]]:
    """Owners and liaisons from a table's columns, each scoped to its row."""
    out: list[tuple[str, str, str]] = []
    header: list[str] | None = None
    for line in lines:
        row = TABLE_ROW.match(line)
        if row is None:
            header = None
            continue
        cells = [c.strip() for c in row.group(1).split("|")]
        if header is None:
            header = [c.lower().strip("* ") for c in cells]
            continue
        if all(set(c) <= set("-: ") for c in cells):
            continue
        for column, title in enumerate(header):
            role = ITEM_ROLES.get(title)
            if role and column < len(cells) and column > 0:
                out += [(role, n, anchor(line))
                        for n in _split_people(readable(cells[column]), roster, labelled=True)]
    return out


def _line_roles(line: str, roster: set[str], signed: bool = False) -> list[tuple[str, str]]:
    """(role, name) pairs a line of notes gives for the item it belongs to; `signed`: a
    closing "--name" signs the text (in a document's opening, where it signs the whole)."""
    out: list[tuple[str, str]] = []
    line = readable(line)
    item = BULLET.sub("", line).strip()
    title = TITLE_WITH_PEOPLE.match(line)
    if title:
        out += [("item_owner", n) for n in _split_people(title.group("who"), roster, True)]
    label = BODY_LABEL.match(line)
    if label and reads_as_names(label.group("who")):
        role = ITEM_ROLES.get(label.group("label").lower(), "item_owner")
        out += [(role, n) for n in _split_people(label.group("who"), roster, True)]
    for match in BY_PHRASE.finditer(line):
        out += [("item_owner", n) for n in _split_people(match.group("who"), roster, free=True)]
    for match in OWNER_INLINE.finditer(line):
        out += [("item_owner", n) for n in _split_people(match.group("who"), roster, True)]
    for match in ASK_PHRASE.finditer(line):
        if ASSIGNED.search(line[: match.start()]):
            continue  # "Josh to reach out to Amanieu": Josh's task, not Amanieu's topic
        out += [("item_owner", n) for n in _split_people(match.group("who"), roster, free=True)]
    for match in AS_ROLE.finditer(item):
        role = ITEM_ROLES.get(match.group("role").lower(), "item_owner")
        # The role word says a person stands there: a bare handle opening a clause counts
        # ("Plan: x as the liaison, spastorino as owner"; not "who is meant to be a liaison"),
        # anything else only as a name the roster knows or a handle-shaped word.
        who = match.group("who")
        bare = who.islower() and CLAUSE_START.search(item[: match.start("who")]) is not None
        out += [(role, n) for n in _split_people(who, roster, labelled=bare, free=not bare)]
    for pattern in (SUBJECT_VERB, SIGNATURE) if signed else (SUBJECT_VERB,):
        match = pattern.search(item)
        if match and person_like(clean_name(match.group("who")), roster, capitalised=False):
            out.append(("item_owner", clean_name(match.group("who"))))
    return out


def mentions_from_text(
    doc: ParsedDocument, roster: set[str] | frozenset[str] = frozenset()
) -> list[tuple[str, str, str]]:
    """People named in notes: attendee lists, facilitator lines, action items, and the owners,
    shepherds and liaisons of agenda items (scoped to their lines, see `anchor`).

    Args:
        doc: the parsed document.
        roster: lower-cased names its folder and metadata use for people.
    """
    out: list[tuple[str, str, str]] = []
    first = True
    for block in doc.blocks:
        if block.speaker is not None:
            continue
        heading = block.heading_path[-1] if block.heading_path else ""
        in_people = bool(PEOPLE_HEADINGS.match(heading.strip()))
        in_actions = bool(ACTION_HEADINGS.search(heading))
        in_contacts = bool(CONTACT_HEADINGS.match(heading.strip()))
        # The heading itself: "### inline assembly (Amanieu, Josh)".
        if heading:
            title = TITLE_WITH_PEOPLE.match("# " + readable(heading))
            if title:
                out += [("item_owner", n, anchor(heading))
                        for n in _split_people(title.group("who"), roster, True)]  # fmt: skip
        lines = block.text.splitlines()
        out += _table_roles(lines, roster)
        listing = False  # under an "Attendance:" line, while its lines are lists of names
        for line in lines:
            if PEOPLE_LABEL.match(line):
                listing = True
                continue
            label = LABEL_LINE.match(line)
            item = BULLET.sub("", line).strip()
            if label:
                # A sentence after the label ("Owner: coordinates the rollout") names nobody.
                value = label.group("value")
                names = split_names(value) if reads_as_names(value) else []
                role = META_ROLES.get(label.group("label").lower().replace(" ", "_"), "attendee")
                if first or in_people or role in ("attendee", "facilitator"):
                    out.extend((role, n, "") for n in names)
                else:  # "Owner: Felix" under one agenda item owns that item, not the notes
                    out.extend(("item_owner", n, anchor(line)) for n in names)
                continue
            is_bullet = bool(BULLET.match(line))
            if (in_people or listing) and item:
                # "* Team: Niko, Josh", "Other attendees: Mark, the8472", "Jane Doe (PM)"
                value = item.split(":", 1)[1] if ":" in item else item
                if reads_as_names(value):
                    out.extend(("attendee", n, "") for n in split_names(value))
                    continue
                listing = False
            topic = TOPIC_LINE.match(readable(item)) if in_contacts and is_bullet else None
            if topic:  # "- Ledger and reconciliation: Sofia Marchetti (@smarchetti)"
                out.extend(("item_owner", n, anchor(line))
                           for n in _split_people(topic.group("who"), roster, labelled=True))
                continue
            if in_people and is_bullet:
                continue  # a line of the list that names nobody
            if (in_actions and is_bullet) or re.search(r"\bACTION\b", line):
                who = action_owner(item)
                if who:
                    out.append(("action_owner", who, anchor_text(item)[:200]))
                    continue
            subject = ACTION_SUBJECT.match(DATED.sub("", ACTION_PREFIX.sub("", item)))
            if subject and clean_name(subject.group("who")).lower() in roster:
                out.append(("action_owner", clean_name(subject.group("who")),
                            anchor_text(item)[:200]))
            out += [(role, name, anchor(line))
                    for role, name in _line_roles(line, roster, signed=first)]  # fmt: skip
        first = False
    return out


def dialogue_speakers(
    doc: ParsedDocument,
    roster: set[str] | frozenset[str] = frozenset(),
    knows: Callable[[str], bool] | None = None,
) -> dict[str, float]:
    """Who speaks in notes (`nikomatsakis: I think ...`, `* **Josh**: agreed`), with each one's
    share of the words spoken. A label counts when the roster knows it, when `knows` says it
    stands for someone known (`AP` for Ana Pereira), or when it labels two lines or more and
    is a full name or an @handle; "Link:", "Conclusion:" never do."""
    words: Counter[str] = Counter()
    lines: Counter[str] = Counter()
    for block in doc.blocks:
        if block.speaker is not None:
            return {}  # a transcript: its speakers are its turns
        for line in block.text.splitlines():
            match = DIALOGUE.match(readable(line))
            if not match:
                continue
            who = clean_name(match.group("who"))
            if who.lower() in NOT_SPEAKERS or not plausible(who) or len(who.split()) > 3:
                continue
            words[who] += len(match.group("text").split())
            lines[who] += 1
    # Outside the roster only an @handle, a handle with digits saying sentences (`jackh726:
    # it could take a year`, not `sha256: 9f2c`) or a full name speaks: "Optional:" or
    # "Follow-up:" twice is not one.
    kept = {w: n for w, n in words.items()
            if w.lower() in roster or (knows is not None and knows(w))
            or (lines[w] >= 2 and (w.startswith("@") or (
                HANDLE_WITH_DIGITS.fullmatch(w) and n >= 4 * lines[w]) or (
                len(w.split()) in (2, 3) and person_like(w, set()))))}  # fmt: skip
    total = sum(kept.values())
    return {w: n / total for w, n in kept.items()} if total else {}


def named_in_text(doc: ParsedDocument, names: set[str]) -> list[tuple[str, str, str]]:
    """People named in a line of the notes (outside attendee lists), one mention each with
    the lines as anchors. A capitalised name must be written capitalised ("Mark", not "mark
    as accepted"); a handle (`nikomatsakis`) matches in any case."""
    spellings: dict[str, str] = {}
    for name in names:
        if len(name) >= 3 and name.lower() not in NOT_PEOPLE | NOT_SPEAKERS:
            key = name.lower()
            if key not in spellings or spellings[key].islower():
                spellings[key] = name
    if not spellings:
        return []
    # A full name may follow a lowercase letter with no space: a PDF table's cells run
    # together ("move to per-service keysMei Lin").
    pattern = re.compile(r"(?:(?<![\w@-])|(?<=[a-z]))@?(" + "|".join(
        re.escape(n) for n in sorted(spellings, key=len, reverse=True)) + r")(?![\w-])", re.I)
    anchors: dict[str, list[str]] = {}
    for block in doc.blocks:
        heading = block.heading_path[-1] if block.heading_path else ""
        if block.speaker is not None or PEOPLE_HEADINGS.match(heading.strip()):
            continue
        for line in block.text.splitlines():
            if LABEL_LINE.match(line):
                continue
            text = readable(line)
            own = DIALOGUE.match(text)
            speaker = clean_name(own.group("who")).lower() if own else ""
            for match in pattern.finditer(text):
                key = match.group(1).lower()
                if key == speaker.lstrip("@"):
                    continue  # their own line: what they said counts as said
                if not spellings[key].islower() and not match.group(1)[:1].isupper():
                    continue
                glued = match.start() > 0 and text[match.start() - 1].isalnum()
                if glued and not (" " in key and match.group(1)[:1].isupper()):
                    continue  # "Jimmy" is not Jim; only a whole full name may be glued on
                line_anchor = anchor(line)
                kept = anchors.setdefault(key, [])
                if line_anchor and line_anchor not in kept and len(kept) < MAX_ANCHORS:
                    kept.append(line_anchor)
    return [("mentioned", spellings[k], "\n".join(v)) for k, v in anchors.items() if v]


def speaker_shares(doc: ParsedDocument) -> dict[str, float]:
    """Each speaker's share of the words of a transcript."""
    words: Counter[str] = Counter()
    for block in doc.blocks:
        if block.speaker:
            words[block.speaker] += len(block.text.split())
    total = sum(words.values())
    return {speaker: count / total for speaker, count in words.items()} if total else {}


def extract_mentions(
    doc: ParsedDocument,
    roster: set[str] | frozenset[str] = frozenset(),
    knows: Callable[[str], bool] | None = None,
) -> list[tuple[str, str, str]]:
    """Every person a parsed document names, with their role and a detail, deduplicated.

    Args:
        doc: the parsed document.
        roster: names (any case) its folder uses for people; with one, speakers in notes
            are recognised from a single line and people named in the text are found.
        knows: whether a short name stands for someone the folder knows (its roster's
            `expand`); the document's own attendee list and declared aliases are used too.
    """
    known = {n.lower() for n in roster}
    mentions = list(doc.people) + mentions_from_meta(doc.meta)
    known |= {name.lower() for _, name, _ in mentions}
    # An item's owner read from running text ("written by Hall Of Fame guitarist ...", a
    # title's "(Australia)") may be an organisation or a place; attendee and label lines say
    # they list people, and a name the folder or the metadata knows is someone.
    mentions += [m for m in mentions_from_text(doc, known)
                 if m[0] not in ("item_owner", "liaison") or m[1].lower() in known
                 or not not_a_person(m[1])]  # fmt: skip
    text = "\n".join(block.text for block in doc.blocks)
    own = Roster([name for _, name, _ in mentions], declared_aliases(text))

    def stands_for_someone(label: str) -> bool:
        return bool(own.expand(label)) or (knows is not None and knows(label))

    shares = speaker_shares(doc) or dialogue_speakers(doc, known, stands_for_someone)
    for speaker, share in shares.items():
        mentions.append(("speaker", speaker, f"{share:.4f}"))
    if roster:
        mentions += named_in_text(doc, set(roster) | {name for _, name, _ in mentions})
    return list(dict.fromkeys(mentions))
