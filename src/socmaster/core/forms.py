"""Shared form helpers: the GOV.UK date field, GOV.UK widgets and messages on every form, and a
service's errors put back on the form."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import pretty_name

from .widgets import GovukCheckboxSelectMultiple, GovukDateInput, GovukRadioSelect, parse_iso

EXAMPLE_DATE = "For example, 27 3 2007"
CHOOSE = "Choose an option"
DJANGO_EMPTY_LABEL = "---------"
MONTHS = {
    name: n
    for n, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        1,
    )
    for name in names
}


def _noun(label: str) -> str:
    """ "Event date" -> "the event date" (for "Enter the event date")."""
    return "the " + label[:1].lower() + label[1:]


class GovukDateField(forms.Field):
    """A date entered as day, month and year (the GOV.UK date input), with GOV.UK's messages:
    "Enter the event date", "Event date must include a month", "Event date must be a real date".

    ``error_name`` is what the messages call the date when the label alone would read badly
    (label "From", error_name "Start date"). An ISO date (``2025-01-31``) is accepted too.
    """

    widget = GovukDateInput
    govuk_hint = EXAMPLE_DATE

    def __init__(self, *, error_name: str | None = None, **kwargs):
        for unused in ("input_formats", "localize", "max_length"):
            kwargs.pop(unused, None)
        super().__init__(**kwargs)
        self.error_name = error_name

    @property
    def subject(self) -> str:
        return str(self.error_name or self.label or "Date")

    def _invalid(self) -> ValidationError:
        return ValidationError(f"{self.subject} must be a real date", code="invalid")

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            parsed = parse_iso(value)
            if parsed is None:
                raise self._invalid()
            return parsed
        day, month, year = [str(v or "").strip() for v in value]
        if not (day or month or year):
            return None
        missing = [n for n, v in (("day", day), ("month", month), ("year", year)) if not v]
        if missing:
            raise ValidationError(
                f"{self.subject} must include a {' and '.join(missing)}", code="incomplete"
            )
        month_number = MONTHS.get(month.lower()) if not month.isdigit() else int(month)
        if not day.isdigit() or not year.isdigit() or month_number is None:
            raise self._invalid()
        if len(year) != 4:
            raise ValidationError("Year must include 4 numbers", code="year")
        try:
            return dt.date(int(year), month_number, int(day))
        except ValueError:
            raise self._invalid() from None

    def validate(self, value):
        if value is None and self.required:
            raise ValidationError(f"Enter {_noun(self.subject)}", code="required")

    def has_changed(self, initial, data):
        if self.disabled:
            return False
        try:
            return self.to_python(data) != self.to_python(initial)
        except ValidationError:
            return True


def _required_message(field: forms.Field, label: str) -> str:
    if label.endswith("?"):  # a question asks for an answer
        return (
            "Answer the question"
            if not isinstance(field, forms.ChoiceField)
            else "Choose an answer"
        )
    if isinstance(field, forms.ChoiceField | forms.ModelChoiceField | forms.BooleanField):
        return f"Select {_noun(label)}"
    return f"Enter {_noun(label)}"


def style_form(form: forms.Form, *, filters: bool = False) -> forms.Form:
    """Make every field GOV.UK: the GOV.UK widgets (date input, radios, check boxes) and classes,
    specific messages ("Enter the team", not "This field is required."), no "---------" choice.

    ``filters``: a filter or report form, whose fields are not marked "(optional)".
    """
    form.mark_optional = not filters
    for name, field in list(form.fields.items()):
        if field.label is None:
            field.label = pretty_name(name)
        if isinstance(field, forms.DateField) and form._errors is None:
            replacement = GovukDateField(
                required=field.required,
                label=field.label,
                initial=field.initial,
                help_text=field.help_text,
                disabled=field.disabled,
            )
            form.fields[name] = field = replacement
        widget = field.widget
        if type(widget) is forms.RadioSelect:
            field.widget = widget = GovukRadioSelect(attrs=widget.attrs, choices=widget.choices)
        elif type(widget) is forms.CheckboxSelectMultiple:
            field.widget = widget = GovukCheckboxSelectMultiple(
                attrs=widget.attrs, choices=widget.choices
            )
        if field.error_messages.get("required") == forms.Field.default_error_messages["required"]:
            field.error_messages["required"] = _required_message(field, str(field.label))
        if getattr(field, "empty_label", None) == DJANGO_EMPTY_LABEL:
            field.empty_label = CHOOSE
        elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
            choices = list(field.choices)
            if any(v == "" and label == DJANGO_EMPTY_LABEL for v, label in choices):
                field.choices = [
                    (v, CHOOSE if v == "" and label == DJANGO_EMPTY_LABEL else label)
                    for v, label in choices
                ]
        if getattr(widget, "govuk_kind", None):
            continue
        css = {
            forms.Select: "govuk-select",
            forms.SelectMultiple: "govuk-select sm-multi",
            forms.Textarea: "govuk-textarea",
            forms.CheckboxInput: "govuk-checkboxes__input",
        }.get(type(widget), "govuk-input")
        widget.attrs.setdefault("class", css)
    return form


def add_service_errors(form: forms.Form, exc) -> None:
    """Put a service's ValidationError back onto the form, field by field."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


class VersionField(forms.IntegerField):
    """The version of the record the form was opened on, sent back with the change."""

    def __init__(self, **kwargs):
        super().__init__(required=False, min_value=1, widget=forms.HiddenInput, **kwargs)


def _shown(value) -> str:
    if hasattr(value, "all"):  # a many-to-many manager
        value = list(value.all())
    if isinstance(value, list | tuple | set) or hasattr(value, "model"):
        return ", ".join(sorted(str(v) for v in value)) or "(none)"
    return "(blank)" if value in (None, "") else str(value)


def add_conflict_errors(form: forms.Form, exc) -> None:
    """Someone else saved the record since the form was opened: say so, and on each field where
    what is stored now differs from what the user entered, show the stored value. The form keeps
    the user's input and now carries the current version, so saving again is a decision made
    having seen the other change."""
    form.add_error(None, str(exc))
    stored = exc.obj
    for name, field in list(form.fields.items()):
        if isinstance(field.widget, forms.HiddenInput) or not hasattr(stored, name):
            continue
        now, yours = getattr(stored, name), form.cleaned_data.get(name)
        if _shown(now) != _shown(yours):
            form.add_error(name, f"Now stored: {_shown(now)} (you entered: {_shown(yours)}).")
    if "lock_version" in form.fields:
        form.data = form.data.copy()
        form.data[form.add_prefix("lock_version")] = exc.current_version
