"""Slack workspace exports (the official JSON export: `users.json`, `channels.json`, and a
folder of `YYYY-MM-DD.json` day files per channel).

A thread (a parent message and its replies, which may fall on later days) becomes one
document; the other messages of a channel-day become another. Messages are speaker turns
under their authors' names from `users.json` (a user missing from it keeps the name in the
message's `user_profile`, else the id); `<@U…>` mentions are resolved the same way, and
`<url|label>` links kept as `label (url)`. The channel gives a tag (`#channel`), and each
turn's start is seconds since the document's first message. Joins, leaves and bot posts
are left out: they are noise, and a bot is no one to ask.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from kenning.ingest.exports.tree import ExportTree
from kenning.schema import Block, ParsedDocument

DAY_FILE = re.compile(r"^(?P<channel>[^/]+)/(?P<day>\d{4}-\d{2}-\d{2})\.json$")
SKIPPED_SUBTYPES = frozenset({"channel_join", "channel_leave", "bot_message", "bot_add",
                              "bot_remove", "channel_purpose", "channel_topic", "channel_name",
                              "pinned_item", "tombstone", "thread_broadcast"})  # fmt: skip
MENTION = re.compile(r"<@(?P<id>[UW][A-Z0-9]+)(?:\|(?P<label>[^>]+))?>")
LINK = re.compile(r"<(?P<url>(?:https?|mailto):[^|>]+)(?:\|(?P<label>[^>]+))?>")
SPECIAL = re.compile(r"<!(?P<what>here|channel|everyone)[^>]*>")
CHANNEL_REF = re.compile(r"<#[CG][A-Z0-9]+\|(?P<name>[^>]+)>")


def matches(tree: ExportTree) -> bool:
    """A Slack export: `channels.json` and `users.json` (or day files) at its root."""
    return tree.exists("channels.json") and (
        tree.exists("users.json") or any(DAY_FILE.match(n) for n in tree.names())
    )


def user_names(tree: ExportTree) -> dict[str, str]:
    """Display names by user id: real name, else display name, else handle."""
    names: dict[str, str] = {}
    users = tree.read_json("users.json") if tree.exists("users.json") else []
    for user in users if isinstance(users, list) else []:
        profile = user.get("profile") or {}
        name = (user.get("real_name") or profile.get("real_name") or profile.get("display_name")
                or user.get("name"))  # fmt: skip
        if user.get("id") and name:
            names[user["id"]] = str(name)
    return names


def clean_text(text: str, names: dict[str, str]) -> str:
    """Slack's markup as plain text: mentions by name, links with their labels."""
    text = MENTION.sub(lambda m: "@" + names.get(m["id"], m["label"] or m["id"]), text)
    text = LINK.sub(lambda m: f"{m['label']} ({m['url']})" if m["label"] else m["url"], text)
    text = SPECIAL.sub(lambda m: "@" + m["what"], text)
    text = CHANNEL_REF.sub(lambda m: "#" + m["name"], text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def message_text(message: dict[str, Any], names: dict[str, str]) -> str:
    """A message's text, with its shared files' titles and comments."""
    parts = [message.get("text") or ""]
    for file in message.get("files") or ([message["file"]] if message.get("file") else []):
        if isinstance(file, dict) and (file.get("title") or file.get("name")):
            parts.append(f"[file: {file.get('title') or file.get('name')}]")
    comment = message.get("comment")
    if isinstance(comment, dict) and comment.get("comment"):
        parts.append(comment["comment"])
    return clean_text("\n".join(p for p in parts if p), names)


def author(message: dict[str, Any], names: dict[str, str]) -> str:
    """Who wrote a message, by name where the export knows it."""
    user = message.get("user") or (message.get("comment") or {}).get("user") or ""
    profile = message.get("user_profile") or {}
    return names.get(user) or profile.get("real_name") or profile.get("name") or user or "unknown"


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).date().isoformat()


def parse(tree: ExportTree, origin: str) -> list[ParsedDocument]:
    """Every thread and channel-day of a Slack export as a conversation document.

    Args:
        tree: the export's files.
        origin: the export's path, which the documents' sources name.
    """
    names = user_names(tree)
    threads: dict[tuple[str, str], list[dict[str, Any]]] = {}
    days: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for name in tree.names():
        found = DAY_FILE.match(name)
        messages = tree.read_json(name) if found else None
        if not isinstance(messages, list):
            continue
        channel = found["channel"]
        for message in messages:
            if not isinstance(message, dict) or message.get("subtype") in SKIPPED_SUBTYPES:
                continue
            if not message.get("ts") or not message_text(message, names):
                continue
            thread = message.get("thread_ts")
            if thread and (thread != message["ts"] or message.get("reply_count")):
                threads.setdefault((channel, thread), []).append(message)
            else:
                days.setdefault((channel, found["day"]), []).append(message)
    documents = []
    for (channel, thread), messages in sorted(threads.items()):
        first = next((m for m in messages if m["ts"] == thread), messages[0])
        title = f"#{channel} thread: {_title(message_text(first, names))}"
        documents.append(_document(f"{origin}#{channel}/{thread}", title, channel, messages,
                                   names, thread=thread))  # fmt: skip
    for (channel, day), messages in sorted(days.items()):
        documents.append(_document(f"{origin}#{channel}/{day}", f"#{channel} on {day}",
                                   channel, messages, names))  # fmt: skip
    return documents


def _title(text: str, words: int = 10) -> str:
    first = " ".join(text.split()[:words])
    return first + ("…" if len(text.split()) > words else "")


def _document(
    key: str, title: str, channel: str, messages: list[dict[str, Any]], names: dict[str, str],
    thread: str | None = None,
) -> ParsedDocument:
    messages = sorted(messages, key=lambda m: float(m["ts"]))
    begin = float(messages[0]["ts"])
    blocks = [
        Block(text=message_text(m, names), speaker=author(m, names),
              start=round(float(m["ts"]) - begin, 3), end=round(float(m["ts"]) - begin, 3))
        for m in messages
    ]  # fmt: skip
    meta: dict[str, Any] = {
        "created": _day(begin), "updated": _day(float(messages[-1]["ts"])),
        "tags": ["slack", f"#{channel}"], "channel": channel, "export": "slack",
        "first_ts": messages[0]["ts"],
    }  # fmt: skip
    if thread:
        meta["thread_ts"] = thread
    return ParsedDocument(source=f"slack://{key}", title=title, blocks=blocks, kind="meeting",
                          meta=meta)  # fmt: skip
