"""Every parser on a real file of its format: text, structure and metadata survive."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import BAD, GOOD

from kenning.errors import ParseError
from kenning.ingest.parsers import parser_for


def parse(path: Path):
    parser = parser_for(path)
    assert parser is not None, path
    return parser(path)


def block_with(doc, word: str):
    matches = [b for b in doc.blocks if word in b.text.lower()]
    assert matches, f"{word!r} not found in {doc.source}"
    return matches[0]


def test_markdown_front_matter_and_heading_paths() -> None:
    doc = parse(GOOD / "markdown/runbook.md")
    assert doc.title == "Cache flush runbook"
    assert doc.meta["owner"] == "jane.doe@corp.example"
    assert doc.meta["review_by"] == "2025-12-01"
    verify = block_with(doc, "zebrafish")
    assert verify.heading_path == ("Cache flush runbook", "Steps", "Verify")
    assert "zebrafish" not in block_with(doc, "tangerine").text


def test_markdown_header_block() -> None:
    doc = parse(GOOD / "markdown/header_block.md")
    assert doc.title == "Backup policy"
    assert doc.meta["author"] == "Carla Diaz"
    assert doc.meta["owner"] == "@bstone"
    assert block_with(doc, "quokka").heading_path[-1] == "Retention"


def test_markdown_keeps_words_and_numbers_apart_across_no_break_spaces_and_tabs(
    tmp_path: Path,
) -> None:
    """French pages write amounts and some word pairs with no-break spaces; tables pasted
    from a spreadsheet separate their cells with tabs. None of them may glue text together."""
    page = tmp_path / "lep.md"
    page.write_text("# Livret\n\nPlafond de revenus\u00a0: 19\u00a0977\u00a0€ pour 1\u202fpart."
                    "\n\nParts\tPlafond\n", encoding="utf-8")  # fmt: skip
    text = parse(page).blocks[0].text
    assert "19 977 €" in text and "1 part" in text and "Parts Plafond" in text, text


def test_html_headings_and_author_without_script() -> None:
    doc = parse(GOOD / "html/wiki.html")
    assert doc.title == "Deploy pipeline wiki"
    assert ("author", "Bob Stone", "author of the HTML file") in doc.people
    assert block_with(doc, "chinchilla").heading_path[-1] == "Environments"
    assert not any("scriptonlytoken" in b.text for b in doc.blocks)


def test_pdf_pages_and_author() -> None:
    doc = parse(GOOD / "pdf/report.pdf")
    assert doc.title == "Quarterly storage report"
    assert block_with(doc, "aardvark").page == 1
    assert block_with(doc, "platypus").page == 2
    assert doc.people[0][:2] == ("author", "Jane Doe")


def test_pdf_headings_from_font_sizes_and_no_running_lines() -> None:
    # The demo's review: 18 pt title, 14 pt bold section headings, 10 pt text, and a footer
    # ("Larkspur Logistics - ... - INTERNAL", "Page N of 3") on each of its three pages.
    doc = parse(Path(__file__).parents[3] / "demo/docs/security/vendor-security-review-2026.pdf")
    assert doc.title == "Vendor Security Review 2026"
    findings = block_with(doc, "mapforge could not provide a soc 2 type ii report")
    assert (findings.heading_path, findings.page) == (("4. Findings by vendor",), 2)
    assert block_with(doc, "next full vendor review").heading_path == ("7. Next review",)
    text = "\n".join(b.text for b in doc.blocks)
    assert "INTERNAL" not in text and "Page 2 of 3" not in text
    assert "Vendor Security Review 2026" not in {h for b in doc.blocks for h in b.heading_path}
    # Its tables, drawn cell by cell, come back row by row as Markdown tables.
    ratings = block_with(doc, "| mapforge | geocoding and map tiles |")
    assert ratings.heading_path == ("3. Summary of ratings",)
    assert ratings.text.splitlines()[:3] == [
        "| Vendor | Service | Data processed | Rating |", "|---|---|---|---|",
        "| Novapay | Card processing | Payment data | Low |"]
    # A two-page PDF keeps every line: nothing repeats on enough pages to be a running one.
    assert block_with(parse(GOOD / "pdf/report.pdf"), "platypus").page == 2


def test_docx_headings_and_author() -> None:
    doc = parse(GOOD / "docx/design.docx")
    assert doc.title == "Queue redesign"
    assert block_with(doc, "narwhal").heading_path[-1] == "Motivation"
    assert block_with(doc, "axolotl").heading_path[-1] == "Proposal"
    assert doc.people[0][:2] == ("author", "Bob Stone")


def test_pptx_slides_are_pages() -> None:
    doc = parse(GOOD / "pptx/roadmap.pptx")
    assert block_with(doc, "kestrel").page == 2
    assert block_with(doc, "ocelot").page == 3
    assert doc.meta["_page_label"] == "slide"


def test_pptx_body_lines_that_look_like_titles_stay_text(tmp_path: Path) -> None:
    # unstructured labels short body lines (a subtitle, noun phrases, "Owners:") `Title`;
    # only the title shape's title is the slide's heading, the rest are its bullets.
    import pptx

    deck = pptx.Presentation()
    cover = deck.slides.add_slide(deck.slide_layouts[0])
    cover.shapes.title.text = "Quokka roadmap"
    cover.placeholders[1].text = "Jane Doe, Platform team - June 2026"
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Other priorities"
    body = slide.placeholders[1].text_frame
    body.text = "Latency from 190 ms to the 150 ms target"
    for text, level in (("Owners:", 0), ("Rollout: Jane Doe", 1), ("Solver: Bob Stone", 1)):
        paragraph = body.add_paragraph()
        paragraph.text, paragraph.level = text, level
    deck.save(tmp_path / "deck.pptx")
    doc = parse(tmp_path / "deck.pptx")
    assert [(b.page, b.heading_path) for b in doc.blocks] == [
        (1, ("Quokka roadmap",)), (2, ("Other priorities",))]
    assert doc.blocks[0].text == "- Jane Doe, Platform team - June 2026"
    assert doc.blocks[1].text.splitlines() == [
        "- Latency from 190 ms to the 150 ms target", "- Owners:", "  - Rollout: Jane Doe",
        "  - Solver: Bob Stone"]


def test_vtt_voices_and_timings() -> None:
    doc = parse(GOOD / "vtt/standup.vtt")
    assert doc.kind == "transcript"
    wombat = block_with(doc, "wombat")
    assert wombat.speaker == "Bob Stone"
    assert (wombat.start, wombat.end) == (30.0, 36.0)
    assert {b.speaker for b in doc.blocks} == {"Jane Doe", "Bob Stone"}


def test_srt_speaker_prefixes() -> None:
    doc = parse(GOOD / "srt/review.srt")
    mongoose = block_with(doc, "mongoose")
    assert mongoose.speaker == "Jane Doe"
    assert (mongoose.start, mongoose.end) == (17.5, 24.0)
    assert not mongoose.text.startswith("Jane Doe:")


def test_speaker_labelled_text_with_timestamps() -> None:
    doc = parse(GOOD / "transcript_text/sync.txt")
    assert doc.kind == "transcript"
    pelican = block_with(doc, "pelican")
    assert pelican.speaker == "Bob Stone"
    assert pelican.start == 5 * 60 + 30
    assert pelican.end == 6 * 60 + 35  # the next turn's start


def test_speaker_labelled_text_without_timestamps() -> None:
    doc = parse(GOOD / "transcript_text/plain_speakers.txt")
    assert doc.kind == "transcript"
    assert block_with(doc, "meerkat").speaker == "Bob Stone"


def test_plain_text_is_not_a_transcript() -> None:
    doc = parse(GOOD / "text/faq.txt")
    assert doc.kind is None
    assert "capybara" in doc.blocks[0].text


def test_latin1_text_is_read_with_a_note() -> None:
    doc = parse(BAD / "latin1.txt")
    assert "Café" in doc.blocks[0].text and "€" in doc.blocks[0].text
    assert "cp1252" in doc.meta["_note"]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("empty.md", "empty file"),
        ("whitespace.txt", "empty file"),
        ("binary.md", "binary content"),
        ("corrupt.pdf", "cannot read PDF"),
        ("corrupt.docx", "cannot read as DOCX"),
        ("bad_front_matter.md", "invalid YAML front matter at line"),
    ],
)
def test_bad_files_raise_a_parse_error_naming_the_file(name: str, reason: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(BAD / name)
    assert reason in info.value.reason
    assert name in str(info.value)


def test_unsupported_suffix_has_no_parser() -> None:
    assert parser_for(BAD / "unsupported.xyz") is None
    assert parser_for(Path("notes.html.md.erb")) is not None
