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
