"""A whole account page renders its tab area first, on its own (whippy.htmx.AccountPageResponse,
to keep the rows' loop off the end of one of CPython's frame chunks): the page is the same as
when the tab area is rendered inside the page's blocks, on every account page, with a message
to show and without."""

from __future__ import annotations

import re

import pytest
from django.core.cache import caches
from django.template.response import TemplateResponse

from tests.sip.test_fragment_cache import without_tokens
from tests.test_authorization_matrix import EXPECTATIONS
from tests.test_authorization_matrix import url_for
from whippy.fragments import ALIAS
from whippy.htmx import AccountPageResponse

TAB_AREA = re.compile(r'<div id="tab-area">')


def inside_the_blocks(monkeypatch) -> None:
    """Renders account pages as a TemplateResponse does: the tab area within the page."""
    monkeypatch.setattr(AccountPageResponse, "rendered_content", TemplateResponse.rendered_content)


@pytest.mark.parametrize("name", sorted(EXPECTATIONS))
def test_the_page_is_the_same_as_rendered_inside_its_blocks(name, world, admin_client, monkeypatch):
    rendered = []  # the AccountPageResponses rendered (a tab's page is kept as rendered)
    whole = AccountPageResponse.rendered_content
    monkeypatch.setattr(
        AccountPageResponse,
        "rendered_content",
        property(lambda response: rendered.append(response) or whole.fget(response)),
    )
    url = url_for(name, world)
    response = admin_client.get(url)
    if (
        response.status_code != 200
        or response.streaming
        or not TAB_AREA.search(response.content.decode())
    ):
        assert not rendered, name
        return  # not an account page
    assert len(rendered) == 1, name
    first = response.content.decode()
    assert len(TAB_AREA.findall(first)) == 1
    caches[ALIAS].clear()  # rendered again, not the page kept
    with monkeypatch.context() as patched:
        inside_the_blocks(patched)
        again = admin_client.get(url).content.decode()
    assert len(rendered) == 1, name
    assert without_tokens(first) == without_tokens(again), name


def test_a_message_shows_once(world, admin_client):
    """A change's message, shown on the page it leads to, appears once and only once."""
    lists = url_for("sip:credentiallist-list", world)
    created = admin_client.post(f"{lists}new/", {"name": "Night shift"}, follow=True)
    page = created.content.decode()
    assert isinstance(created, AccountPageResponse)
    messages = re.findall(r'<p class="message message-success" role="status">([^<]*)</p>', page)
    assert len(messages) == 1 and "Night shift" in messages[0]
    assert not re.findall(r'class="message message-', admin_client.get(lists).content.decode())
