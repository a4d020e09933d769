"""Fusion of rankings (index/hybrid.py)."""

from __future__ import annotations

import pytest

from kenning.index.hybrid import FusionMethod, fuse


def test_rrf_rewards_agreement() -> None:
    fused = fuse([[(1, 0.9), (2, 0.8)], [(2, 5.0), (3, 4.0)]], [1.0, 1.0], FusionMethod.RRF, 60)
    assert fused[0][0] == 2
    assert {item for item, _ in fused} == {1, 2, 3}


def test_weighted_fusion_normalises_scores() -> None:
    fused = fuse([[(1, 0.9), (2, 0.1)], [(2, 100.0), (1, 0.0)]], [1.0, 2.0], FusionMethod.WEIGHTED)
    assert fused[0][0] == 2


def test_unknown_fusion_method_lists_valid_ones() -> None:
    with pytest.raises(ValueError, match="valid: rrf, weighted"):
        FusionMethod.from_str("borda")
