"""Which kind a document is: document, meeting, transcript or retrospective."""

from __future__ import annotations

import re
from pathlib import PurePath

from kenning.schema import KINDS, ParsedDocument

KIND_SYNONYMS: dict[str, str] = {
    "document": "document", "doc": "document", "policy": "document", "howto": "document",
    "how-to": "document", "runbook": "document", "guide": "document", "proposal": "document",
    "meeting": "meeting", "meetings": "meeting", "notes": "meeting", "meeting-notes": "meeting",
    "meeting_notes": "meeting", "minutes": "meeting",
    "transcript": "transcript", "transcripts": "transcript", "recording": "transcript",
    "recordings": "transcript",
    "retrospective": "retrospective", "retrospectives": "retrospective", "retro": "retrospective",
    "retros": "retrospective", "postmortem": "retrospective", "postmortems": "retrospective",
    "post-mortem": "retrospective", "post-mortems": "retrospective",
    "incident": "retrospective", "incidents": "retrospective",
    "incident-report": "retrospective", "incident-reports": "retrospective",
}  # fmt: skip
FOLDER_KINDS: dict[str, str] = {
    k: v for k, v in KIND_SYNONYMS.items() if v != "document"
} | {"design-meeting-minutes": "meeting"}
RETRO_CUES = re.compile(
    r"what went well|what (?:didn't|did not|could have) go(?:ne)? (?:well|better)|root cause|"
    r"lessons learn|post[- ]?mortem|post[- ]incident|incident (?:review|report)|"
    r"contributing factors|^timeline$|went wrong",
    re.I | re.M,
)
MEETING_CUES = re.compile(
    r"^\W*(?:attendees|attendance|participants|present)\b|^\W*action items?\b|"
    r"^\W*agenda\b|^\W*decisions?\b|^\W*minutes\b",
    re.I | re.M,
)


def normalise_kind(value: object) -> str | None:
    """A kind from a user's word for it (`postmortem` -> `retrospective`), or None."""
    if value is None:
        return None
    return KIND_SYNONYMS.get(str(value).strip().lower())


def detect_kind(doc: ParsedDocument, relative: PurePath, override: str | None = None) -> str:
    """Tell the kind: override, then front matter, then format, folder names and content.

    Raises:
        ValueError: the override is not a kind.
    """
    if override:
        if override not in KINDS:
            raise ValueError(f"unknown kind {override!r}; valid kinds: {', '.join(KINDS)}")
        return override
    for key in ("kind", "type", "category"):
        kind = normalise_kind(doc.meta.get(key))
        if kind:
            return kind
    if doc.kind:  # the parser knows: cue timings, speaker turns
        return doc.kind
    for part in reversed(relative.parts[:-1]):
        kind = FOLDER_KINDS.get(part.lower())
        if kind:
            return kind
    headings = "\n".join(h for b in doc.blocks for h in b.heading_path)
    text = "\n".join(b.text for b in doc.blocks)
    if len(set(RETRO_CUES.findall(headings + "\n" + doc.title))) >= 2 or (
        len({m.lower() for m in RETRO_CUES.findall(text)}) >= 3
    ):
        return "retrospective"
    if len({m.lower() for m in MEETING_CUES.findall(headings + "\n" + text)}) >= 1 and (
        any(role in ("attendee", "action_owner") for role, _, _ in doc.people)
        or re.search(r"^\W*(?:attendees|attendance|participants)\b", headings + "\n" + text,
                     re.I | re.M)
    ):
        return "meeting"
    return "document"
