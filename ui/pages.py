"""HTML for the browsing views: document lists, topics and a person's page. All escaped."""

from __future__ import annotations

from typing import Any

from kenning.ui.catalog import Topic, is_stale, today
from kenning.ui.catalogues import DEFAULT, tr
from kenning.ui.render import esc, kind_badge, message, person_link, source_url

# Roles as a person's page says them.
ROLE_NAMES: dict[str, str] = {
    "owner": "owner", "author": "author", "reviewer": "reviewer", "presenter": "presented",
    "facilitator": "facilitated", "speaker": "spoke", "attendee": "attended",
    "action_owner": "action item", "item_owner": "owns an agenda item", "liaison": "liaison",
    "mentioned": "named",
}  # fmt: skip


def role_text(role: str) -> str:
    """A role in a few words: `item_owner` is "owns an agenda item"."""
    return ROLE_NAMES.get(role, role.replace("_", " "))


def document_item(row: dict[str, Any], on: str | None = None) -> str:
    """One document as a list line: linked title, kind, team, owners and dates."""
    document_id = row.get("id") or row.get("document_id") or ""
    details = [row.get("team") or "", ", ".join(row.get("owners") or [])]
    if row.get("updated"):
        details.append(f"updated {row['updated']}")
    if row.get("roles"):
        details.append(" · ".join(role_text(r) for r in dict.fromkeys(row["roles"])))
    stale = ' <span class="kn-badge kn-stale">review overdue</span>' if is_stale(row, on) else ""
    meta = " · ".join(esc(d) for d in details if d)
    return (f'<li><a href="{esc(source_url(document_id))}" target="_blank" rel="noopener">'
            f"{esc(row['title'])}</a> {kind_badge(row['kind'])}{stale}"
            f'<div class="kn-meta">{meta}</div></li>')  # fmt: skip


def document_list(rows: list[dict[str, Any]], heading: str, empty: str) -> str:
    """A titled list of documents."""
    if not rows:
        return f"<section><h3>{esc(heading)}</h3>{message(empty)}</section>"
    on = today()
    items = "".join(document_item(r, on) for r in rows)
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
            f'<div class="kn-meta">People: {people}</div></article>'
        )
    grid = f'<div class="kn-grid">{"".join(cards)}</div>'
    return f'<section class="kn-topics"><h3>{esc(tr("topics", lang))}</h3>{grid}</section>'


def person_html(profile: dict[str, Any] | None) -> str:
    """A person's page: what they know (topics), the documents they own or wrote and the
    meetings they were in, with their roles; when they were last active; the other names
    they go by (only those the reader's documents use)."""
    if profile is None:
        return message("Choose a person to see their page.")
    teams = ", ".join(profile["teams"]) or "no team on record"
    aliases = ", ".join(profile["aliases"][:8])
    topics = "".join(
        f'<span class="kn-badge kn-tag">#{esc(tag)} <small>{n}</small></span> '
        for tag, n in profile["topics"]
    ) or "none yet"
    owned = document_list(profile["owned"], "Documents they own or wrote",
                          "They own no documents.")  # fmt: skip
    meetings = document_list(profile["meetings"], "Meetings and talks, with their part",
                             "They appear in no meetings.")  # fmt: skip
    also = f'<div class="kn-meta">Also known as: {esc(aliases)}</div>' if aliases else ""
    last = profile.get("last_active")
    active = f'<div class="kn-meta">Last active: {esc(last)}</div>' if last else ""
    return f"""
<article class="kn-person" aria-label="{esc(profile['name'])}">
  <h2>{esc(profile['name'])}</h2>
  <div class="kn-meta">Team: {esc(teams)}</div>
  {also}
  {active}
  <div class="kn-topics-line">Topics: {topics}</div>
  <div class="kn-columns">{owned}{meetings}</div>
</article>"""


def directory_html(people: list[dict[str, Any]]) -> str:
    """Everyone with evidence: name (linked), teams and how many documents."""
    if not people:
        return message("Nobody yet: ingest documents with owners, authors or speakers.")
    rows = "".join(
        f"<tr><td>{person_link(p['name'], p['id'])}</td><td>{esc(', '.join(p['teams']))}</td>"
        f"<td>{p['documents']}</td></tr>"
        for p in people
    )
    return ('<table class="kn-table"><caption>People directory</caption><thead><tr>'
            '<th scope="col">Name</th><th scope="col">Teams</th><th scope="col">Documents</th>'
            f"</tr></thead><tbody>{rows}</tbody></table>")  # fmt: skip
