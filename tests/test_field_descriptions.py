"""Screen readers read a field's errors and help through aria-describedby: every id it names must
exist in the same page, on every form, blank and with errors, as a page and as an HTMX swap. And
every field renders as Django's own templates and the project's field template would render it
in Django's template engine (whippy.forms writes the field group and <input> tags in Python, and
renders other widgets through Jinja2)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django import forms
from django.forms import BaseForm
from django.forms import BoundField
from django.forms.renderers import TemplatesSetting
from django.template.backends import django as django_backend
from django.template.backends import jinja2 as jinja2_backend
from django.utils.safestring import mark_safe

from tests.conftest import HTMX
from tests.test_authorization_matrix import CHECK
from tests.test_authorization_matrix import EXPECTATIONS
from tests.test_authorization_matrix import WRITE
from tests.test_authorization_matrix import url_for
from whippy.forms import INPUTS
from whippy.forms import FormRenderer

# Values every field refuses (too long, or not a valid choice), so each form shows its errors.
BAD = "-" * 300


class Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.described_by: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        for target in (attributes.get("aria-describedby") or "").split():
            self.described_by.append((attributes.get("name") or tag, target))


def parse(html: str) -> Ids:
    parser = Ids()
    parser.feed(html)
    return parser


# Pages whose forms are buttons only (each difference's actions; the rotation of the SIP users
# ticked in a table), with nothing typed: no field to describe. test_fuzz_forms.py still posts
# anything to them.
BUTTONS_ONLY = {"sip:reconcile", "sip:credential-rotate-many"}
FORM_URLS = sorted(
    name
    for name, kind in EXPECTATIONS.items()
    if kind in (WRITE, CHECK) and "delete" not in name and name not in BUTTONS_ONLY
)


def test_every_form_url_is_covered():
    # A new form view is covered here without anyone adding it by hand; deletes have no fields.
    assert "sip:domain-create" in FORM_URLS and "sip:connection-check" in FORM_URLS
    assert not [name for name in FORM_URLS if EXPECTATIONS[name] not in (WRITE, CHECK)]


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
@pytest.mark.parametrize("name", FORM_URLS)
def test_aria_describedby_points_at_elements_that_exist(name, headers, admin_client, world):
    url = url_for(name, world)
    blank = admin_client.get(url, headers=headers)
    fields = {field for field, _target in parse(blank.content.decode()).described_by}
    data = {field: BAD for field in fields | {"name", "prefix", "username", "domain"}}
    data |= {"password_choice": "type", "authenticates": "nonsense", "credential_list": "x"}
    invalid = admin_client.post(url, data, headers=headers)
    errors_seen = 0
    for response in (blank, invalid):
        assert response.status_code == 200
        page = parse(response.content.decode())
        missing = [(field, target) for field, target in page.described_by if target not in page.ids]
        assert missing == []
        errors_seen += sum(target.endswith("_error") for _f, target in page.described_by)
    assert errors_seen, "the invalid submission showed no field error: the test proves nothing"


def test_login_form_errors_are_described(client, admin_user):
    response = client.post("/login/", {"username": "x" * 300, "password": ""})
    page = parse(response.content.decode())
    assert page.described_by
    assert [target for _field, target in page.described_by if target not in page.ids] == []


class DjangoTemplates(TemplatesSetting):
    """Django's own widget templates, in its own template language, with the same field
    template: what the project's Jinja2 renderer must give, whitespace aside."""

    field_template_name = FormRenderer.field_template_name


def markup(field: BoundField, renderer: TemplatesSetting) -> str:
    """The field's HTML, whitespace between tags aside, and the quotes escaped as Django
    spells them (MarkupSafe writes &#34; and &#39;: the same characters)."""
    field.form.renderer = field.renderer = renderer  # a field keeps its form's first renderer
    html = " ".join(str(field.as_field_group()).split())
    html = html.replace("&#34;", "&quot;").replace("&#39;", "&#x27;")
    return re.sub(r">\s+<", "><", html)


def test_widgets_render_through_jinja2_and_admin_widgets_through_django_templates():
    renderer = FormRenderer()
    assert isinstance(
        renderer.get_template("django/forms/widgets/select.html"), jinja2_backend.Template
    )
    # The admin's widgets have no Jinja2 copy: Django's templates render them.
    wrapper = renderer.get_template("admin/widgets/related_widget_wrapper.html")
    assert isinstance(wrapper, django_backend.Template)


class Everything(forms.Form):
    """A field of each kind the field template tells apart: a label or a group's legend, help
    text (with markup, written as given) or none, and characters to escape in each part."""

    name = forms.CharField(label='Name <&> "quoted"', max_length=3, help_text="<b>Bold</b> help")
    plain = forms.CharField(label="Plain", required=False)
    choice = forms.ChoiceField(
        label="One of <these>", choices=[("a", "A & B"), ("b", "<B>")], widget=forms.RadioSelect
    )
    many = forms.MultipleChoiceField(
        label="Many",
        choices=[("x", "X")],
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick any.",
    )
    pick = forms.ChoiceField(label="Pick", choices=[("1", "One")], required=False)
    notes = forms.CharField(label="Notes", widget=forms.Textarea, required=False)
    agreed = forms.BooleanField(label="Agreed", help_text="Needed.")


def test_the_field_group_is_the_field_template_rendered_by_django():
    """whippy.forms.field_group writes what templates/forms/field.html gives in Django's own
    template engine, for every kind of field, blank and with errors (with characters to
    escape), with and without ids."""
    typed = {"name": "<b>\"&'too long", "choice": "<nope&>", "many": ["nope"], "pick": "9"}
    compared = 0
    for form in (
        Everything(),
        Everything(data=typed),
        Everything(data=typed, auto_id=False),
        Everything(auto_id=False),
    ):
        form.is_valid()
        for field in form:
            assert markup(field, FormRenderer()) == markup(field, DjangoTemplates()), field.name
            compared += 1
    assert compared == 4 * len(Everything.base_fields)
    errors = Everything(data=typed).errors
    assert set(errors) == set(Everything.base_fields) - {"plain", "notes"}  # each shows them


@pytest.mark.parametrize("name", FORM_URLS)
def test_every_field_renders_as_djangos_own_templates_render_it(name, admin_client, world):
    url = url_for(name, world)
    blank = admin_client.get(url)
    # Typed back into the fields: what autoescaping must escape.
    typed = "<b>\"&'" + BAD
    invalid = admin_client.post(url, dict.fromkeys(["name", "prefix", "username", "domain"], typed))
    forms = {
        id(value): value
        for response in (blank, invalid)
        for context in response.context
        for value in context.flatten().values()
        if isinstance(value, BaseForm)
    }
    fields = [field for form in forms.values() for field in form]
    assert fields, "no form on the page: the test proves nothing"
    assert any(field.errors for field in fields), "no field error shown: the test proves less"
    for field in fields:
        assert markup(field, FormRenderer()) == markup(field, DjangoTemplates())


INPUT_WIDGETS = [
    forms.TextInput(),
    forms.PasswordInput(render_value=True),
    forms.EmailInput(attrs={"maxlength": 254, "class": 'a "quoted" <class>'}),
    forms.NumberInput(attrs={"min": 0, "step": "any"}),
    forms.URLInput(),
    forms.HiddenInput(),
    forms.CheckboxInput(),
    forms.DateInput(),
    forms.DateTimeInput(),
    forms.TimeInput(),
    forms.FileInput(),
    forms.SearchInput(),
    forms.TelInput(),
    forms.ColorInput(),
]
VALUES = [None, "", 0, 12, True, False, "<b>\"&'", mark_safe("<i>safe</i>"), "Zürich"]
ATTRS = [
    {},
    {"required": True, "disabled": False, "autocomplete": "off"},
    {"id": "id_x", "aria-describedby": "id_x_error id_x_helptext", "data-x": "'\"&<>"},
    {"tabindex": 1, "data-zero": 0},  # neither True nor False
]


def test_input_tags_are_djangos_jinja2_templates_exactly():
    """whippy.forms.input_tag writes what Django's Jinja2 templates of <input> widgets write
    (input.html with attrs.html), byte for byte, for every widget whose template is one of
    them, with values and attributes that must be escaped, left out or written alone."""
    renderer = FormRenderer()
    assert "django/forms/widgets/text.html" in INPUTS
    assert "django/forms/widgets/input_option.html" not in INPUTS  # a label around it
    compared = set()
    for widget in INPUT_WIDGETS:
        for value in VALUES:
            for attrs in ATTRS:
                context = widget.get_context("field", value, attrs)
                template = widget.template_name
                assert template in INPUTS, template
                jinja2_html = renderer.jinja2.get_template(template).render(context).strip()
                assert renderer.render(template, context) == jinja2_html, (template, value)
                compared.add(template)
    assert len(compared) == len(INPUT_WIDGETS)
    # A template that is not one of them still renders through its template.
    select = forms.Select(choices=[("a", "<A>")])
    context = select.get_context("field", "a", {"required": True})
    html = renderer.render(select.template_name, context)
    assert html == renderer.jinja2.get_template(select.template_name).render(context).strip()
    assert "<option" in html
