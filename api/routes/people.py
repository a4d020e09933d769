"""`GET /v1/people` and `GET /v1/people/{id}`: the directory and each person's knowledge."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kenning.api.deps import ServiceDep
from kenning.qa.experts import topics_of
from kenning.schema import OWNED_ROLES

router = APIRouter(prefix="/v1/people", tags=["people"])


@router.get("")
def list_people(
    service: ServiceDep,
    topic: Annotated[str | None, Query()] = None,
) -> dict[str, object]:
    """Everyone with evidence; with `topic`, ranked by expertise on it."""
    if topic:
        return {"people": [e.to_dict() for e in service.experts(topic, k=50)]}
    return {"people": service.reader.people()}


@router.get("/{person_id}")
def person(person_id: str, service: ServiceDep) -> dict[str, object]:
    """A person: documents owned or written, meetings spoken in, top topics (all readable)."""
    found = service.reader.person(person_id)
    evidence = found["evidence"]
    owned = [e for e in evidence if e["role"] in OWNED_ROLES]
    spoken = [e for e in evidence if e["role"] in ("speaker", "presenter", "facilitator",
                                                   "attendee", "action_owner")]  # fmt: skip
    topics = topics_of(evidence)
    return {
        "id": found["id"],
        "name": found["name"],
        "aliases": found["aliases"],
        "teams": found["teams"],
        "documents": owned,
        "meetings": spoken,
        "topics": [{"topic": t, "documents": n} for t, n in topics.most_common(10)],
    }
