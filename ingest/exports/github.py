"""GitHub issues and pull requests with their comments, as JSON: the REST API's objects
(`GET /repos/{owner}/{repo}/issues`, `/pulls`, `/issues/comments`, saved to files) or `gh`'s
(`gh issue list --json number,title,body,author,createdAt,updatedAt,url,labels,comments,state`
and `gh pr list --json …`).

Each issue or pull request becomes one document at its GitHub URL: its description and every
comment are turns under their authors' logins; the author is the document's author,
assignees its owners, requested reviewers its reviewers; labels and the repository are tags.
An issue that is also listed as a pull request is one document.
"""

from __future__ import annotations

import re
from typing import Any

from kenning.ingest.exports.tree import ExportTree
from kenning.schema import Block, ParsedDocument

ISSUE_URL = re.compile(r"github\.com/(?P<repo>[^/]+/[^/]+)/(?:issues|pull)/(?P<number>\d+)")
API_ISSUE_URL = re.compile(r"/repos/(?P<repo>[^/]+/[^/]+)/(?:issues|pulls)/(?P<number>\d+)")


def _items(tree: ExportTree) -> list[tuple[str, list[dict[str, Any]]]]:
    found = []
    for name in tree.names():
        if name.lower().endswith(".json"):
            data = tree.read_json(name)
            items = data if isinstance(data, list) else [data]
            found.append((name, [i for i in items if isinstance(i, dict)]))
    return found


def _is_issue(item: dict[str, Any]) -> bool:
    return "number" in item and "title" in item and ("user" in item or "author" in item)


def _is_comment(item: dict[str, Any]) -> bool:
    return "issue_url" in item and "body" in item and "number" not in item


def matches(tree: ExportTree) -> bool:
    """JSON files of which one holds issues or pull requests (objects with a number, a
    title and an author), and none is a Slack export's."""
    names = tree.names()
    others = [n for n in names if not n.lower().endswith(".json")]
    if not names or len(others) == len(names):
        return False
    if any(not n.split("/")[-1].lower().startswith(("license", "readme")) for n in others):
        return False
    return any(any(_is_issue(i) for i in items) for _, items in _items(tree))


def _login(person: Any) -> str | None:
    if isinstance(person, dict):
        return person.get("login") or person.get("name")
    return None


def _key(item: dict[str, Any]) -> tuple[str, int] | None:
    url = str(item.get("html_url") or item.get("url") or "")
    found = ISSUE_URL.search(url) or API_ISSUE_URL.search(url)
    if found is None:
        guess = f"{item.get('repository_url', '')}/issues/{item['number']}"
        found = API_ISSUE_URL.search(guess)
    return (found["repo"], int(found["number"])) if found else None


def parse(tree: ExportTree, origin: str) -> list[ParsedDocument]:
    """Every issue and pull request of the export, with its comments.

    Args:
        tree: the export's files.
        origin: the export's path (unused: the documents' sources are their GitHub URLs).
    """
    issues: dict[tuple[str, int], dict[str, Any]] = {}
    comments: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for _, items in _items(tree):
        for item in items:
            if _is_comment(item):
                found = API_ISSUE_URL.search(item["issue_url"])
                if found:
                    key = (found["repo"], int(found["number"]))
                    comments.setdefault(key, []).append(item)
            elif _is_issue(item) and (key := _key(item)) is not None:
                merged = issues.setdefault(key, {})
                merged.update({k: v for k, v in item.items() if v not in (None, "", [])})
    for key in comments.keys() - issues.keys():  # comments exported without their issue
        issues[key] = {"number": key[1], "title": "comments"}
    return [_document(key, item, comments.get(key, [])) for key, item in sorted(issues.items())]


def _document(
    key: tuple[str, int], item: dict[str, Any], comments: list[dict[str, Any]]
) -> ParsedDocument:
    repo, number = key
    is_pr = "pull_request" in item or "merged" in item or "/pull/" in str(item.get("url", ""))
    noun = "PR" if is_pr else "issue"
    url = f"https://github.com/{repo}/{'pull' if is_pr else 'issues'}/{number}"
    author = _login(item.get("user") or item.get("author"))
    title = f"{repo}#{number}: {item.get('title', '')}"
    turns = [(author or "unknown", item.get("body") or "",
              item.get("created_at") or item.get("createdAt"))]  # fmt: skip
    inline = item.get("comments") if isinstance(item.get("comments"), list) else []
    for comment in [*inline, *comments]:
        who = _login(comment.get("user") or comment.get("author")) or "unknown"
        turns.append((who, comment.get("body") or "",
                      comment.get("created_at") or comment.get("createdAt")))  # fmt: skip
    turns.sort(key=lambda t: str(t[2] or ""))
    blocks = [Block(text=body.strip(), heading_path=(title, f"{who} on {str(when)[:10]}"))
              for who, body, when in turns if body.strip()]  # fmt: skip
    if not blocks:
        blocks = [Block(text=item.get("title", ""), heading_path=(title,))]
    labels = [lab.get("name") if isinstance(lab, dict) else str(lab)
              for lab in item.get("labels") or []]  # fmt: skip
    commenters = list(dict.fromkeys(who for who, body, _ in turns[1:] if who != author))
    meta: dict[str, Any] = {
        "author": author, "participants": commenters,
        "owners": [_login(a) for a in item.get("assignees") or [] if _login(a)],
        "reviewers": [_login(r) for r in item.get("requested_reviewers") or [] if _login(r)],
        "created": item.get("created_at") or item.get("createdAt"),
        "updated": item.get("updated_at") or item.get("updatedAt"),
        "tags": ["github", repo, noun.lower(), *[lab for lab in labels if lab]],
        "state": str(item.get("state", "")).lower(), "url": url, "export": "github",
    }  # fmt: skip
    meta = {k: v for k, v in meta.items() if v not in (None, "", [])}
    return ParsedDocument(source=url, title=title, blocks=blocks, kind="document", meta=meta)
