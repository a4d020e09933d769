"""Fusion of ranked lists: reciprocal rank fusion or a weighted sum of normalised scores."""

from __future__ import annotations

from enum import StrEnum


class FusionMethod(StrEnum):
    """How rankings are fused."""

    RRF = "rrf"
    WEIGHTED = "weighted"

    @classmethod
    def from_str(cls, value: str) -> FusionMethod:
        """Parse a method name, listing the valid ones on error."""
        try:
            return cls(value)
        except ValueError:
            valid = ", ".join(m.value for m in cls)
            raise ValueError(f"unknown fusion method {value!r}; valid: {valid}") from None


def fuse(
    rankings: list[list[tuple[int, float]]],
    weights: list[float],
    method: FusionMethod = FusionMethod.RRF,
    k: int = 60,
) -> list[tuple[int, float]]:
    """Fuse ranked (id, score) lists into one, best first.

    Args:
        rankings: each list sorted best first.
        weights: one weight per ranking.
        method: RRF sums weight / (k + rank); WEIGHTED sums weight * min-max-normalised score.
        k: the RRF constant.
    """
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        if not ranking or weight == 0:
            continue
        if method is FusionMethod.RRF:
            for rank, (item, _) in enumerate(ranking, start=1):
                fused[item] = fused.get(item, 0.0) + weight / (k + rank)
        else:
            scores = [s for _, s in ranking]
            low, high = min(scores), max(scores)
            span = (high - low) or 1.0
            for item, score in ranking:
                fused[item] = fused.get(item, 0.0) + weight * (score - low) / span
    return sorted(fused.items(), key=lambda pair: (-pair[1], pair[0]))
