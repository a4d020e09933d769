"""Mojibake repaired at ingest: UTF-8 text that an earlier wrong decoding garbled."""

from __future__ import annotations

import shutil
from pathlib import Path

from ftfy.badness import badness
from support import DATA

from kenning.ingest.parsers import parser_for
from kenning.ingest.parsers.mojibake import repair_mojibake

# An excerpt of a real bilingual text whose accents were garbled: UTF-8 read as ISO-8859-16.
GARBLED = DATA / "mojibake" / "knowledge-sharing-iso8859-16.txt"


def test_iso_8859_16_mojibake_is_repaired_with_fewer_suspicious_sequences_after() -> None:
    text = GARBLED.read_text(encoding="utf-8")
    assert "prĂ©cieux" in text and "maniĂšre" in text
    fixed, note = repair_mojibake(text)
    assert "l'atout le plus précieux" in fixed and "la manière dont" in fixed
    assert "à l'échelle" in fixed and "À l’intérieur" in fixed  # intact characters kept
    assert "Ă" not in fixed
    assert badness(fixed) < badness(text)
    assert note.startswith("repaired mojibake: UTF-8 read as ISO-8859-16")


def test_common_mojibake_is_repaired_and_clean_or_odd_text_left_alone() -> None:
    assert repair_mojibake("Le cafÃ© est prÃªt.") == ("Le café est prêt.",
                                                        "repaired mojibake (ftfy)")  # fmt: skip
    assert repair_mojibake("L'équipe a déjà réglé l'été.") == ("L'équipe a déjà réglé l'été.", "")
    assert repair_mojibake("MĂȘTI, PĂDURE") == ("MĂȘTI, PĂDURE", "")  # Romanian, as written


def test_a_garbled_text_file_is_repaired_and_the_report_says_so(tmp_path: Path) -> None:
    path = tmp_path / "guide.txt"
    shutil.copy(GARBLED, path)
    doc = parser_for(path)(path)
    text = "\n".join(b.text for b in doc.blocks)
    assert "précieux" in text and "prĂ©cieux" not in text
    assert doc.meta["_note"].startswith("repaired mojibake")
