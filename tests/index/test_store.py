"""The SQLite store's pure parts: FTS query escaping, filters, fusion."""

from __future__ import annotations

import pytest

from kenning.index.hybrid import FusionMethod, fuse
from kenning.index.store import escape_fts_query


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("How do we fail over the database?", '"fail" OR "over" OR "database"'),
        ('"quoted" NEAR(a b) col:x*', '"quoted" OR "near" OR "b" OR "col" OR "x"'),
        ("what is it", '"what" OR "is" OR "it"'),  # only stopwords: keep them
        ("", ""),
        ("Café résumé", '"café" OR "résumé"'),
    ],
)
def test_escape_fts_query(text: str, expected: str) -> None:
    assert escape_fts_query(text) == expected


def test_fts_syntax_in_user_text_is_harmless(good_kb) -> None:
    kb, _ = good_kb
    for query in ['"unbalanced', "AND OR NOT", "col:*", "a) OR (b", "NEAR("]:
        kb.search(query, k=3)  # must not raise


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
