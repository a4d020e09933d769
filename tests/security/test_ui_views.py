"""The UI's views, in process: each tab reads through the signed-in user's service, so the
restricted document shows only for a user with its group (the browser test does it for real)."""

from __future__ import annotations

import gradio as gr
import pytest
from fastapi.testclient import TestClient
from security.restricted import FINANCE_MARKER, FINANCE_TITLE, HR_MARKER, SECRET_OWNER

from kenning.qa.service import QAService
from kenning.ui import catalog
from kenning.ui.access import UserServices
from kenning.ui.explore import overview_html, refresh
from kenning.ui.library import gap_rows
from kenning.ui.pages import directory_html, person_html, topics_html
from kenning.ui.people import find_people


def user_service(client: TestClient, name: str | None) -> QAService:
    """The service the UI would use for a Gradio event of this signed-in user."""
    services = UserServices(client.app.state.service, client.app.state.auth)
    return services(gr.Request(username=name))


def everything(service: QAService) -> str:
    """The HTML and rows of every view the tabs build."""
    store = service.parts.store
    profiles = [catalog.person_profile(service, p.id) for p in store.people()]
    parts = [
        overview_html(service), topics_html(catalog.topics(service)),
        str(catalog.document_table(service)), str(catalog.build_catalog(service)),
        directory_html(service.reader.people()), find_people(service, f"{FINANCE_MARKER} price"),
        str(gap_rows(service)), str(refresh(service, None, None, None)),
        *(person_html(p) for p in profiles if p),
    ]  # fmt: skip
    return "\n".join(parts)


@pytest.mark.parametrize("name", ["paul", "nobody-signed-in", None])
def test_views_hide_the_restricted_document(client: TestClient, name: str | None) -> None:
    shown = everything(user_service(client, name))
    for marker in (FINANCE_MARKER, FINANCE_TITLE, SECRET_OWNER, HR_MARKER):
        assert marker not in shown.replace(f"{FINANCE_MARKER} price", ""), (name, marker)


def test_views_show_it_to_its_group(client: TestClient) -> None:
    shown = everything(user_service(client, "fiona"))
    assert FINANCE_TITLE in shown and SECRET_OWNER in shown
    assert HR_MARKER not in shown


def test_the_library_refuses_writes_to_non_admins(client: TestClient) -> None:
    service = user_service(client, "fiona")
    some_id = next(iter(service.parts.store.sources()))
    with pytest.raises(Exception, match="admin"):
        service.delete(some_id)
    assert service.parts.store.document(some_id) is not None
