"""Slack and GitHub exports: the real samples in ../shared/data/exports (see its README), plus
format-exact fixtures for what they lack (Slack threads, `gh --json` output)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support import ROOT

from kenning import KnowledgeBase
from kenning.ingest.exports import export_format, parse_export

EXPORTS = ROOT.parent / "shared" / "data" / "exports"
SLACK = EXPORTS / "slack" / "slack-export-viewer"
SLACK_MODERN = EXPORTS / "slack" / "langchain-community" / "slack_export.zip"
GITHUB = EXPORTS / "github" / "github-to-sqlite" / "tests"
DATA = Path(__file__).parent / "data"

# The real samples sit beside the repository (../shared/data/exports); the fixtures built
# from the format documentation are in tests/ingest/exports/data and always run.
samples = pytest.mark.skipif(not EXPORTS.is_dir(), reason="needs ../shared/data/exports")


@pytest.mark.parametrize(("path", "expected"), [
    pytest.param(SLACK / "testarchive", "slack", marks=samples),
    pytest.param(SLACK / "testarchive.zip", "slack", marks=samples),
    pytest.param(SLACK_MODERN, "slack", marks=samples),
    pytest.param(GITHUB, "github", marks=samples),
    pytest.param(GITHUB.parent, "github", marks=samples),
    pytest.param(EXPORTS / "notion", None, marks=samples),
    (DATA / "slack_threads", "slack"), (DATA / "gh_json", "github"),
    (ROOT / "tests" / "data" / "good", None),
])  # fmt: skip
def test_exports_are_recognised(path: Path, expected: str | None) -> None:
    assert export_format(path) == expected


@samples
def test_slack_export_days_become_conversations() -> None:
    folder = parse_export(SLACK / "testarchive")
    zipped = parse_export(SLACK / "testarchive.zip")
    assert [d.blocks for d in folder] == [d.blocks for d in zipped]
    day = next(d for d in folder if d.source.endswith("#enrique/2016-01-14"))
    assert day.title == "#enrique on 2016-01-14" and day.kind == "meeting"
    assert day.meta["tags"] == ["slack", "#enrique"] and day.meta["created"].startswith("2016-01")
    # Speakers by their names from users.json; mentions resolved; timings in seconds.
    first = day.blocks[0]
    assert first.speaker == "Hamza Faran"
    assert first.text.startswith("@Harry Potter: Created an issue for a setup.py")
    assert first.start == 0 and day.blocks[1].start > 0
    every = [b for d in folder for b in d.blocks]
    assert all(b.speaker and b.text for b in every)
    assert not any("has joined the channel" in b.text for b in every)  # joins left out
    assert not any("<@U" in b.text for b in every)


@samples
def test_slack_user_missing_from_users_json_keeps_the_profile_name() -> None:
    documents = parse_export(SLACK_MODERN)
    speakers = {b.speaker for d in documents for b in d.blocks}
    assert speakers == {"Example User"}  # from user_profile; users.json lacks U0500003428


def test_slack_thread_is_one_document_across_days() -> None:
    documents = parse_export(DATA / "slack_threads")
    thread = next(d for d in documents if d.source.endswith("#incidents/1700000000.000100"))
    assert thread.title.startswith("#incidents thread: Payments API is returning 502")
    assert [b.speaker for b in thread.blocks] == ["Priya Raman", "Tom Okafor", "Priya Raman"]
    assert "runbook (https://wiki.example.com/payments)" in thread.blocks[1].text
    assert thread.meta["created"] == "2023-11-14" and thread.meta["updated"] == "2023-11-15"
    day = next(d for d in documents if d.source.endswith("#incidents/2023-11-14"))
    assert [b.text for b in day.blocks] == ["Standup moved to 10:30 @here"]


@samples
def test_github_rest_export_issues_prs_and_comments() -> None:
    documents = {d.source: d for d in parse_export(GITHUB)}
    issue = documents["https://github.com/simonw/datasette/issues/572"]
    assert issue.title.startswith("simonw/datasette#572: ")
    assert issue.meta["author"] == "simonw" and issue.meta["created"] == "2019-09-04T22:19:22Z"
    assert "issue" in issue.meta["tags"] and "simonw/datasette" in issue.meta["tags"]
    # #571 is listed as an issue and as a pull request: one document, a PR.
    pr = documents["https://github.com/simonw/datasette/pull/571"]
    assert "pr" in pr.meta["tags"] and pr.blocks[0].text.startswith("Fixes #570")
    assert not any("issues/571" in source for source in documents)
    # Comments exported without their issue still make a document, commenters as people.
    comments = documents["https://github.com/dogsheep/github-to-sqlite/issues/3"]
    assert comments.meta["participants"]
    assert all(b.heading_path[1].split(" on ")[0] for b in comments.blocks)


def test_gh_json_export() -> None:
    (issue,) = parse_export(DATA / "gh_json")
    assert issue.source == "https://github.com/acme/payments/issues/42"
    assert issue.meta["author"] == "priya" and issue.meta["participants"] == ["tom"]
    assert issue.meta["owners"] == ["tom"] and "incident" in issue.meta["tags"]
    assert [b.heading_path[1] for b in issue.blocks] == ["priya on 2024-03-01", "tom on 2024-03-02"]


@samples
def test_exports_ingest_with_people_and_skip_when_unchanged(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    slack = tmp_path / "slack"
    shutil.copytree(DATA / "slack_threads", slack)
    report = kb.ingest([slack, GITHUB])
    assert not report.failed and report.count("added") == 2 + 4
    hits = kb.search("payments 502 runbook failover", k=3)
    assert hits[0].source.startswith("slack://") and hits[0].title.startswith("#incidents thread")
    assert "Priya Raman" in hits[0].speakers
    people = kb.qa.reader.document(hits[0].document_id)["people"]
    assert {(p["name"], p["role"]) for p in people} == {("Priya Raman", "speaker"),
                                                       ("Tom Okafor", "speaker")}  # fmt: skip
    assert kb.search("detect_fts alternative table escaping", k=1)[0].source.endswith("/pull/571")
    again = kb.ingest([slack, GITHUB])
    assert again.count("unchanged") == 6 and not again.count("added")
    # A new reply changes the thread, and only the thread.
    day = slack / "incidents" / "2023-11-15.json"
    messages = json.loads(day.read_text())
    messages.append({"type": "message", "user": "U02TOM", "text": "Closing this out.",
                     "ts": "1700060000.000400", "thread_ts": "1700000000.000100"})  # fmt: skip
    day.write_text(json.dumps(messages))
    third = kb.ingest([slack])
    assert third.count("updated") == 1 and third.count("unchanged") == 1
