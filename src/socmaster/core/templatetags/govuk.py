"""Template helpers for GOV.UK form fields."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def govuk_kind(bound_field) -> str:
    """date, radios, checkboxes, checkbox or '' (a single input with its own label)."""
    widget = bound_field.field.widget
    kind = getattr(widget, "govuk_kind", "")
    if not kind and getattr(widget, "input_type", "") == "checkbox":
        return "checkbox"
    return kind


@register.filter
def error_target(bound_field) -> str:
    """The id of the input the error summary links to: the first of a group's inputs."""
    kind = govuk_kind(bound_field)
    if kind in ("radios", "checkboxes"):
        return f"{bound_field.auto_id}_0"
    return bound_field.id_for_label or bound_field.auto_id


@register.filter
def described_by(bound_field) -> str:
    ids = []
    if bound_field.help_text or getattr(bound_field.field, "govuk_hint", ""):
        ids.append(f"{bound_field.auto_id}-hint")
    if bound_field.errors:
        ids.append(f"{bound_field.auto_id}-error")
    return " ".join(ids)
