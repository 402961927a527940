from __future__ import annotations

from collections.abc import Callable
from typing import Any
from typing import TypeVar

from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting

T = TypeVar("T")


class FormRenderer(TemplatesSetting):
    """Renders every field through the project's one field template."""

    field_template_name = "forms/field.html"


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
