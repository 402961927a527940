from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from typing import TypeVar

import django.forms
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting
from django.template import TemplateDoesNotExist
from django.template.backends.jinja2 import Jinja2
from django.utils.functional import cached_property
from markupsafe import escape

T = TypeVar("T")


class FormRenderer(TemplatesSetting):
    """Renders every field through the project's one field template, in Jinja2.

    Fields and widgets render through Jinja2: the project's field template (templates/forms/)
    and the Jinja2 copies of the widget templates that Django ships, which give the same HTML
    as its own in about a third of the time; an <input> widget's tag is written by input_tag,
    as their templates write it, in a third of that again. A template with no Jinja2 copy (the
    Django admin's widgets) renders through the project's template settings, as before.
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
