"""Does a retrieved passage hold a piece of gold evidence?

A passage matches an evidence span when its source is the span's source and, when the span
quotes text, the passage contains that text whole (up to 80 characters) or an 80-character
run of it; when the span gives a time range, the passage's range overlaps it. A span with a
source only is matched by any passage of that source (document-level relevance, as in BEIR).
This is the test `eval/qmsum.py` used for QMSum's gold turns, now applied to every data set.
"""

from __future__ import annotations

from pathlib import PurePath

from kenning.eval.golden import EvidenceSpan

RUN = 80  # characters of a long quoted text that must appear in a passage


def normalise(text: str) -> str:
    """Lower-case, single-spaced text for containment tests."""
    return " ".join(text.lower().split())


def same_source(passage_source: str, evidence_source: str) -> bool:
    """True when the passage comes from the evidence's source (a path relative to the corpus,
    a path suffix, or the same URL/path)."""
    if passage_source == evidence_source:
        return True
    passage = PurePath(passage_source.replace("\\", "/")).parts
    wanted = PurePath(evidence_source.replace("\\", "/").lstrip("./")).parts
    return bool(wanted) and passage[-len(wanted) :] == wanted


def contains_text(passage_text: str, quoted: str) -> bool:
    """True when the passage holds the quoted text, or an 80-character run of it."""
    text = normalise(passage_text)
    quote = normalise(quoted)
    if len(quote) <= RUN:
        return quote in text
    return any(quote[i : i + RUN] in text for i in range(0, len(quote) - RUN + 1, RUN // 2))


def matches(
    source: str, text: str, start: float | None, end: float | None, span: EvidenceSpan
) -> bool:
    """True when a passage (source, text, time range) holds the evidence span."""
    if not same_source(source, span.source):
        return False
    if span.text is not None:
        return contains_text(text, span.text)
    if span.start is not None and span.end is not None:
        if start is None or end is None:
            return False
        return start < span.end and span.start < end
    return True
