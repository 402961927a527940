"""A message belongs to the response that caused it: the next swap or page replaces it."""

from __future__ import annotations

import re

from sip.models import CredentialAttachment
from sip.models import CredentialList
from sip.models import Purpose
from tests.conftest import HTMX


def messages_area(html: str) -> str | None:
    """The out-of-band messages area of an HTMX answer, or None when the answer has none."""
    match = re.search(r'<div id="messages"[^>]*hx-swap-oob="true"[^>]*>(.*?)</div>', html, re.S)
    return match.group(1) if match else None


def test_success_message_comes_with_its_own_response_only(admin_client, account):
    lists = f"/o/acme/accounts/{account.pk}/credential-lists/"
    added = admin_client.post(f"{lists}new/", {"name": "Office"}, headers=HTMX).content.decode()
    assert "Credential list “Office” added." in messages_area(added)
    # A refused duplicate right after: the earlier success is replaced by nothing.
    refused = admin_client.post(f"{lists}new/", {"name": "office"}, headers=HTMX)
    html = refused.content.decode()
    assert "A credential list with this name already exists." in html
    area = messages_area(html)
    assert area is not None and "added" not in area and area.strip() == ""


def test_refused_delete_clears_the_attach_message(admin_client, account, domain):
    phones = CredentialList.objects.create(account=account, name="Office Phones")
    attached = admin_client.post(
        f"/o/acme/accounts/{account.pk}/attachments/new/",
        {"domain": domain.pk, "credential_list": phones.pk, "authenticates": "calls"},
        headers=HTMX,
    ).content.decode()
    assert "“Office Phones” now authenticates calls" in messages_area(attached)
    refused = admin_client.post(
        f"/o/acme/accounts/{account.pk}/credential-lists/{phones.pk}/delete/", headers=HTMX
    ).content.decode()
    assert "cannot be deleted" in refused
    assert messages_area(refused).strip() == ""
    assert CredentialAttachment.objects.filter(purpose=Purpose.CALLS).count() == 1


def test_background_refresh_keeps_the_message(admin_client, account):
    # The tabs and setup review reload after a change: that must not wipe the change's message.
    nav = admin_client.get(f"/o/acme/accounts/{account.pk}/nav/?tab=domains", headers=HTMX)
    assert messages_area(nav.content.decode()) is None


def test_plain_pages_show_a_message_once(admin_client, account):
    lists = f"/o/acme/accounts/{account.pk}/credential-lists/"
    admin_client.post(f"{lists}new/", {"name": "Office"})
    assert "Credential list “Office” added." in admin_client.get(lists).content.decode()
    assert "added." not in admin_client.get(lists).content.decode()


def test_search_swap_replaces_the_message(admin_client, account):
    lists = f"/o/acme/accounts/{account.pk}/credential-lists/"
    admin_client.post(f"{lists}new/", {"name": "Office"}, headers=HTMX)
    search = admin_client.get(
        f"{lists}?q=off", headers={**HTMX, "HX-Target": "list-table"}
    ).content.decode()
    assert messages_area(search).strip() == ""
