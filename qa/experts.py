"""Who knows: people ranked by the relevance of retrieved passages times their role on them.

The "document model" of expertise retrieval (Balog et al. 2006) and Macdonald & Ounis' voting
model: each retrieved chunk votes for the people behind it, with the chunk's relevance times
the weight of the person's role (owner, author, speaker's share of the chunk's words, ...).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from kenning.index.retriever import Retrieval
from kenning.index.store import Store
from kenning.schema import Expert, ExpertEvidence, Hit

SPEAKER_LINE = re.compile(r"^(?P<speaker>[^:\n]{1,60}):\s+(?P<text>.+)$", re.M)
NAMED_IN_QUESTION_BOOST = 1.5
ROLE_PHRASES: dict[str, str] = {
    "owner": "owner of",
    "author": "author of",
    "reviewer": "reviewer of",
    "presenter": "presented",
    "facilitator": "facilitated",
    "action_owner": "has an action item in",
    "attendee": "attended",
}


@dataclass
class _Tally:
    name: str
    score: float = 0.0
    named: bool = False
    # (document_id, role) -> (contribution, reason)
    items: dict[tuple[str, str], tuple[float, str, str]] = field(default_factory=dict)


def topics_of(evidence: list[dict]) -> Counter[str]:
    """A person's topics: each tag counted once per document they have a role on."""
    pairs = {(tag.lower(), item["document_id"]) for item in evidence for tag in item["tags"]}
    return Counter(tag for tag, _ in pairs)


def speaker_shares(text: str) -> dict[str, float]:
    """Each speaker's share of the words of a transcript chunk (`Speaker: text` lines)."""
    words: dict[str, int] = defaultdict(int)
    for match in SPEAKER_LINE.finditer(text):
        words[match.group("speaker").strip()] += len(match.group("text").split())
    total = sum(words.values())
    return {s: n / total for s, n in words.items()} if total else {}


def _relevances(hits: list[Hit]) -> list[float]:
    """Each hit's relevance: 1/rank. Fused scores are too flat to tell the best passage from
    the fifth, and a person's role on a weakly related document must not outweigh speaking
    most of the best passage."""
    return [1.0 / (i + 1) for i in range(len(hits))]


def _format_time(seconds: float | None) -> str:
    if seconds is None:
        return ""
    total = int(seconds)
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def rank_experts(retrieval: Retrieval, store: Store, k: int = 5) -> list[Expert]:
    """The people most likely to know about what was retrieved, with reasons and evidence."""
    hits = retrieval.hits
    evidence = store.evidence_of(list(dict.fromkeys(h.document_id for h in hits)))
    by_document: dict[str, list[dict]] = defaultdict(list)
    for row in evidence:
        by_document[row["document_id"]].append(row)
    tallies: dict[str, _Tally] = {}
    for hit, relevance in zip(hits, _relevances(hits), strict=True):
        shares = speaker_shares(hit.text) if hit.kind == "transcript" else {}
        for row in by_document[hit.document_id]:
            role = row["role"]
            if role == "speaker":
                share = shares.get(row["mention"], 0.0)
                if share == 0.0:
                    continue
                # The speaker "wrote" their share of the passage's words.
                contribution = relevance * share
                when = _format_time(hit.start)
                reason = (
                    f"spoke {share:.0%} of the passage of “{hit.title}”"
                    + (f" at {when}" if when else "")
                )
            else:
                contribution = relevance * row["weight"]
                reason = f"{ROLE_PHRASES.get(role, role)} “{hit.title}”"
                if role == "action_owner" and row["detail"]:
                    reason += f" ({row['detail'][:80]})"
                elif row["detail"] and role in ("owner", "author"):
                    reason += f" ({row['detail']})"
            tally = tallies.setdefault(row["person_id"], _Tally(row["name"]))
            tally.score += contribution
            key = (hit.document_id, role)
            previous = tally.items.get(key)
            total = contribution + (previous[0] if previous else 0.0)
            tally.items[key] = (total, reason, hit.title)
    for person_id in retrieval.people:
        if person_id in tallies:
            tallies[person_id].score *= NAMED_IN_QUESTION_BOOST
            tallies[person_id].named = True
    ranked = sorted(tallies.items(), key=lambda kv: (-kv[1].score, kv[1].name))[:k]
    experts: list[Expert] = []
    for person_id, tally in ranked:
        items = sorted(tally.items.items(), key=lambda kv: -kv[1][0])
        reasons = [reason for _, (_, reason, _) in items[:3]]
        if tally.named:
            reasons.insert(0, "named in the question")
        experts.append(
            Expert(
                person_id=person_id,
                name=tally.name,
                score=round(tally.score, 4),
                reasons=reasons,
                evidence=[
                    ExpertEvidence(document_id=doc, title=title, role=role)
                    for (doc, role), (_, _, title) in items[:5]
                ],
            )
        )
    return experts
