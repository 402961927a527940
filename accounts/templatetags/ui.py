from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from datetime import tzinfo

from django import template
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.safestring import mark_safe

register = template.Library()


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@register.filter
def when(value: datetime | None, zone: tzinfo | None = None) -> SafeString | str:
    """Date and time (24 h) in the active (organization's) time zone, or the given one, with
    the exact timestamp and the zone on hover. The rows' templates (whippy/rows.py) give the
    zone, read once a table: reading the active zone was a third of this filter's time."""
    if value is None:
        return "—"
    aware = zone is not None and value.tzinfo is not None
    t = value.astimezone(zone) if aware else timezone.localtime(value, zone)
    # Digits, letters and punctuation only: nothing here needs escaping. Formatted by hand:
    # strftime made this filter a third of a table's rows (tables call it 50 to 100 times).
    hm = f"{t.hour:02}:{t.minute:02}"
    return SafeString(
        f'<time datetime="{value.isoformat()}" title="{t.year}-{t.month:02}-{t.day:02} '
        f'{hm}:{t.second:02} {t.tzname()}">{MONTHS[t.month - 1]} {t.day}, {t.year} {hm}</time>'
    )


@register.filter
def duration(value: timedelta) -> str:
    """A length of time in words: "15 minutes", "1 hour 30 minutes", "45 seconds"."""
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}{'' if count == 1 else 's'}")
    return " ".join(parts) or "a moment"


@register.simple_tag
def url_of(viewname: str, *args: object) -> str:
    """{% url_of "sip:domain-list" organization.slug account.pk %}: what {% url %} gives, kept
    per process (whippy/links.py); for the URLs every account page shows."""
    from whippy.links import url_of

    return url_of(viewname, *args)


@register.tag
def fragment(parser: template.base.Parser, token: template.base.Token) -> Fragment:
    """{% fragment scope "name" state... %}...{% endfragment %}: markup that depends on nothing
    but its scope (a whippy.fragments.Scope, or a Table, whose state is its search, sort and
    page), the state given and the per-request values of whippy.fragments.PER_REQUEST; cached
    per setup version (whippy/fragments.py). Without a scope (None), it is simply rendered."""
    bits = token.split_contents()
    if len(bits) < 3:
        raise template.TemplateSyntaxError('Usage: {% fragment scope "name" state... %}')
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    scope, *state = (parser.compile_filter(bit) for bit in bits[1:2] + bits[3:])
    return Fragment(nodelist, scope, bits[2].strip("\"'"), state)


class Fragment(template.Node):
    def __init__(
        self,
        nodelist: template.NodeList,
        scope: template.base.FilterExpression,
        name: str,
        state: list[template.base.FilterExpression],
    ) -> None:
        self.nodelist, self.scope, self.name, self.state = nodelist, scope, name, state

    def render(self, context: template.Context) -> str:
        def render(stand_ins: dict[str, str]) -> str:
            with context.push(stand_ins):
                return self.nodelist.render(context)

        scope = self.scope.resolve(context)
        if not scope:  # None, or not in the context
            return render({})
        state = [value.resolve(context) for value in self.state]
        return mark_safe(scope.fragment(self.name, render, context, *state))  # noqa: S308


@register.simple_tag(takes_context=True)
def table_head(
    context: template.Context, *, actions: bool = False, select: bool = False
) -> SafeString:
    """{% table_head actions=True select=can_edit %}: the table's column heads, sort links
    included; an Actions column, a "select all" box (whippy/rows.py)."""
    from whippy.rows import part

    return part("_head.html", table=context["table"], actions=actions, select=select)


@register.simple_tag(takes_context=True)
def table_pages(context: template.Context, noun: str) -> SafeString:
    """{% table_pages "SIP domain" %}: the number of rows and the page links."""
    from whippy.rows import part

    return part("_pages.html", table=context["table"], noun=noun)


@register.simple_tag(takes_context=True)
def account_header(context: template.Context) -> SafeString:
    """{% account_header %}: an account page's breadcrumbs, name, connection and buttons
    (templates/rows/_header.html)."""
    from whippy.rows import part

    return part(
        "_header.html", **{name: context[name] for name in ("organization", "account", "can_edit")}
    )


@register.simple_tag(takes_context=True)
def connection_status(context: template.Context) -> SafeString:
    """{% connection_status %}: whether the account syncs with its provider, and how."""
    from whippy.rows import part

    return part("_connection_status.html", account=context["account"])


@register.simple_tag(takes_context=True)
def table_search(context: template.Context, label: str) -> SafeString:
    """{% table_search "SIP domains" %}: the table's search form (none for an empty table)."""
    from whippy.rows import part

    return part("_search.html", table=context["table"], label=label)


@register.simple_tag(takes_context=True)
def table_no_match(context: template.Context, noun: str, search_label: str) -> SafeString:
    """{% table_no_match "SIP domain" "names and domains" %}: nothing matches the search."""
    from whippy.rows import part

    return part("_no_match.html", table=context["table"], noun=noun, search_label=search_label)


@register.simple_tag(takes_context=True)
def tab_strip(context: template.Context) -> SafeString:
    """{% tab_strip %}: an account page's setup review and tabs (templates/rows/_tabs.html):
    rendered again on every page after a change, in Django's engine a quarter of a
    millisecond."""
    from whippy.rows import part

    names = ("organization", "account", "tab", "tabs", "review", "can_edit")
    return part("_tabs.html", **{name: context[name] for name in names})


@register.simple_tag(takes_context=True)
def check_panel(context: template.Context) -> SafeString:
    """{% check_panel %}: the connection check, its form and verdicts (whippy/rows.py)."""
    from whippy.rows import check_panel

    return check_panel(context)


@register.simple_tag(takes_context=True)
def rows(context: template.Context, name: str) -> SafeString:
    """{% rows "domains" %}: the body rows of a table, from templates/rows/ (whippy/rows.py)."""
    from whippy.rows import render

    return render(name, context)
