"""The HTTP API through TestClient: every route, its errors and its contract."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kenning.api.app import create_app

HIT_FIELDS = {"rank", "score", "document_id", "title", "source", "kind", "text", "location",
              "start", "end", "speakers", "lang"}  # fmt: skip


@pytest.fixture
def client(good_kb):
    kb, _ = good_kb
    kb.settings.abstain_threshold = 0.05  # the hashing embedder's similarities are low
    with TestClient(create_app(kb=kb, ui=False)) as test_client:
        yield test_client


def test_ask_returns_the_contract(client) -> None:
    response = client.post("/v1/ask", json={"question": "Why did the wombat batch job fail?"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"answer", "citations", "experts", "abstained", "timings_ms", "answerer",
                         "rewritten_question", "corrected_question"}
    assert body["answerer"] == "extractive" and not body["abstained"]
    assert body["citations"] and set(body["citations"][0]) == HIT_FIELDS | {"n", "highlights"}
    # The spans the answer quotes, as the cited passage has them (the UI shows them in bold).
    assert body["citations"][0]["highlights"]
    assert all(h in c["text"] for c in body["citations"] for h in c["highlights"])
    assert "[1]" in body["answer"]
    assert "Bob Stone" in {e["name"] for e in body["experts"]}
    assert body["timings_ms"]["total"] > 0


def test_every_answer_sentence_cites_a_passage(client) -> None:
    body = client.post("/v1/ask", json={"question": "How do I verify the cache flush?"}).json()
    numbers = {c["n"] for c in body["citations"]}
    assert numbers, body
    # The answer is nothing but sentences each closed by a marker: no uncited text.
    assert re.fullmatch(r"(?:[^\[\]]+ \[\d+\]\s*)+", body["answer"]), body["answer"]
    assert {int(n) for n in re.findall(r"\[(\d+)\]", body["answer"])} == numbers


def test_ask_streams_server_sent_events(client) -> None:
    with client.stream("POST", "/v1/ask", json={"question": "wombat", "stream": True}) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        text = "".join(r.iter_text())
    events = [block.split("\n")[0] for block in text.strip().split("\n\n")]
    assert events[0] == "event: token" and events[-1] == "event: answer"
    final = json.loads(text.strip().split("\n\n")[-1].split("data: ", 1)[1])
    assert "citations" in final


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"question": ""}, "question"),
        ({"question": "x" * 5000}, "question"),
        ({"question": "ok?", "k": 0}, "k"),
        ({"question": "ok?", "k": 500}, "k"),
        ({"question": "ok?", "filters": {"colour": "red"}}, "unknown filter colour"),
        ({"question": "ok?", "filters": {"kind": "memo"}}, "unknown kind 'memo'"),
        ({"question": "ok?", "answerer": "llm"}, "needs an LLM configured"),
        ({"question": "ok?", "surprise": 1}, "surprise"),
    ],
)
def test_invalid_ask_gets_a_4xx_that_says_what_is_wrong(client, body, message) -> None:
    response = client.post("/v1/ask", json=body)
    assert response.status_code == 422
    assert message in response.json()["error"]["message"]


def test_errors_are_written_in_the_question_s_or_the_reader_s_language(client) -> None:
    french = "Comment basculer la base de données des paiements vers le site de secours ? "
    refused = client.post("/v1/ask", json={"question": french * 30})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "question_too_long"
    assert refused.json()["error"]["message"].startswith("la question fait 2279 caractères")
    # Nothing to tell a language by: the one the request's Accept-Language prefers.
    blank = {"question": "   "}
    in_french = client.post("/v1/ask", json=blank, headers={"Accept-Language": "fr-CH, en;q=0.5"})
    assert in_french.json()["error"] == {"message": "la question est vide",
                                         "type": "invalid_request", "code": "question_empty"}
    assert client.post("/v1/ask", json=blank).json()["error"]["message"] == "question is empty"
    missing = client.get("/v1/documents/nope", headers={"Accept-Language": "fr"})
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "aucun document n'a l'identifiant 'nope'"
    bad_filter = client.post("/v1/search", headers={"Accept-Language": "fr"},
                             json={"query": "cache", "filters": {"date_from": "demain"}})
    assert bad_filter.json()["error"]["message"] == (
        "le filtre date_from doit être une date comme 2026-03-31, pas 'demain'")


def test_search_and_filters(client) -> None:
    body = client.post("/v1/search", json={"query": "standup", "k": 3,
                                           "filters": {"kind": ["transcript"]}}).json()
    assert body["hits"] and all(h["kind"] == "transcript" for h in body["hits"])
    assert all(set(h) == HIT_FIELDS for h in body["hits"])


def test_experts_people_and_person_pages(client) -> None:
    experts = client.get("/v1/experts", params={"topic": "cache flush runbook"}).json()
    assert experts["experts"][0]["name"] == "Jane Doe"
    assert experts["experts"][0]["reasons"]
    people = client.get("/v1/people").json()["people"]
    assert {"jane-doe", "bob-stone", "carla-diaz"} <= {p["id"] for p in people}
    jane = client.get("/v1/people/jane-doe").json()
    assert "Cache flush runbook" in {d["title"] for d in jane["documents"]}
    assert "Standup" in {m["title"] for m in jane["meetings"]}  # the file standup.srt
    assert {"topic": "runbook", "documents": 1} in jane["topics"]
    assert client.get("/v1/people/nobody").status_code == 404


def test_documents_list_get_delete(client) -> None:
    listing = client.get("/v1/documents", params={"kind": "meeting"}).json()
    assert listing["total"] == 1 and listing["documents"][0]["title"] == "Sprint planning"
    page = client.get("/v1/documents", params={"limit": 2, "offset": 2}).json()
    assert len(page["documents"]) == 2 and page["total"] > 4
    runbook = next(d for d in client.get("/v1/documents", params={"limit": 100}).json()
                   ["documents"] if d["title"] == "Cache flush runbook")  # fmt: skip
    assert runbook["owners"] == ["Jane Doe"] and runbook["review_by"] == "2025-12-01"
    detail = client.get(f"/v1/documents/{runbook['id']}").json()
    assert detail["chunks"] and detail["people"]
    assert client.delete(f"/v1/documents/{runbook['id']}").status_code == 200
    assert client.get(f"/v1/documents/{runbook['id']}").status_code == 404
    assert client.delete(f"/v1/documents/{runbook['id']}").status_code == 404


def test_upload_ingests_and_reports(client, tmp_path: Path) -> None:
    files = [
        ("files", ("../../evil name.md", b"# Heron notes\nThe heron migration is on Tuesday.\n",
                   "text/markdown")),
        ("files", ("empty.md", b"", "text/markdown")),
    ]  # fmt: skip
    report = client.post("/v1/documents", files=files).json()
    statuses = {Path(f["path"]).name: f["status"] for f in report["files"]}
    assert statuses == {"evil name.md": "added", "empty.md": "failed"}
    hits = client.post("/v1/search", json={"query": "heron migration"}).json()["hits"]
    assert hits[0]["title"] == "Heron notes"
    assert "/uploads/" in hits[0]["source"]


def test_feedback_and_stats_report_gaps(client) -> None:
    client.post("/v1/ask", json={"question": "zzzz qqqq unanswerable?"})
    assert client.post("/v1/feedback", json={"question": "q", "helpful": False,
                                             "comment": "wrong person"}).json()["stored"]
    stats = client.get("/v1/stats").json()
    assert stats["documents_by_kind"]["transcript"] >= 3
    assert "Cache flush runbook" in {d["title"] for d in stats["stale_documents"]}
    assert stats["questions"]["asked"] >= 1
    assert stats["feedback"]["unhelpful"] == 1
    assert stats["feedback"]["recent"][0]["comment"] == "wrong person"
    assert client.get("/healthz").json()["status"] == "ok"


def test_openai_compatible_chat_completions(client) -> None:
    body = {"model": "kenning", "messages": [{"role": "user", "content": "wombat batch job"}]}
    reply = client.post("/v1/chat/completions", json=body).json()
    content = reply["choices"][0]["message"]["content"]
    assert "Sources:" in content and "[1]" in content
    body["stream"] = True
    with client.stream("POST", "/v1/chat/completions", json=body) as r:
        text = "".join(r.iter_text())
    assert text.strip().endswith("data: [DONE]")
    chunks = [json.loads(line[6:]) for line in text.splitlines()
              if line.startswith("data: {")]  # fmt: skip
    streamed = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert "Sources:" in streamed


def test_openapi_docs_are_served(client) -> None:
    schema = client.get("/openapi.json").json()
    assert {"/v1/ask", "/v1/search", "/v1/experts", "/v1/people", "/v1/documents",
            "/v1/feedback", "/v1/stats", "/v1/chat/completions"} <= set(schema["paths"])
    assert client.get("/docs").status_code == 200


def test_unknown_route_is_json(client) -> None:
    response = client.get("/v1/nothing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"


def test_ask_takes_a_bounded_history(client) -> None:
    history = [{"role": "user", "content": "Why did the wombat batch job fail?"},
               {"role": "assistant", "content": "The cache filled up. [1]"}]  # fmt: skip
    body = client.post("/v1/ask", json={"question": "and who fixed it?", "history": history})
    assert body.status_code == 200, body.text
    assert body.json()["rewritten_question"] != "and who fixed it?"
    too_many = [{"role": "user", "content": "x"}] * 21
    refused = client.post("/v1/ask", json={"question": "why?", "history": too_many})
    assert refused.status_code == 422 and "KENNING_MAX_HISTORY_TURNS" in refused.text
    wrong = client.post("/v1/ask", json={"question": "why?",
                                         "history": [{"role": "system", "content": "x"}]})
    assert wrong.status_code == 422


def test_chat_completions_reads_earlier_messages_as_history(client) -> None:
    messages = [{"role": "user", "content": "Why did the wombat batch job fail?"},
                {"role": "assistant", "content": "The cache filled up. [1]\n\nSources:\n[1] x"},
                {"role": "user", "content": "and who fixed it?"}]  # fmt: skip
    body = client.post("/v1/chat/completions", json={"messages": messages}).json()
    assert "wombat" in body["kenning"]["rewritten_question"]
