from __future__ import annotations

from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.db.models import Model
from django.forms import ModelForm
from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Renders every field through the project's one field template."""

    field_template_name = "forms/field.html"


def save_or_error(
    form: ModelForm, field: str, message: str, save: Callable[[], Model] | None = None
) -> Model | None:
    """Saves a valid ModelForm; a uniqueness race lost to another request becomes a field error.

    Validation checks uniqueness first, but two requests can both pass it; the database
    constraint decides, and the loser sees the same message validation would have given.
    save, when given, does the saving instead of form.save() (a service that also records the
    change) and returns the saved object.
    """
    try:
        with transaction.atomic():
            return save() if save is not None else form.save()
    except IntegrityError:
        form.add_error(field, message)
        return None
