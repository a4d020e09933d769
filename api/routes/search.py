"""`POST /v1/search` and `GET /v1/experts`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from kenning.api.deps import ServiceDep
from kenning.api.models import MAX_K, SearchRequest
from kenning.schema import Filters

router = APIRouter(prefix="/v1", tags=["search"])


@router.post("/search")
def search(body: SearchRequest, service: ServiceDep) -> dict[str, object]:
    """The best passages for a query, among the documents the caller may read."""
    retrieval = service.retrieve(body.query, k=body.k, filters=Filters.from_dict(body.filters))
    return {"hits": [hit.to_dict() for hit in retrieval.hits]}


@router.get("/experts")
def experts(
    service: ServiceDep,
    topic: Annotated[str, Query(min_length=1)],
    k: Annotated[int, Query(ge=1, le=MAX_K)] = 5,
) -> dict[str, object]:
    """The people most likely to know about a topic, with reasons and evidence."""
    return {"experts": [e.to_dict() for e in service.experts(topic, k)]}
