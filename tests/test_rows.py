"""The rows' templates (whippy/rows.py) write each value escaped as Jinja2's autoescape escapes
it, as a plain string (whippy.rows.escaped): the same HTML, without a Markup made per value."""

from __future__ import annotations

from decimal import Decimal

import jinja2
import markupsafe
import pytest
from django.core.cache import caches
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy

from sip.models import Credential
from sip.models import CredentialList
from sip.models import SipDomain
from tests.conftest import one_of_everything
from tests.sip.test_fragment_cache import TABS
from tests.sip.test_fragment_cache import get
from tests.sip.test_fragment_cache import without_tokens
from whippy import rows
from whippy.fragments import ALIAS

MARKUP = """<b class="x">O'Neil</b> & co"""


class Html:
    """An object that writes its own HTML."""

    def __html__(self) -> str:
        return "<i>its own</i>"


VALUES = [
    MARKUP,
    "plain",
    "",
    42,
    3.5,
    Decimal("1.50"),
    None,
    True,
    markupsafe.Markup("<i>kept</i>"),
    SafeString("<em>safe</em>"),
    gettext_lazy("Lazy <b>"),
    Html(),
]


@pytest.mark.parametrize("value", VALUES, ids=[type(value).__name__ for value in VALUES])
def test_escaped_writes_what_markupsafe_writes(value):
    assert rows.escaped(value) == markupsafe.escape(value)


def test_an_undefined_value_is_still_an_error():
    template = rows.environment().from_string("{{ missing }}")
    with pytest.raises(jinja2.UndefinedError):
        template.render()


@pytest.fixture
def fresh_environment():
    rows.environment.cache_clear()
    yield
    rows.environment.cache_clear()


@pytest.mark.parametrize("name", sorted(TABS))
def test_every_table_is_the_html_jinja2_writes(
    name, admin_client, account, domain, monkeypatch, fresh_environment
):
    """Each tab, its names full of markup, rendered with the rows' templates and with Jinja2's
    own (markupsafe.escape): the same page."""
    world = one_of_everything(account, domain)
    SipDomain.objects.update(name=MARKUP)
    CredentialList.objects.update(name=MARKUP)
    Credential.objects.update(username=f"desk{MARKUP}")
    url = TABS[name](world, account)
    ours, _ = get(admin_client, url)
    assert "&lt;b class=&#34;x&#34;&gt;O&#39;Neil&lt;/b&gt; &amp; co" in ours
    assert "<b class" not in ours
    monkeypatch.setattr(rows.Template, "from_code", jinja2.Template.from_code)
    rows.environment.cache_clear()
    caches[ALIAS].clear()
    theirs, _ = get(admin_client, url)
    assert rows.environment().get_template("domains.html").__class__ is jinja2.Template
    assert without_tokens(ours) == without_tokens(theirs)


def test_every_rows_template_writes_through_escaped(fresh_environment):
    from django.conf import settings

    names = sorted(path.name for path in (settings.BASE_DIR / "templates" / "rows").glob("*.html"))
    assert "domains.html" in names and "_sync_state.html" in names
    for name in names:
        template = rows.environment().get_template(name)
        assert template.root_render_func.__globals__["escape"] is rows.escaped, name
