"""The UI enforces the same principals as the API: a real `kenning serve` with API keys, driven
by Debian's Chromium through Playwright, signing in with a key at /login."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from security.restricted import (
    API_KEYS,
    FINANCE_MARKER,
    FINANCE_TITLE,
    HR_MARKER,
    KEYS,
    SECRET_OWNER,
    add_restricted,
)
from support import CHROMIUM, CHROMIUM_ARGS, GOOD, ensure_chromium, served

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
TIMEOUT_MS = 60_000
QUESTION = f"What is the price of the {FINANCE_MARKER} acquisition?"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`kenning serve` over the restricted corpus (hashing embedder), with API keys."""
    root = tmp_path_factory.mktemp("ui-access")
    corpus = root / "corpus"
    shutil.copytree(GOOD, corpus)
    add_restricted(corpus)
    home = root / "kb"
    env = {**os.environ, "KENNING_GIT_HISTORY": "false", "HF_HUB_OFFLINE": "1",
           "GRADIO_ANALYTICS_ENABLED": "False", "DO_NOT_TRACK": "true",
           "KENNING_EMBEDDING_MODEL": "hash", "KENNING_ABSTAIN_THRESHOLD": "0.05",
           "KENNING_API_KEYS": json.dumps(API_KEYS)}  # fmt: skip
    subprocess.run([sys.executable, "-m", "kenning", "ingest", str(corpus), "--kb", str(home)],
                   env=env, check=True, capture_output=True, cwd=ROOT)  # fmt: skip
    with served(home, env, root / "server.log") as base:
        yield base
    server_log = (root / "server.log").read_text()
    for key in KEYS.values():
        assert key not in server_log, "an API key reached the server log"


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Browser]:
    ensure_chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def signed_in(browser: Browser, server: str, who: str) -> Page:
    """A fresh browser profile signed in with one of the test keys, on the Ask tab."""
    context = browser.new_context(viewport={"width": 1366, "height": 900}, base_url=server)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto("/ui/")
    assert "/login" in page.url  # signed out: the UI sends the browser to the sign-in form
    page.locator("#key").fill(KEYS[who])
    page.locator("#kn-sign-in").click()
    page.locator("#kn-question").get_by_role("textbox").wait_for()
    return page


def open_tab(page: Page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    page.wait_for_function(
        "name => [...document.querySelectorAll('[role=tab]')]"
        ".some(t => t.textContent.trim() === name && t.getAttribute('aria-selected') === 'true')",
        arg=name,
    )


def everything_shown(page: Page) -> str:
    """Ask the question, then visit every tab; the text of the whole app afterwards."""
    box = page.locator("#kn-question").get_by_role("textbox")
    box.fill(QUESTION)
    box.press("Enter")
    page.wait_for_selector("#kn-answer")
    page.locator("#kn-sources").wait_for()
    shown = [page.locator("body").inner_text()]
    open_tab(page, "Explore")
    page.locator("#kn-recent li").first.wait_for()
    shown.append(page.locator("body").inner_text())
    open_tab(page, "People")
    page.locator("#kn-directory li, #kn-directory a").first.wait_for()
    topic = page.locator("#kn-topic").get_by_role("textbox")
    topic.fill(QUESTION)
    topic.press("Enter")
    page.locator("#kn-found .kn-expert").first.wait_for()
    shown.append(page.locator("body").inner_text())
    open_tab(page, "Library")
    page.locator("#kn-documents").get_by_text("Cache flush runbook").filter(
        visible=True
    ).first.wait_for()
    shown.append(page.locator("body").inner_text())
    # The question the user typed is echoed back (and listed among their own questions).
    return "\n".join(shown).replace(QUESTION, "<question>")


def test_signed_out_browsers_get_the_login_form_and_a_bad_key_is_refused(
    browser: Browser, server: str
) -> None:
    assert httpx.get(f"{server}/ui/config", timeout=30).status_code == 401
    context = browser.new_context(base_url=server)
    page = context.new_page()
    page.goto("/ui/")
    page.locator("#key").fill("not-a-key-0123456789abcdef")
    page.locator("#kn-sign-in").click()
    page.get_by_role("alert").wait_for()
    assert "not valid" in page.get_by_role("alert").inner_text()
    assert "/login" in page.url
    context.close()


def test_a_user_without_the_group_never_sees_the_restricted_document(
    browser: Browser, server: str
) -> None:
    page = signed_in(browser, server, "public")
    shown = everything_shown(page)
    assert "Signed in as paul" in shown
    for marker in (FINANCE_MARKER, FINANCE_TITLE, SECRET_OWNER, HR_MARKER):
        assert marker not in shown, f"the UI showed {marker!r} to a user without its group"
    # Nor through the source link the UI would use, with the browser's own cookie.
    store_ids = page.context.request.get(f"{server}/v1/documents?limit=500").json()
    assert FINANCE_TITLE not in json.dumps(store_ids)
    page.context.close()


def test_a_user_with_the_group_sees_it(browser: Browser, server: str) -> None:
    page = signed_in(browser, server, "finance")
    shown = everything_shown(page)
    assert FINANCE_MARKER in shown and FINANCE_TITLE in shown and SECRET_OWNER in shown
    assert HR_MARKER not in shown
    # The citation's source link opens with the sign-in cookie.
    link = page.locator("#kn-sources a.kn-open").first.get_attribute("href")
    assert link and page.context.request.get(f"{server}{link}").status == 200
    page.context.close()
