"""Every form field, everywhere, in words written for people: the site's form renderer gives each
form this BoundField (Django's ``bound_field_class``), so no form has to remember it.

- A length limit is said before anyone types ("Up to 200 characters."), in the help text that the
  field's ``aria-describedby`` points at, and a longer answer gets a message instead of being cut
  off without a word by the browser's ``maxlength``.
- A typed date or time field (``involvement.widgets``) says how to type it ("For example
  27/03/2026."), unless its help text already gives an example, and reads it in that format
  whatever language the browser asks for.
- Django's default messages ("This field is required.", "Ensure this value has at most 100
  characters (it has 269).", "Select a valid choice. x is not one of the available choices.")
  are replaced by plain ones. A message a form sets itself is kept as it is.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates

from involvement.widgets import DATE_HINT, DATE_INPUT_FORMATS, TIME_HINT, TIME_INPUT_FORMATS, DateInput, TimeInput

CHOICE_FIELDS = (forms.ChoiceField, forms.ModelChoiceField, forms.MultipleChoiceField)
TEXT_WIDGETS = (forms.TextInput, forms.Textarea, forms.EmailInput, forms.URLInput, forms.PasswordInput)

# By the error's code: what Django says, in plain words. ``%(...)s`` take the error's params.
PLAIN = {
    "max_length": "Please use %(limit_value)d characters or fewer: this has %(show_value)d.",
    "min_length": "Please use at least %(limit_value)d characters: this has %(show_value)d.",
    "max_value": "Please give %(limit_value)s or less.",
    "min_value": "Please give %(limit_value)s or more.",
    "step_size": "Please give a multiple of %(limit_value)s.",
    "max_digits": "Please give a smaller number: at most %(max)s digits.",
    "max_decimal_places": "Please give at most %(max)s digits after the decimal point.",
    "max_whole_digits": "Please give a smaller number: at most %(max)s digits before the decimal point.",
    "invalid_choice": "Please choose one of the options given.",
    "invalid_pk_value": "Please choose one of the options given.",
    "invalid_list": "Please choose from the options given.",
}
# Codes of Django's limit validators (not in a field's own messages), worded by ``PLAIN``.
VALIDATOR_CODES = frozenset(
    {
        "max_length",
        "min_length",
        "max_value",
        "min_value",
        "step_size",
        "max_digits",
        "max_decimal_places",
        "max_whole_digits",
    }
)
# Fields whose "invalid" message comes from Django's validator for them, not from the field.
CHECKED_FORMS = (forms.EmailField, forms.URLField)
INVALID = [
    (forms.EmailField, "Please give an email address in the form name@example.org."),
    (forms.URLField, "Please give a web address starting with https://."),
    (forms.DateTimeField, "Please give a real date and a time on the 24-hour clock."),
    (forms.DateField, "Please give a real date: day, month and year."),
    (forms.TimeField, "Please give a time on the 24-hour clock, for example 14:30."),
    (forms.IntegerField, "Please give a whole number, for example 3."),
    (forms.DecimalField, "Please give a number, for example 12.50."),
    (forms.FloatField, "Please give a number, for example 2.5."),
    (forms.FileField, "That is not a file we can read. Please choose the file again."),
]


def _required_message(field: forms.Field) -> str:
    if isinstance(field, CHOICE_FIELDS):
        return "Please choose an answer."
    if isinstance(field, forms.BooleanField):
        return "Please tick the box to go on."
    if isinstance(field, forms.FileField):
        return "Please choose a file."
    return "Please fill this in."


def _django_defaults(field: forms.Field) -> dict[str, str]:
    """The messages Django gives ``field`` by default, as ``Field.__init__`` gathers them."""
    defaults: dict[str, str] = {}
    for cls in reversed(type(field).__mro__):
        defaults.update({code: str(message) for code, message in getattr(cls, "default_error_messages", {}).items()})
    return defaults


def plain_messages(field: forms.Field) -> None:
    """Put plain messages on ``field`` (this form's own copy) wherever it has Django's default."""
    defaults = _django_defaults(field)
    plain = dict(PLAIN)
    plain["required"] = _required_message(field)
    plain["invalid"] = next((text for kind, text in INVALID if isinstance(field, kind)), "Please check this answer.")
    for code, message in plain.items():
        current = field.error_messages.get(code)
        if code in defaults:
            if current is not None and str(current) == defaults[code]:
                field.error_messages[code] = message
        elif current is None and (code in VALIDATOR_CODES or (code == "invalid" and isinstance(field, CHECKED_FORMS))):
            # Raised by Django's own limit validators; a project validator keeps its own message.
            field.error_messages[code] = message


def typed_formats(field: forms.Field) -> None:
    """The formats a typed date or time is read in, the same whatever the browser's language."""
    if isinstance(field, forms.DateField) and isinstance(field.widget, DateInput):
        field.input_formats = DATE_INPUT_FORMATS
    elif isinstance(field, forms.TimeField) and isinstance(field.widget, TimeInput):
        field.input_formats = TIME_INPUT_FORMATS


def format_hint(field: forms.Field) -> str | None:
    """How to type a date or a time, for the site's typed date and time fields."""
    if isinstance(field.widget, DateInput):
        return DATE_HINT
    if isinstance(field.widget, TimeInput):
        return TIME_HINT
    return None


def length_limit(field: forms.Field) -> int | None:
    limit = getattr(field, "max_length", None)
    if limit is None or not isinstance(field.widget, TEXT_WIDGETS) or isinstance(field.widget, forms.PasswordInput):
        return None
    return int(limit)


class PlainBoundField(BoundField):
    def __init__(self, form: forms.BaseForm, field: forms.Field, name: str) -> None:
        super().__init__(form, field, name)
        plain_messages(field)
        self.limit = length_limit(field)
        if self.limit is not None and "character" not in str(self.help_text):
            said = f"Up to {self.limit:,} characters."
            self.help_text = f"{self.help_text} {said}".strip() if self.help_text else said
        typed_formats(field)
        hint = format_hint(field)
        if hint is not None and "for example" not in str(self.help_text).lower():
            self.help_text = f"{self.help_text} {hint}".strip() if self.help_text else hint

    def build_widget_attrs(self, attrs: dict[str, Any], widget: forms.Widget | None = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        if self.limit is not None:
            # No silent cutting off: the help text says the limit, and the form says if it is passed.
            attrs["maxlength"] = False
        return attrs


class FormRenderer(DjangoTemplates):
    """The site's form renderer (``FORM_RENDERER``): Django's templates, with ``PlainBoundField``."""

    bound_field_class = PlainBoundField
