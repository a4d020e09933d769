"""HTML for answers, their sources and experts. Everything from a document is escaped here.

Text from the knowledge base is untrusted: it is escaped with `html.escape` before it is put
into markup, and a cited passage goes through `kenning.ui.passage`, which renders its Markdown
with raw HTML off, so a document can never inject markup into the page. Fixed words come from
the catalogues (`kenning.ui.catalogues`) in the reader's language.
"""

from __future__ import annotations

import mimetypes
import re
from html import escape
from urllib.parse import quote

from kenning.errors import KenningError
from kenning.schema import Citation, Expert
from kenning.ui.catalogues import DEFAULT, tr, tr_or
from kenning.ui.passage import passage_html

MARKER = re.compile(r"\[(\d+)\]")
WORD = re.compile(r"[^\W_]+")
STOPWORDS = frozenset(
    "a an and are as at be but by can did do does for from had has have how i in is it its "
    "of on or our say said says should that the their there this to was we were what when "
    "where which who why will with would you about into than then them they".split()
)


def esc(value: object) -> str:
    """Text escaped for HTML content and quoted attributes; None becomes empty."""
    return "" if value is None else escape(str(value), quote=True)


def source_url(document_id: str) -> str:
    """The API address that serves a document's stored source file."""
    return f"/v1/documents/{quote(document_id, safe='')}/source"


PAGE = re.compile(r"\bpage (\d+)\b")
FRAGMENT_WORDS = 6


def passage_url(citation: Citation) -> str:
    """The source file opened at the passage: a PDF at its page (`#page=N`), a recording at
    its start (a media fragment, `#t=SECONDS`, which the browser's player seeks to), any other
    text at the passage's first words (a text fragment, `#:~:text=…`, which the browser
    scrolls to and highlights; a file type it cannot show opens as a download)."""
    url = source_url(citation.document_id)
    kind = mimetypes.guess_type(citation.source)[0] or ""
    page = PAGE.search(citation.location)
    if kind == "application/pdf":
        return f"{url}#page={page.group(1)}" if page else url
    if kind.startswith(("audio/", "video/")):
        return f"{url}#t={int(citation.start)}" if citation.start is not None else url
    quoted = (citation.highlights or [citation.text])[0]
    if citation.kind == "transcript":  # a cue's first words, after its "Speaker:" label
        quoted = re.sub(r"^[^:\n]{1,60}:\s+", "", quoted.strip())
    words = quoted.split()[:FRAGMENT_WORDS]
    if not words:
        return url
    return f"{url}#:~:text={quote(' '.join(words), safe='')}"


def person_url(person_id: str) -> str:
    """The UI address that opens a person's page in the People tab."""
    return f"/ui/?person={quote(person_id, safe='')}"


def person_link(name: str, person_id: str, css: str = "") -> str:
    """A person's name linking to their page; inside the app the click opens the People tab."""
    cls = f' class="{esc(css)}"' if css else ""
    return (f'<a{cls} href="{esc(person_url(person_id))}" data-person="{esc(person_id)}">'
            f"{esc(name)}</a>")  # fmt: skip


def message(text: str, tone: str = "info") -> str:
    """A short notice; errors are announced to screen readers."""
    role = ' role="alert"' if tone == "error" else ' role="status"'
    text = text[:1].upper() + text[1:]
    return f'<div class="kn-note kn-{esc(tone)}"{role}>{esc(text)}</div>'


def error_note(exc: Exception, lang: str = DEFAULT) -> str:
    """An error as a notice in the reader's language (an error Kenning raised with a
    catalogue key; any other error as it reads)."""
    return message(exc.in_language(lang) if isinstance(exc, KenningError) else str(exc), "error")


def role_label(role: str, lang: str = DEFAULT) -> str:
    """A role as people say it: `action_owner` is "action owner"."""
    return tr_or(f"role_{role}", role.replace("_", " "), lang)


def kind_name(kind: str, lang: str = DEFAULT) -> str:
    """A document kind in the reader's language."""
    return tr_or(f"kind_{kind}", kind, lang)


def kind_badge(kind: str, lang: str = DEFAULT) -> str:
    """A coloured label for a document kind."""
    return f'<span class="kn-badge kn-kind-{esc(kind)}">{esc(kind_name(kind, lang))}</span>'


def query_terms(question: str) -> list[str]:
    """The words of a question worth highlighting, longest first."""
    words = {w.lower() for w in WORD.findall(question) if len(w) > 2}
    return sorted(words - STOPWORDS, key=len, reverse=True)


def term_pattern(terms: list[str]) -> re.Pattern[str] | None:
    """A pattern finding the terms, and the words starting with them; None without terms."""
    if not terms:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(t) for t in terms) + r")\w*", re.IGNORECASE)


def answer_html(
    text: str, citations: list[Citation], abstained: bool = False, lang: str = DEFAULT
) -> str:
    """The answer with each `[n]` turned into a link to source card n."""
    known = {c.n for c in citations}

    def link(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if n not in known:
            return match.group(0)
        return (f'<a class="kn-cite" href="#kn-source-{n}" '
                f'aria-label="{esc(tr("source_n", lang, n=n))}">[{n}]</a>')  # fmt: skip

    body = MARKER.sub(link, esc(text))
    css = "kn-answer kn-abstained" if abstained else "kn-answer"
    return f'<div class="{css}" id="kn-answer" aria-live="polite"><p>{body}</p></div>'


def streaming_html(text: str) -> str:
    """The answer as it arrives, before its citations are known."""
    return (f'<div class="kn-answer kn-streaming" aria-live="polite" aria-busy="true">'
            f"<p>{esc(text)}</p></div>")  # fmt: skip


def location_label(citation: Citation, lang: str = DEFAULT) -> str:
    """Where in the source the passage is: timestamps, page or heading path."""
    if citation.kind in ("transcript", "meeting") and citation.start is not None:
        return tr("at_time", lang, location=citation.location)
    return citation.location


def relevance_label(citation: Citation, lang: str = DEFAULT) -> str:
    """How well a passage matched the question, in words: its rank among the passages
    retrieved (fused scores such as 0.0328 mean nothing to a reader)."""
    if citation.rank <= 1:
        return tr("best_match", lang)
    return tr("strong" if citation.rank <= 3 else "related", lang)


def source_card(
    citation: Citation, terms: re.Pattern[str] | None, lang: str = DEFAULT
) -> str:
    """One cited passage: title, kind, how well it matched, location, speakers, the passage
    (Markdown rendered, what the answer quotes in bold) and a link to open its source."""
    speakers = ""
    if citation.speakers:
        names = tr("speakers", lang, names=", ".join(citation.speakers))
        speakers = f'<div class="kn-speakers">{esc(names)}</div>'
    passage = passage_html(citation.text, citation.highlights, terms,
                           lines_apart=citation.kind == "transcript")  # fmt: skip
    relevance = relevance_label(citation, lang)
    return f"""
<article class="kn-card kn-source" id="kn-source-{citation.n}" tabindex="-1">
  <header><span class="kn-num">[{citation.n}]</span>
    <span class="kn-title">{esc(citation.title)}</span> {kind_badge(citation.kind, lang)}
    <span class="kn-badge kn-relevance">{esc(relevance)}</span></header>
  <div class="kn-location">{esc(location_label(citation, lang))}</div>
  {speakers}
  <blockquote class="kn-snippet">{passage}</blockquote>
  <a class="kn-open" href="{esc(passage_url(citation))}" target="_blank"
     rel="noopener">{esc(tr("open_source", lang, title=citation.title))}</a>
</article>"""


def sources_html(citations: list[Citation], question: str, lang: str = DEFAULT) -> str:
    """The cards of every passage the answer cites, in marker order."""
    if not citations:
        return message(tr("no_sources", lang))
    terms = term_pattern(query_terms(question))
    cards = "".join(source_card(c, terms, lang) for c in sorted(citations, key=lambda c: c.n))
    heading = esc(tr("sources", lang))
    return f'<section class="kn-sources" aria-label="{heading}"><h3>{heading}</h3>{cards}</section>'


EXPERTS_SHOWN = 3  # people shown by default: more reads as a list of everyone involved


def level_badge(expert: Expert, lang: str = DEFAULT) -> str:
    """How sure Kenning is about a person, in words (and the confidence on hover)."""
    label = tr_or(f"level_{expert.level}", expert.level, lang)
    confidence = tr("confidence", lang, value=f"{expert.confidence:.0%}")
    return (f'<span class="kn-badge kn-level kn-level-{esc(expert.level)}" '
            f'title="{esc(confidence)}">{esc(label)}</span>')  # fmt: skip


def expert_card(expert: Expert, lang: str = DEFAULT) -> str:
    """A person to ask: name (linking to their page), how sure, why, and the documents
    behind it."""
    reasons = "".join(f"<li>{esc(r)}</li>" for r in expert.reasons[:4])
    seen: set[str] = set()
    evidence: list[str] = []
    for item in expert.evidence:
        if item.document_id in seen:
            continue
        seen.add(item.document_id)
        role = esc(role_label(item.role, lang))
        evidence.append(
            f'<li><a href="{esc(source_url(item.document_id))}" target="_blank" rel="noopener">'
            f'{esc(item.title)}</a> <span class="kn-role">{role}</span></li>'
        )
    name = person_link(expert.name, expert.person_id, "kn-title")
    return f"""
<article class="kn-card kn-expert kn-expert-{esc(expert.level)}">
  <header>{name} {level_badge(expert, lang)}</header>
  <div class="kn-why">{esc(tr("why", lang))} <ul>{reasons}</ul></div>
  <div class="kn-evidence">{esc(tr("evidence", lang))} <ul>{"".join(evidence[:4])}</ul></div>
</article>"""


def experts_html(
    experts: list[Expert], heading: str | None = None, limit: int = EXPERTS_SHOWN,
    lang: str = DEFAULT,
) -> str:  # fmt: skip
    """Cards for the people most likely to know: at most `limit`, each with its level, under
    `heading` ("Who to ask" by default). People who only know nearby topics (after an
    abstention) are headed as such, never as who to ask about the question."""
    if not experts:
        return message(tr("nobody_stands_out", lang))
    shown = experts[:limit]
    heading = heading or tr("who_to_ask", lang)
    if all(e.level == "neighbouring" for e in shown):
        heading = tr("only_nearby", lang)
    cards = "".join(expert_card(e, lang) for e in shown)
    return (f'<section class="kn-experts" aria-label="{esc(heading)}"><h3>{esc(heading)}</h3>'
            f"{cards}</section>")  # fmt: skip
