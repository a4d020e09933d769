"""The Library tab, for knowledge owners: upload and ingest, documents, gaps, feedback."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Any

import gradio as gr

from kenning.errors import ForbiddenError, NotFoundError
from kenning.qa.service import QAService
from kenning.qa.uploads import UPLOAD_FOLDER, safe_name
from kenning.schema import FileReport, IngestReport
from kenning.ui import catalog
from kenning.ui.access import UserServices
from kenning.ui.catalogues import DEFAULT, tr, trn
from kenning.ui.i18n import label, language
from kenning.ui.panel import TabHooks
from kenning.ui.render import error_note, esc, message
from kenning.ui.style import panel

# People directories go first, so the files uploaded with them resolve names through them.
DIRECTORY_NAMES = ("people.yaml", "people.yml", "people.csv")
GROUP_NAME = re.compile(r"[\w.@-]{1,100}")
# The tables' columns, as catalogue keys.
REPORT_COLUMNS = ["col_file", "col_status", "col_chunks", "col_reason"]
GAP_COLUMNS = ["col_question", "col_times_asked", "col_last_asked", "col_best_match"]
FEEDBACK_COLUMNS = ["col_when", "col_question", "col_helpful", "col_comment"]
REPORT_HEADERS = [tr(key) for key in REPORT_COLUMNS]
GAP_HEADERS = [tr(key) for key in GAP_COLUMNS]
FEEDBACK_HEADERS = [tr(key) for key in FEEDBACK_COLUMNS]
DOCUMENT_WIDTHS = ["26%", "10%", "8%", "16%", "9%", "9%", "6%", "16%"]
STATUSES = ("added", "updated", "unchanged", "failed", "skipped")


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


def parse_groups(text: str | None, lang: str = DEFAULT) -> list[str]:
    """Group names from a comma-separated field; ValueError naming a bad one."""
    groups = [g.strip() for g in (text or "").split(",") if g.strip()]
    for group in groups:
        if not GROUP_NAME.fullmatch(group):
            raise ValueError(tr("bad_group", lang, group=repr(group)))
    return groups


def ingest_files(
    service: QAService, paths: list[Path], progress: gr.Progress, groups: list[str] | None = None,
    lang: str = DEFAULT,
) -> IngestReport:
    """Ingest files one at a time so the progress bar can name each (admins only)."""
    total = IngestReport()
    for done, path in enumerate(paths):
        progress(done / len(paths), desc=tr("ingesting", lang, name=path.name))
        report = service.ingest([path], groups=groups or None, lang=lang)
        total.files.extend(report.files)
        total.chunks += report.chunks
        total.advice += [line for line in report.advice if line not in total.advice]
    progress(1.0, desc=tr("done", lang))
    return total


def status_name(status: str, lang: str = DEFAULT) -> str:
    """What happened to a file, in words."""
    return tr(f"status_{status}", lang) if status in STATUSES else status


def report_rows(files: list[FileReport], lang: str = DEFAULT) -> list[list[Any]]:
    """The per-file report as table rows."""
    return [[Path(f.path).name, status_name(f.status, lang), f.chunks, f.reason] for f in files]


def report_summary(report: IngestReport, seconds: float, lang: str = DEFAULT) -> str:
    """One line: how many files were added, updated, unchanged or failed, and how long; then
    the report's advice (the embedding model chosen or recommended), each as a notice."""
    counts = report.to_dict()["counts"]
    parts = ", ".join(trn(f"status_count_{status}", n, lang) if status in STATUSES
                      else f"{n} {status}" for status, n in counts.items() if n)  # fmt: skip
    passages = trn("count_passages", report.chunks, lang)
    tone = "error" if counts["failed"] else "ok"
    summary = message(f"{parts or tr('nothing_to_do', lang)} · {passages} · {seconds:.1f} s", tone)
    return summary + "".join(message(line) for line in report.advice)


def headed(columns: list[str], rows: list[list[Any]], lang: str = DEFAULT) -> dict[str, Any]:
    """A table's value with its column names in the reader's language."""
    return {"headers": [tr(key, lang) for key in columns], "data": rows}


def when(timestamp: str | None) -> str:
    """An ISO timestamp to the minute, for tables."""
    return (timestamp or "")[:16].replace("T", " ")


def gap_match(best_score: float | None, threshold: float, lang: str = DEFAULT) -> str:
    """How well the best passage matched a gap's question, in words rather than a similarity
    score: none found, below the abstention threshold, or just above it."""
    if best_score is None:
        return tr("gap_none", lang)
    return tr("gap_weak" if best_score < threshold else "gap_partial", lang)


def gap_rows(service: QAService, lang: str = DEFAULT) -> list[list[Any]]:
    """Questions abstained on or answered with low confidence, most asked first."""
    threshold = service.settings.abstain_threshold
    return [
        [g["question"], g["times"], when(g["last_asked"]),
         gap_match(g["best_score"], threshold, lang)]
        for g in service.reader.knowledge_gaps()
    ]  # fmt: skip


def feedback_html(summary: dict[str, Any], lang: str = DEFAULT) -> str:
    """Helpful and unhelpful answer counts."""
    line = trn("ratings", summary["total"], lang, total=summary["total"],
               helpful=summary["helpful"], unhelpful=summary["unhelpful"])  # fmt: skip
    return f'<p class="kn-overview">{esc(line)}</p>'


def table(headers: list[str], name: gr.I18nData, elem_id: str, **kwargs: Any) -> gr.Dataframe:
    """A read-only table that wraps long cells."""
    return gr.Dataframe(headers=headers, value=[], label=name, elem_id=elem_id,
                        interactive=False, wrap=True, elem_classes="kn-data", **kwargs)  # fmt: skip


def build_library_tab(services: UserServices) -> TabHooks:
    """Lay out the Library tab and wire its events; call inside a `gr.Tab`."""
    gr.Markdown(label("upload_help"))
    with gr.Row(equal_height=False):
        with gr.Column(scale=2):
            files = gr.File(label=label("files_to_ingest"), file_count="multiple", type="filepath",
                            elem_id="kn-upload")  # fmt: skip
            groups = gr.Textbox(label=label("readable_by_groups"), elem_id="kn-groups",
                                placeholder=label("groups_placeholder"))  # fmt: skip
        with gr.Column(scale=3):
            ingest = gr.Button(label("ingest"), variant="primary", elem_id="kn-ingest")
            summary = panel("", elem_id="kn-ingest-summary")
            report = table(REPORT_HEADERS, label("ingest_report"), "kn-report",
                           column_widths=["35%", "13%", "13%", "39%"])  # fmt: skip
    gr.Markdown(label("documents_heading"))
    documents = table(catalog.DOCUMENT_HEADERS, label("documents"), "kn-documents",
                      max_height=420, show_search="search",
                      column_widths=DOCUMENT_WIDTHS)  # fmt: skip
    with gr.Row():
        chosen = gr.Dropdown([], label=label("document_to_delete"), scale=3,
                             elem_id="kn-delete-choice")  # fmt: skip
        delete = gr.Button(label("delete"), variant="stop", scale=1, elem_id="kn-delete")
    deleted = panel("")
    with gr.Row(equal_height=False):
        with gr.Column():
            gr.Markdown(label("knowledge_gaps_heading"))
            gaps = table(GAP_HEADERS, label("knowledge_gaps"), "kn-gaps",
                         column_widths=["52%", "14%", "20%", "14%"])  # fmt: skip
        with gr.Column():
            gr.Markdown(label("feedback_heading"))
            feedback = panel("", elem_id="kn-feedback-summary")
            recent = table(FEEDBACK_HEADERS, label("recent_feedback"), "kn-recent-feedback",
                           column_widths=["21%", "42%", "15%", "22%"])  # fmt: skip

    def on_refresh(request: gr.Request) -> list[Any]:
        service = services(request)
        lang = language(request)
        votes = service.reader.feedback_summary()
        recent_rows = [[when(f["created"]), f["question"],
                        tr("yes" if f["helpful"] else "no", lang), f["comment"]]
                       for f in votes["recent"]]  # fmt: skip
        choices = [(f"{r['title']} — {r['id']}", r["id"]) for r in catalog.documents(service)]
        return [headed(catalog.DOCUMENT_COLUMNS, catalog.document_table(service, lang=lang), lang),
                gr.Dropdown(choices=choices, value=None),
                headed(GAP_COLUMNS, gap_rows(service, lang), lang), feedback_html(votes, lang),
                headed(FEEDBACK_COLUMNS, recent_rows, lang)]  # fmt: skip

    def on_ingest(
        uploads: list[str] | None, groups_: str | None, request: gr.Request,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 (Gradio's API)
    ) -> list[Any]:
        lang = language(request)
        if not uploads:
            return [message(tr("choose_files", lang), "error"), headed(REPORT_COLUMNS, [], lang),
                    *on_refresh(request)]  # fmt: skip
        service = services(request)
        started = time.perf_counter()
        try:
            service.require_admin("adding documents")
            wanted = parse_groups(groups_, lang)
            done = ingest_files(service, store_uploads(service, uploads), progress, wanted, lang)
        except (ForbiddenError, ValueError) as exc:
            return [error_note(exc, lang), headed(REPORT_COLUMNS, [], lang),
                    *on_refresh(request)]  # fmt: skip
        summary_ = report_summary(done, time.perf_counter() - started, lang)
        return [summary_, headed(REPORT_COLUMNS, report_rows(done.files, lang), lang),
                *on_refresh(request)]  # fmt: skip

    def on_delete(document_id: str | None, request: gr.Request) -> list[Any]:
        lang = language(request)
        if not document_id:
            return [message(tr("choose_document", lang), "error"), *on_refresh(request)]
        service = services(request)
        try:
            title = service.reader.document(document_id)["title"]
            service.delete(document_id)
        except NotFoundError:
            return [message(tr("no_document_with_id", lang, id=document_id), "error"),
                    *on_refresh(request)]  # fmt: skip
        except ForbiddenError as exc:
            return [error_note(exc, lang), *on_refresh(request)]
        return [message(tr("deleted", lang, title=title)), *on_refresh(request)]

    def on_load(request: gr.Request) -> dict[str, Any]:
        """The ingest report's (empty) table, headed in the reader's language."""
        return headed(REPORT_COLUMNS, [], language(request))

    panels = [documents, chosen, gaps, feedback, recent]
    # Writes to the knowledge base go one at a time, whoever sends them.
    ingest.click(on_ingest, [files, groups], [summary, report, *panels], concurrency_limit=1,
                 concurrency_id="kb-writes")  # fmt: skip
    delete.click(on_delete, chosen, [deleted, *panels], concurrency_limit=1,
                 concurrency_id="kb-writes")  # fmt: skip
    return TabHooks(on_refresh, panels, localise=on_load, localised=[report])
