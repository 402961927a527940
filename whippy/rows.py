"""The rows of the app's big tables, rendered with Jinja2 (templates/rows/).

Django's template engine costs about 150 µs a row in these tables (each variable is resolved
through the context stack, each include renders a template): 50 rows were two thirds of a
table page's time. Jinja2 compiles a template to Python once, and renders the same rows about
ten times faster, with the same autoescaping (Django's safe strings, such as the `when`
filter's, stay unescaped). `{% rows "domains" %}` (accounts/templatetags/ui.py) renders a body;
the parts every table shares around it, its head, its page links and its "no match" state
(`{% table_head %}`, `{% table_pages %}`, `{% table_no_match %}`, templates/rows/_*.html), are
Jinja2 too: in Django's engine they cost a millisecond a page. So are the parts of an account
page that the first view after a change renders again: its setup review and tab strip
(`{% tab_strip %}`, templates/rows/_tabs.html), its header (`{% account_header %}`: the
breadcrumbs, the account's name and connection, its buttons) and its table's search bar
(`{% table_search %}`). The rest of the page (its empty states, forms and frame, which is kept
per person) stays in Django templates.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import MutableMapping
from functools import cache
from types import CodeType
from typing import Any

import jinja2
from django.conf import settings
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.safestring import mark_safe
from markupsafe import _escape_inner

from whippy.links import url_of

# What a row template may use from the page's context; anything else is an error (StrictUndefined).
CONTEXT = ("table", "can_edit", "account", "provider", "organization", "csrf_token", "check_url")


def pluralize(count: int, suffix: str = "s") -> str:
    return "" if count == 1 else suffix


def escaped(value: Any) -> str:
    """What Jinja2's autoescape writes for a value, as markupsafe.escape escapes it, but a plain
    string. markupsafe.escape makes a Markup of every value it escapes, in Python (Markup's
    __new__ looks for __html__ on the string it was given: 0.35 µs a value, 17 ns to escape
    it), and a table's 50 rows write about 750 values: a tenth of the first view of a page
    after a change (callgrind: Credential Lists 27.6 to 24.7 million instructions). What is
    written is joined into the template's output and never read as Markup."""
    if type(value) is str:
        return _escape_inner(value)
    if hasattr(value, "__html__"):
        return str(value.__html__())
    return _escape_inner(str(value))


class Template(jinja2.Template):
    """A rows template whose output is escaped by escaped(). A compiled template writes each
    value through the name escape of its module (imported from jinja2.runtime, used for
    nothing else): it is rebound in each template's module, not in Jinja2."""

    @classmethod
    def from_code(
        cls,
        environment: jinja2.Environment,
        code: CodeType,
        globals: MutableMapping[str, Any],
        uptodate: Callable[[], bool] | None = None,
    ) -> jinja2.Template:
        template = super().from_code(environment, code, globals, uptodate)
        template.root_render_func.__globals__["escape"] = escaped
        return template


@cache
def environment() -> jinja2.Environment:
    from accounts.templatetags.ui import when

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(settings.BASE_DIR / "templates" / "rows"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        auto_reload=settings.DEBUG,
    )
    env.template_class = Template
    env.filters.update(when=when, pluralize=pluralize)
    env.globals["url_of"] = url_of
    return env


def render(name: str, context: Any) -> SafeString:
    values = {key: context.get(key) for key in CONTEXT if key in context}
    account, can_edit = values["account"], values.get("can_edit", False)
    values["connected"] = connected = account.connected
    values["zone"] = timezone.get_current_timezone()  # the organization's: the `when` filter's
    # The Retry buttons' form: only on a connected account's rows, for admins.
    values["reconcile_url"] = (
        url_of("sip:reconcile", values["organization"].slug, account.pk)
        if connected and can_edit
        else ""
    )
    return part(f"{name}.html", **values)


# What the connection check's panel shows beyond its form (sip.views.sip_users).
CHECKED = (
    "verdicts",
    "checked_username",
    "checked_domain",
    "live",
    "live_server",
    "live_timeout",
    "can_edit",
)


def check_panel(values: Any) -> SafeString:
    """The connection check (templates/rows/_check.html), from a page's context or the values
    of an HTMX answer: its form, kept across setup versions under form_scope by what it shows
    (form_state: nothing for the blank form, which is then never built; else
    whippy.forms.shown), with its CSRF token a stand-in (whippy/fragments.py), and the
    verdicts of what was asked. A refused password test's answer is this panel alone."""
    organization, account, form = values["organization"], values["account"], values["form"]
    check_url = url_of("sip:connection-check", organization.slug, account.pk)

    def render_form(stand_ins: dict[str, str]) -> str:
        token = stand_ins.get("csrf_token", values.get("csrf_token"))
        return part("_check_form.html", form=form, check_url=check_url, csrf_token=token)

    scope, state = values.get("form_scope"), values.get("form_state", ())
    shown = scope.fragment("check-form", render_form, values, *state) if scope else render_form({})
    checked = {name: values.get(name) for name in CHECKED}
    return part("_check.html", form_html=mark_safe(shown), **checked)  # noqa: S308 (Jinja2's)


def part(template: str, **values: Any) -> SafeString:
    """A template of templates/rows/ rendered with these values."""
    html = environment().get_template(template).render(values)
    return mark_safe(html)  # noqa: S308 (autoescaped by Jinja2)
