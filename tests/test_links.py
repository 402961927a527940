"""URLs reversed once per process (whippy/links.py) are the URLs reverse() gives, whatever the
script prefix or the URLconf a request is served with."""

from __future__ import annotations

import pytest
from django.template import engines
from django.urls import clear_script_prefix
from django.urls import path
from django.urls import reverse
from django.urls import set_script_prefix
from django.urls import set_urlconf

from whippy.links import url_of

# A URLconf of its own, whose view of the same name is at another address.
urlpatterns = [path("elsewhere/<slug:org_slug>/", lambda request: None, name="org-activity")]


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("sip:domain-list", ("acme", 1)),
        ("sip:domain-list", ("acme", 2)),
        ("sip:domain-list", ("other", 1)),
        ("sip:connection-check", ("acme", 1)),
        ("accounts:account-list", ("acme",)),
        ("login", ()),
    ],
)
def test_a_kept_url_is_reverses_own(name, args):
    assert url_of(name, *args) == reverse(name, args=args)
    assert url_of(name, *args) == reverse(name, args=args)  # the second, kept


def test_the_script_prefix_is_part_of_the_key():
    plain = url_of("sip:domain-list", "acme", 1)
    try:
        set_script_prefix("/sip-admin/")
        assert url_of("sip:domain-list", "acme", 1) == "/sip-admin" + plain
    finally:
        clear_script_prefix()
        set_script_prefix("/")
    assert url_of("sip:domain-list", "acme", 1) == plain


def test_a_requests_own_urlconf_is_part_of_the_key(settings):
    main = url_of("org-activity", "acme")
    try:
        set_urlconf(__name__)  # what a request with its own urlconf does
        assert url_of("org-activity", "acme") == "/elsewhere/acme/"
    finally:
        set_urlconf(None)
    assert url_of("org-activity", "acme") == main != "/elsewhere/acme/"
    settings.ROOT_URLCONF = __name__
    assert url_of("org-activity", "acme") == "/elsewhere/acme/"


def test_the_template_tag_gives_what_the_url_tag_gives():
    source = (
        "{% load ui %}[{% url_of 'sip:domain-list' slug pk %}]{% url_of 'login' as x %}[{{ x }}]"
    )
    tag = engines["django"].from_string(source).render({"slug": "acme", "pk": 3})
    url = engines["django"].from_string("[{% url 'sip:domain-list' slug pk %}][{% url 'login' %}]")
    assert tag == url.render({"slug": "acme", "pk": 3})
