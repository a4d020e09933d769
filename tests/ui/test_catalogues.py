"""The UI's catalogues: every message in every language, with the same fields, and every
message the UI asks for is in them."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from kenning.ui.catalogues import CATALOGUES, DEFAULT, EN, tr, trn

UI = Path(__file__).parents[2] / "ui"
# Functions that take a catalogue key as their first argument.
LOOKUPS = {"tr", "trn", "label", "tr_or"}


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", sorted(CATALOGUES))
def test_every_key_has_every_language(lang: str) -> None:
    catalogue = CATALOGUES[lang]
    assert set(catalogue) == set(EN), (f"{lang} lacks {set(EN) - set(catalogue)}, "
                                       f"has extra {set(catalogue) - set(EN)}")  # fmt: skip
    for key, text in catalogue.items():
        assert isinstance(text, str) and text.strip(), f"{lang}:{key} is empty"
        assert fields(text) == fields(EN[key]), f"{lang}:{key} has other fields than English"


def test_plural_keys_come_in_pairs() -> None:
    for key in EN:
        stem, _, form = key.rpartition("_")
        if form in ("one", "other"):
            assert f"{stem}_one" in EN and f"{stem}_other" in EN, key


def test_every_key_the_ui_names_is_in_the_catalogues() -> None:
    named: set[str] = set()
    for path in UI.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in LOOKUPS and node.args
                    and isinstance(node.args[0], ast.Constant)):  # fmt: skip
                named.add(node.args[0].value)
    missing = {key for key in named if key not in EN and f"{key}_one" not in EN}
    assert not missing, missing
    assert {"tab_ask", "who_to_ask", "level_possible"} <= named | set(EN)


def test_plurals_follow_each_language() -> None:
    assert trn("count_documents", 1) == "1 document"
    assert trn("count_documents", 0) == "0 documents"
    assert trn("count_documents", 0, "fr") == "0 document"
    assert trn("status_count_added", 2, "fr") == "2 ajoutés"
    assert tr("tab_library", "fr") == "Bibliothèque" and tr("tab_library", DEFAULT) == "Library"
