"""HTML for the browsing views: document lists, topics and a person's page. All escaped."""

from __future__ import annotations

from typing import Any

from kenning.ui.catalog import Topic, is_stale, today
from kenning.ui.catalogues import DEFAULT, tr, tr_or
from kenning.ui.render import esc, kind_badge, message, person_link, source_url


def role_text(role: str, lang: str = DEFAULT) -> str:
    """A person's part in a document in a few words: `item_owner` is "owns an agenda item"."""
    return tr_or(f"part_{role}", role.replace("_", " "), lang)


def document_item(row: dict[str, Any], on: str | None = None, lang: str = DEFAULT) -> str:
    """One document as a list line: linked title, kind, team, owners and dates."""
    document_id = row.get("id") or row.get("document_id") or ""
    details = [row.get("team") or "", ", ".join(row.get("owners") or [])]
    if row.get("updated"):
        details.append(tr("updated_on", lang, date=row["updated"]))
    if row.get("roles"):
        details.append(" · ".join(role_text(r, lang) for r in dict.fromkeys(row["roles"])))
    stale = (f' <span class="kn-badge kn-stale">{esc(tr("review_overdue", lang))}</span>'
             if is_stale(row, on) else "")  # fmt: skip
    meta = " · ".join(esc(d) for d in details if d)
    return (f'<li><a href="{esc(source_url(document_id))}" target="_blank" rel="noopener">'
            f"{esc(row['title'])}</a> {kind_badge(row['kind'], lang)}{stale}"
            f'<div class="kn-meta">{meta}</div></li>')  # fmt: skip


def document_list(
    rows: list[dict[str, Any]], heading: str, empty: str, lang: str = DEFAULT
) -> str:
    """A titled list of documents."""
    if not rows:
        return f"<section><h3>{esc(heading)}</h3>{message(empty)}</section>"
    on = today()
    items = "".join(document_item(r, on, lang) for r in rows)
    return f'<section class="kn-list"><h3>{esc(heading)}</h3><ul>{items}</ul></section>'


def topics_html(topics: list[Topic], lang: str = DEFAULT) -> str:
    """A card per topic: its newest documents and the people who know it best."""
    if not topics:
        return message(tr("no_topics", lang))
    cards = []
    for topic in topics:
        docs = "".join(
            f'<li><a href="{esc(source_url(d["id"]))}" target="_blank" rel="noopener">'
            f"{esc(d['title'])}</a></li>"
            for d in topic.documents
        )
        people = ", ".join(person_link(name, pid) for name, pid in topic.people) or "—"
        cards.append(
            f'<article class="kn-card kn-topic"><header><span class="kn-title">#{esc(topic.tag)}'
            f"</span></header><ul>{docs}</ul>"
            f'<div class="kn-meta">{esc(tr("topic_people", lang))} {people}</div></article>'
        )
    grid = f'<div class="kn-grid">{"".join(cards)}</div>'
    return f'<section class="kn-topics"><h3>{esc(tr("topics", lang))}</h3>{grid}</section>'


def person_html(profile: dict[str, Any] | None, lang: str = DEFAULT) -> str:
    """A person's page: what they know (topics), the documents they own or wrote and the
    meetings they were in, with their roles; when they were last active; the other names
    they go by (only those the reader's documents use)."""
    if profile is None:
        return message(tr("choose_person", lang))
    teams = ", ".join(profile["teams"]) or tr("no_team", lang)
    aliases = ", ".join(profile["aliases"][:8])
    topics = "".join(
        f'<span class="kn-badge kn-tag">#{esc(tag)} <small>{n}</small></span> '
        for tag, n in profile["topics"]
    ) or esc(tr("none_yet", lang))
    owned = document_list(profile["owned"], tr("owned_heading", lang),
                          tr("owned_none", lang), lang)  # fmt: skip
    meetings = document_list(profile["meetings"], tr("meetings_heading", lang),
                             tr("meetings_none", lang), lang)  # fmt: skip
    also = (f'<div class="kn-meta">{esc(tr("also_known_as", lang, names=aliases))}</div>'
            if aliases else "")  # fmt: skip
    last = profile.get("last_active")
    active = (f'<div class="kn-meta">{esc(tr("last_active", lang, date=last))}</div>'
              if last else "")  # fmt: skip
    return f"""
<article class="kn-person" aria-label="{esc(profile['name'])}">
  <h2>{esc(profile['name'])}</h2>
  <div class="kn-meta">{esc(tr("person_team", lang, teams=teams))}</div>
  {also}
  {active}
  <div class="kn-topics-line">{esc(tr("person_topics", lang))} {topics}</div>
  <div class="kn-columns">{owned}{meetings}</div>
</article>"""


def directory_html(people: list[dict[str, Any]], lang: str = DEFAULT) -> str:
    """Everyone with evidence: name (linked), teams and how many documents."""
    if not people:
        return message(tr("nobody_yet", lang))
    rows = "".join(
        f"<tr><td>{person_link(p['name'], p['id'])}</td><td>{esc(', '.join(p['teams']))}</td>"
        f"<td>{p['documents']}</td></tr>"
        for p in people
    )
    head = "".join(f'<th scope="col">{esc(tr(key, lang))}</th>'
                   for key in ("col_name", "col_teams", "col_documents"))  # fmt: skip
    return (f'<table class="kn-table"><caption>{esc(tr("directory", lang))}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")  # fmt: skip
