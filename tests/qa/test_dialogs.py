"""Conversations on the demo through every interface: Python, `/v1/ask` and
`/v1/chat/completions`. Each turn names the expected source and answer text
(found in the answer or the passages it cites); topic switches must not be rewritten."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from kenning.api.app import create_app

DIALOGS = [json.loads(line) for line in
           (Path(__file__).parents[1] / "data" / "dialogs" / "demo.jsonl").read_text().splitlines()
           if line.strip()]  # fmt: skip
PASS_SHARE = 0.9  # measured: 35 of 37 turns (the misses: a standalone first turn's retrieval,
# and "how do I page him?" finding the on-call policy rather than the runbook)


def judge(turn: dict, answer: str, citations: list[dict], rewritten: str | None) -> bool:
    wanted = turn["source"] if isinstance(turn["source"], list) else [turn["source"]]
    source = any(w in c["source"] for c in citations for w in wanted)
    text = turn["contains"].lower()
    found = text in answer.lower() or any(text in c["text"].lower() for c in citations)
    if turn.get("standalone"):
        assert rewritten == turn["q"], "a topic switch carried the old subject"
    return source and found


def run_python(kb, question: str, history: list[dict]) -> tuple[str, list[dict], str | None]:
    response = kb.ask(question, history=history or None).to_dict()
    return response["answer"], response["citations"], response["rewritten_question"]


def run_ask(client, question: str, history: list[dict]) -> tuple[str, list[dict], str | None]:
    body = client.post("/v1/ask", json={"question": question, "history": history}).json()
    return body["answer"], body["citations"], body["rewritten_question"]


def run_chat(client, question: str, history: list[dict]) -> tuple[str, list[dict], str | None]:
    messages = [{"role": "system", "content": "Be brief."}, *history,
                {"role": "user", "content": question}]  # fmt: skip
    body = client.post("/v1/chat/completions", json={"messages": messages}).json()
    answer = body["choices"][0]["message"]["content"]
    return answer, body["kenning"]["citations"], body["kenning"]["rewritten_question"]


@pytest.mark.slow
@pytest.mark.parametrize("interface", ["python", "ask", "chat"])
def test_demo_dialogs(demo_kb, interface) -> None:
    client = TestClient(create_app(kb=demo_kb, ui=False))
    run = {"python": lambda q, h: run_python(demo_kb, q, h),
           "ask": lambda q, h: run_ask(client, q, h),
           "chat": lambda q, h: run_chat(client, q, h)}[interface]  # fmt: skip
    passed, turns, failures = 0, 0, []
    for dialog in DIALOGS:
        history: list[dict] = []
        for turn in dialog["turns"]:
            answer, citations, rewritten = run(turn["q"], history)
            ok = judge(turn, answer, citations, rewritten)
            passed += ok
            turns += 1
            if not ok:
                failures.append((dialog["id"], turn["q"], rewritten))
            history += [{"role": "user", "content": turn["q"]},
                        {"role": "assistant", "content": answer}]  # fmt: skip
    assert len(DIALOGS) >= 15 and turns >= 35
    assert passed >= PASS_SHARE * turns, failures


@pytest.mark.slow
def test_the_issues_examples(demo_kb) -> None:
    first = demo_kb.ask("How do we fail over the payments database?")
    history = [{"role": "user", "content": "How do we fail over the payments database?"},
               {"role": "assistant", "content": first.answer}]  # fmt: skip
    owner = demo_kb.ask("and who owns it?", history=history)
    assert owner.rewritten_question == "who owns the payments database?"
    # The owner is named in the answer or is the first person to ask.
    assert not owner.abstained and owner.experts
    assert "Jonas Becker" in owner.answer or owner.experts[0].name == "Jonas Becker"
    assert owner.experts[0].name == "Jonas Becker"  # who-to-ask follows the conversation
    typo = demo_kb.ask("how do i depoly a servise to prodution")
    assert typo.corrected_question == "how do i deploy a service to production"
    assert not typo.abstained
    assert "deploying-to-production" in typo.citations[0].source
