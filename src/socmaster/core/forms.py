"""Shared form helpers: GOV.UK widget classes and a service's errors put back on the form."""

from __future__ import annotations

from django import forms


def style_form(form: forms.Form) -> forms.Form:
    """Give each widget its GOV.UK class so templates can render fields generically."""
    for field in form.fields.values():
        widget = field.widget
        css = {
            forms.Select: "govuk-select",
            forms.SelectMultiple: "govuk-select sm-multi",
            forms.Textarea: "govuk-textarea",
            forms.CheckboxInput: "govuk-checkboxes__input",
            forms.CheckboxSelectMultiple: "",
        }.get(type(widget), "govuk-input")
        if css:
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
