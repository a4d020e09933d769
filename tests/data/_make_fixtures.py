"""Regenerate the binary / byte-exact test fixtures under tests/data/.

Run from anywhere:  python3 tests/data/_make_fixtures.py

Produces (deterministically: running it twice gives byte-identical files):
  good/pdf/report.pdf      reportlab, 2 pages, invariant mode
  good/docx/design.docx    python-docx, fixed core properties, normalised zip
  good/pptx/roadmap.pptx   python-pptx, fixed core properties, normalised zip
  bad/empty.md             0 bytes
  bad/whitespace.txt       only spaces, tabs and newlines
  bad/binary.md            2048 random bytes (seed 1234), contains NULs
  bad/latin1.txt           cp1252-encoded text, invalid as UTF-8
  bad/corrupt.pdf          %PDF-1.4 header, then garbage, truncated
  bad/corrupt.docx         a valid zip that is NOT a docx (no [Content_Types].xml)

Requires: reportlab, python-docx, python-pptx
(python3 -m pip install --user reportlab python-docx python-pptx).
The other fixtures are hand-written text files and are not touched here.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOOD = HERE / "good"
BAD = HERE / "bad"

FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)
FIXED_DT = dt.datetime(2026, 1, 1, 0, 0, 0)


def normalise_zip(path: Path) -> None:
    """Rewrite a zip with fixed timestamps/attributes so output is reproducible."""
    with zipfile.ZipFile(path) as src:
        entries = [(info.filename, src.read(info.filename)) for info in src.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as dst:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 0
            dst.writestr(info, data)
    path.write_bytes(buf.getvalue())


def set_core(cp, *, author: str, title: str) -> None:
    cp.author = author
    cp.title = title
    cp.last_modified_by = author
    cp.revision = 1
    cp.created = FIXED_DT
    cp.modified = FIXED_DT


# --------------------------------------------------------------------- good


def make_pdf(path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    c.setAuthor("Jane Doe")
    c.setTitle("Quarterly storage report")
    c.setSubject("Storage usage")
    c.setCreator("Kenning test fixtures")

    pages = [
        [
            "Quarterly storage report",
            "",
            "Page 1: Summary",
            "Total storage grew by twelve percent this quarter.",
            "Most of the growth came from the aardvark archive cluster,",
            "which now holds the scanned contracts of the legal team.",
            "Object storage costs stayed flat thanks to lifecycle rules.",
        ],
        [
            "Page 2: Outlook",
            "Next quarter we expect slower growth because old log",
            "buckets will be moved to cold storage. The platypus tier",
            "will be retired once its data is migrated.",
            "Prepared by Jane Doe for the Platform team.",
        ],
    ]
    for lines in pages:
        y = 800
        for line in lines:
            c.setFont("Helvetica", 12)
            c.drawString(72, y, line)
            y -= 18
        c.showPage()
    c.save()


def make_docx(path: Path) -> None:
    import docx

    d = docx.Document()
    set_core(d.core_properties, author="Bob Stone", title="Queue redesign")
    d.add_heading("Queue redesign", level=1)
    d.add_paragraph(
        "This document proposes a new design for the order processing queue "
        "used by the Payments team."
    )
    d.add_heading("Motivation", level=2)
    d.add_paragraph(
        "The current queue loses messages when a consumer crashes during a "
        "deploy. The narwhal incident last quarter delayed two thousand "
        "refunds by a full day."
    )
    d.add_heading("Proposal", level=2)
    d.add_paragraph(
        "Replace the queue with a broker that supports acknowledgements and "
        "dead letter topics. The new axolotl consumer library will retry "
        "failed messages with exponential back-off."
    )
    d.add_paragraph("Reviewers: Carla Diaz, Jane Doe.")
    d.save(str(path))
    normalise_zip(path)


def make_pptx(path: Path) -> None:
    from pptx import Presentation

    p = Presentation()
    set_core(p.core_properties, author="Carla Diaz", title="Roadmap")

    s = p.slides.add_slide(p.slide_layouts[0])  # title slide
    s.shapes.title.text = "Roadmap"
    s.placeholders[1].text = "Platform team plan for the first half of 2026"

    for title, bullets in [
        ("Q1 goals", ["Finish the kestrel search migration", "Rotate all TLS certificates"]),
        ("Q2 goals", ["Launch the ocelot reporting service", "Retire the legacy queue"]),
    ]:
        s = p.slides.add_slide(p.slide_layouts[1])  # title and content
        s.shapes.title.text = title
        tf = s.placeholders[1].text_frame
        tf.text = bullets[0]
        for b in bullets[1:]:
            tf.add_paragraph().text = b
    p.save(str(path))
    normalise_zip(path)


# ---------------------------------------------------------------------- bad


def make_bad() -> None:
    (BAD / "empty.md").write_bytes(b"")
    (BAD / "whitespace.txt").write_bytes(b"   \n\n\t  \n        \n\n   \t\n")

    rng = random.Random(1234)
    data = bytearray(rng.randbytes(2048))
    for i in range(0, 2048, 64):  # guarantee NUL bytes regardless of RNG
        data[i] = 0
    (BAD / "binary.md").write_bytes(bytes(data))

    latin = (
        "Café résumé naïve. The café on the corner keeps a résumé of every "
        "naïve visitor. Señor Müller paid 5 € for a crème brûlée.\n"
    ) * 4
    raw = latin.encode("cp1252")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:  # pragma: no cover
        raise SystemExit("latin1.txt unexpectedly decodes as UTF-8")
    (BAD / "latin1.txt").write_bytes(raw)

    rng = random.Random(5678)
    garbage = rng.randbytes(512)
    (BAD / "corrupt.pdf").write_bytes(
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\n"
        b"endobj\n2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Cou" + garbage
    )

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("hello.txt", date_time=FIXED_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        info.create_system = 0
        z.writestr(info, "This zip archive is not a Word document.\n")
    (BAD / "corrupt.docx").write_bytes(buf.getvalue())


def main() -> None:
    for sub in ("pdf", "docx", "pptx"):
        (GOOD / sub).mkdir(parents=True, exist_ok=True)
    BAD.mkdir(parents=True, exist_ok=True)
    make_pdf(GOOD / "pdf" / "report.pdf")
    make_docx(GOOD / "docx" / "design.docx")
    make_pptx(GOOD / "pptx" / "roadmap.pptx")
    make_bad()
    print("fixtures written under", HERE)


if __name__ == "__main__":
    main()
