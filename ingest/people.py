"""People mentioned by a document and their roles: metadata, meeting notes, transcripts."""

from __future__ import annotations

import re
from collections import Counter

from kenning.ingest.frontmatter import as_list
from kenning.schema import ParsedDocument

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
PEOPLE_HEADINGS = re.compile(r"^(attendees|attendance|participants|present|who was there)$", re.I)
ACTION_HEADINGS = re.compile(r"action|next step|follow.?up|to.?do", re.I)
BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s*)?")
NAME = r"[A-Z][\w'’.-]+(?: [A-Z][\w'’.-]+){0,2}"
ACTION_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"^@(?P<who>[\w.-]+)\b"),
    re.compile(r"^\**(?P<who>" + NAME + r")\**\s*(?::|[-–]|will|to)\s", re.U),
    re.compile(r"\bACTION\s*\((?P<who>[^)]+)\)", re.I),
    re.compile(r"\bACTION\s*:\s*(?P<who>" + NAME + r")\s+(?:to|will)\b"),
    re.compile(r"\((?:owner|assignee|who)\s*:\s*(?P<who>[^)]+)\)", re.I),
)
NOT_NAMES = frozenset({"we", "team", "all", "everyone", "tbd", "none", "n/a", "action", "todo",
                       "decision", "done", "the", "follow", "next"})


def clean_name(text: str) -> str:
    """Strip markup and parenthetical notes from a mention: `**Jane** (Payments)` -> `Jane`."""
    text = re.sub(r"\([^)]*\)", "", text)
    text = re.sub(r"[*_`]", "", text).strip(" .;:-–")
    return " ".join(text.split())


def plausible(name: str) -> bool:
    """A mention that could be a person: short, not a common word, not a sentence."""
    words = name.split()
    return (
        0 < len(words) <= 4
        and len(name) <= 60
        and name.lower() not in NOT_NAMES
        and not any(ch.isdigit() for ch in name.split("@")[0])
    )


def without_notes(value: object) -> object:
    """Drop parenthetical notes before splitting: `Kwame (support lead, x@y)` -> `Kwame`."""
    return re.sub(r"\([^)]*\)", "", value) if isinstance(value, str) else value


def split_names(value: str) -> list[str]:
    """`Jane, Bob and Carla` -> three names."""
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
    """Who an action item is assigned to, if it says."""
    for pattern in ACTION_PATTERNS:
        match = pattern.search(item)
        if match:
            who = clean_name(match.group("who"))
            if plausible(who):
                return who
    return None


def mentions_from_text(doc: ParsedDocument) -> list[tuple[str, str, str]]:
    """People named in notes: attendee lists, facilitator lines, action items."""
    out: list[tuple[str, str, str]] = []
    for block in doc.blocks:
        if block.speaker is not None:
            continue
        heading = block.heading_path[-1] if block.heading_path else ""
        in_people = bool(PEOPLE_HEADINGS.match(heading.strip()))
        in_actions = bool(ACTION_HEADINGS.search(heading))
        for line in block.text.splitlines():
            label = LABEL_LINE.match(line)
            if label:
                role = META_ROLES.get(label.group("label").lower().replace(" ", "_"), "attendee")
                out.extend((role, n, "") for n in split_names(label.group("value")))
                continue
            is_bullet = bool(BULLET.match(line))
            item = BULLET.sub("", line).strip()
            if in_people and is_bullet:
                value = item.split(":", 1)[1] if ":" in item else item
                out.extend(("attendee", n, "") for n in split_names(value))
            elif (in_actions and is_bullet) or re.search(r"\bACTION\b", line):
                who = action_owner(item)
                if who:
                    out.append(("action_owner", who, item[:200]))
    return out


def speaker_shares(doc: ParsedDocument) -> dict[str, float]:
    """Each speaker's share of the words of a transcript."""
    words: Counter[str] = Counter()
    for block in doc.blocks:
        if block.speaker:
            words[block.speaker] += len(block.text.split())
    total = sum(words.values())
    return {speaker: count / total for speaker, count in words.items()} if total else {}


def extract_mentions(doc: ParsedDocument) -> list[tuple[str, str, str]]:
    """Every person a parsed document names, with their role and a detail, deduplicated."""
    mentions = list(doc.people) + mentions_from_meta(doc.meta) + mentions_from_text(doc)
    for speaker, share in speaker_shares(doc).items():
        mentions.append(("speaker", speaker, f"{share:.4f}"))
    return list(dict.fromkeys(mentions))
