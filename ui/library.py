"""The Library tab, for knowledge owners: upload and ingest, documents, gaps, feedback."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import gradio as gr

from kenning.qa.routes.documents import UPLOAD_FOLDER, safe_name
from kenning.qa.service import QAService
from kenning.schema import FileReport, IngestReport
from kenning.ui import catalog
from kenning.ui.panel import Refresh
from kenning.ui.render import message

# People directories go first, so the files uploaded with them resolve names through them.
DIRECTORY_NAMES = ("people.yaml", "people.yml", "people.csv")
# How far above the abstain threshold an answer still counts as a knowledge gap (as /v1/stats).
LOW_CONFIDENCE_MARGIN = 0.1
REPORT_HEADERS = ["File", "Status", "Chunks", "Reason"]
GAP_HEADERS = ["Question", "Times asked", "Last asked", "Best score"]
FEEDBACK_HEADERS = ["When", "Question", "Helpful", "Comment"]
UPLOAD_HELP = (
    "### Add documents\nMarkdown, text, HTML, PDF, DOCX, PPTX, WebVTT, SRT, speaker-labelled "
    "transcripts, and `people.yaml`/`people.csv` directories."
)


def store_uploads(service: QAService, uploads: list[str]) -> list[Path]:
    """Copy uploaded files into the knowledge base's upload folder, directories first."""
    folder = Path(service.settings.home) / UPLOAD_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    stored: list[Path] = []
    for upload in uploads:
        target = folder / safe_name(Path(upload).name)
        shutil.copyfile(upload, target)
        stored.append(target)
    return sorted(stored, key=lambda p: p.name.lower() not in DIRECTORY_NAMES)


def ingest_files(service: QAService, paths: list[Path], progress: gr.Progress) -> IngestReport:
    """Ingest files one at a time so the progress bar can name each."""
    total = IngestReport()
    for done, path in enumerate(paths):
        progress(done / len(paths), desc=f"Ingesting {path.name}")
        report = service.kb.ingest([path])
        total.files.extend(report.files)
        total.chunks += report.chunks
        total.seconds += report.seconds
    progress(1.0, desc="Done")
    return total


def report_rows(files: list[FileReport]) -> list[list[Any]]:
    """The per-file report as table rows."""
    return [[Path(f.path).name, f.status, f.chunks, f.reason] for f in files]


def report_summary(report: IngestReport) -> str:
    """One line: how many files were added, updated, unchanged or failed, and how long."""
    counts = report.to_dict()["counts"]
    parts = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    tone = "error" if counts["failed"] else "ok"
    return message(f"{parts or 'nothing to do'} · {report.chunks} passages · "
                   f"{report.seconds:.1f} s", tone)  # fmt: skip


def feedback_html(summary: dict[str, Any]) -> str:
    """Helpful and unhelpful answer counts."""
    return (f'<p class="kn-overview">{summary["total"]} ratings: {summary["helpful"]} helpful, '
            f'{summary["unhelpful"]} not helpful.</p>')  # fmt: skip


def build_library_tab(service: QAService) -> Refresh:
    """Lay out the Library tab and wire its events; call inside a `gr.Tab`."""
    kb = service.kb
    gr.Markdown(UPLOAD_HELP)
    with gr.Row(equal_height=False):
        files = gr.File(label="Files to ingest", file_count="multiple", type="filepath",
                        elem_id="kn-upload", scale=2)  # fmt: skip
        with gr.Column(scale=3):
            ingest = gr.Button("Ingest", variant="primary", elem_id="kn-ingest")
            summary = gr.HTML("", js_on_load=None, elem_id="kn-ingest-summary")
            report = gr.Dataframe(headers=REPORT_HEADERS, value=[], label="Ingest report",
                                  interactive=False, wrap=True, elem_id="kn-report")  # fmt: skip
    gr.Markdown("### Documents")
    documents = gr.Dataframe(
        headers=catalog.DOCUMENT_HEADERS, value=[], interactive=False, wrap=True,
        show_search="search", label="Documents", elem_id="kn-documents", max_height=420,
    )  # fmt: skip
    with gr.Row():
        chosen = gr.Dropdown([], label="Document to delete", scale=3, elem_id="kn-delete-choice")
        delete = gr.Button("Delete", variant="stop", scale=1, elem_id="kn-delete")
    deleted = gr.HTML("", js_on_load=None)
    with gr.Row(equal_height=False):
        with gr.Column():
            gr.Markdown("### Knowledge gaps\nQuestions answered with little or no evidence.")
            gaps = gr.Dataframe(headers=GAP_HEADERS, value=[], interactive=False, wrap=True,
                                label="Knowledge gaps", elem_id="kn-gaps")  # fmt: skip
        with gr.Column():
            gr.Markdown("### Feedback")
            feedback = gr.HTML("", js_on_load=None, elem_id="kn-feedback-summary")
            recent = gr.Dataframe(headers=FEEDBACK_HEADERS, value=[], interactive=False,
                                  wrap=True, label="Recent feedback")  # fmt: skip

    def on_refresh() -> list[Any]:
        rows = catalog.documents(kb)
        low = service.settings.abstain_threshold + LOW_CONFIDENCE_MARGIN
        gap_rows = [[g["question"], g["times"], g["last_asked"],
                     round(g["best_score"], 3) if g["best_score"] is not None else None]
                    for g in kb.store.knowledge_gaps(low)]  # fmt: skip
        votes = kb.store.feedback_summary()
        recent_rows = [[f["created"], f["question"], "yes" if f["helpful"] else "no",
                        f["comment"]] for f in votes["recent"]]  # fmt: skip
        return [
            catalog.document_table(kb),
            gr.Dropdown(choices=[(f"{r['title']} — {r['id']}", r["id"]) for r in rows],
                        value=None),  # fmt: skip
            gap_rows, feedback_html(votes), recent_rows,
        ]

    def on_ingest(
        uploads: list[str] | None, progress: gr.Progress = gr.Progress()  # noqa: B008 (Gradio's API)
    ) -> list[Any]:
        if not uploads:
            return [message("Choose one or more files first.", "error"), [], *on_refresh()]
        done = ingest_files(service, store_uploads(service, uploads), progress)
        return [report_summary(done), report_rows(done.files), *on_refresh()]

    def on_delete(document_id: str | None) -> list[Any]:
        if not document_id:
            return [message("Choose a document to delete.", "error"), *on_refresh()]
        found = kb.store.document(document_id)
        if found is None or not kb.delete(document_id):
            return [message(f"No document with id {document_id}.", "error"), *on_refresh()]
        return [message(f"Deleted “{found['title']}”."), *on_refresh()]

    panels = [documents, chosen, gaps, feedback, recent]
    ingest.click(on_ingest, files, [summary, report, *panels])
    delete.click(on_delete, chosen, [deleted, *panels])
    return Refresh(on_refresh, panels)
