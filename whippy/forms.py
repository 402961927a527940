from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from typing import TypeVar

import django.forms
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms import BoundField
from django.forms.renderers import TemplatesSetting
from django.template import TemplateDoesNotExist
from django.template.backends.jinja2 import Jinja2
from django.utils.functional import cached_property
from markupsafe import escape

T = TypeVar("T")


class FormRenderer(TemplatesSetting):
    """Renders every field as the project's one field template writes it.

    The project's field template (templates/forms/field.html) is written by field_group, and
    an <input> widget's tag by input_tag, as their templates write them, in Python: templates
    for each were two thirds of the connection check's fields, and a refused check's answer
    is little else. Other widgets render through the Jinja2 copies of the widget templates
    that Django ships (the same HTML as its own, in about a third of the time); a template
    with no Jinja2 copy (the Django admin's widgets) through the project's template settings.
    tests/test_field_descriptions.py compares every field of every form with Django's own
    templates and the project's field template, rendered by Django's template engine.
    """

    field_template_name = "forms/field.html"

    @cached_property
    def jinja2(self) -> Jinja2:
        directories = [
            settings.BASE_DIR / "templates",
            Path(django.forms.__file__).parent / "jinja2",
        ]
        return Jinja2({"APP_DIRS": False, "DIRS": directories, "NAME": "forms", "OPTIONS": {}})

    def get_template(self, template_name: str) -> Any:
        try:
            return self.jinja2.get_template(template_name)
        except TemplateDoesNotExist:
            return super().get_template(template_name)

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name == self.field_template_name:
            return field_group(context["field"])
        if template_name in INPUTS:
            return input_tag(context["widget"])
        return super().render(template_name, context, request)


# Django's templates of <input> widgets: each includes input.html, which includes attrs.html.
# Three templates for one tag were two thirds of a field's time; input_tag writes the same tag.
# tests/test_field_descriptions.py compares every field of every form with Django's templates.
WIDGETS = Path(django.forms.__file__).parent / "jinja2" / "django" / "forms" / "widgets"
INPUTS = frozenset(
    f"django/forms/widgets/{template.name}"
    for template in WIDGETS.glob("*.html")
    if template.name == "input.html"
    or template.read_text().strip() == '{% include "django/forms/widgets/input.html" %}'
)


def input_tag(widget: dict[str, Any]) -> str:
    """input.html and attrs.html: the widget's type, name, value unless None, and each
    attribute but those False (True: its name alone), autoescaped as Jinja2 escapes them."""
    tag = [f'<input type="{escape(widget["type"])}" name="{escape(widget["name"])}"']
    if widget["value"] is not None:
        tag.append(f' value="{escape(widget["value"])}"')
    for name, value in widget["attrs"].items():
        if value is True:
            tag.append(f" {escape(name)}")
        elif value is not False:
            tag.append(f' {escape(name)}="{escape(value)}"')
    tag.append(">")
    return "".join(tag)


def field_group(field: BoundField) -> str:
    """templates/forms/field.html: the label (a legend, for a group of choices), the errors,
    the widget and the help text, each tied to the field by its id."""
    errors, auto_id, help_text = field.errors, field.auto_id, field.help_text
    html = [f'<div class="field{" field-invalid" if errors else ""}">']
    if field.use_fieldset:
        described = []
        if errors:
            described.append(f"{auto_id}_error")
        if help_text:
            described.append(f"{auto_id}_helptext")
        aria = f' aria-describedby="{escape(" ".join(described))}"' if auto_id and described else ""
        html.append(f"<fieldset{aria}>\n<legend>{escape(field.label)}</legend>")
    else:
        html.append(f'<label for="{escape(field.id_for_label)}">{escape(field.label)}</label>')
    if errors:
        items = "".join(f"<li>{escape(error)}</li>" for error in errors)
        html.append(f'<ul class="errors" id="{escape(auto_id)}_error">{items}</ul>')
    html.append(str(field))
    if help_text:  # written as given, as Django's templates write it
        html.append(f'<p class="help" id="{escape(auto_id)}_helptext">{help_text}</p>')
    if field.use_fieldset:
        html.append("</fieldset>")
    html.append("</div>")
    return "\n".join(html)


def shown(form: forms.BaseForm) -> tuple[tuple[str, Any, tuple[str, ...]], ...]:
    """What a form's markup shows besides its fields' definitions: the value each field shows
    and its errors, field by field (a field whose widget never shows its value, a password,
    is left out: it shows nothing of it). Two forms of one class that give the same shown()
    write the same markup: the key a form's markup is kept under (whippy.rows.check_panel)."""
    errors = form.errors
    fields = [
        (
            field.name,
            field.value() if getattr(field.field.widget, "render_value", True) else None,
            tuple(str(error) for error in errors.get(field.name, ())),
        )
        for field in form
    ]
    return (*fields, ("", None, tuple(str(error) for error in form.non_field_errors())))


def save_or_error(form: forms.BaseForm, service: Callable[..., T], **arguments: Any) -> T | None:
    """Runs a service's write for a valid form; what the service refuses becomes the form's
    errors (beside the field it names, or above the form), and None.

    The form checked what it could before; the service checks again what only holds under its
    locks (limits, a name another request took meanwhile), so a race ends as the same message
    validation would have given.
    """
    try:
        return service(**arguments)
    except ValidationError as error:
        form.add_error(None, error)
        return None


def refused(service: Callable[..., Any], **arguments: Any) -> str | None:
    """Runs a write that has no form (a delete): None when it worked, else what refused it,
    in words for the confirmation to show."""
    try:
        service(**arguments)
    except ValidationError as error:
        return " ".join(error.messages)
    return None
