"""Template helpers for GOV.UK form fields."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

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
        ids.append(f"{bound_field.auto_id}_helptext")
    if bound_field.errors:
        ids.append(f"{bound_field.auto_id}-error")
    return " ".join(ids)


@register.filter
def words(value) -> str:
    """A machine name in words: ``lead_disruptions`` -> "Lead disruptions"."""
    text = str(value or "").replace("_id", "").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


ACTION_WORDS = {"transition": "Status change"}


@register.filter
def audit_action(entry) -> str:
    """The audit action in the domain's words."""
    return ACTION_WORDS.get(entry.action, entry.get_action_display())


@register.filter
def record_kind(record_type: str) -> str:
    """``threats.threat`` -> "Threat"; a kind that is not a model (an export) in words."""
    from django.apps import apps

    try:
        model = apps.get_model(record_type)
    except (LookupError, ValueError):
        return words(str(record_type).rpartition(".")[2])
    name = str(model._meta.verbose_name)
    return name[:1].upper() + name[1:]


ERROR_CLASSES = {
    "govuk-select": "govuk-select--error",
    "govuk-textarea": "govuk-textarea--error",
    "govuk-input": "govuk-input--error",
}


@register.filter
def govuk_widget(bound_field):
    """The field's input; with an error, GOV.UK's error style and the message in its description."""
    if not bound_field.errors or govuk_kind(bound_field):
        return bound_field.as_widget()
    css = bound_field.field.widget.attrs.get("class", "")
    extra = [ERROR_CLASSES[c] for c in css.split() if c in ERROR_CLASSES]
    return bound_field.as_widget(
        attrs={
            "class": " ".join([css, *extra]).strip(),
            "aria-describedby": described_by(bound_field),
        }
    )


@register.filter
def elided_pages(page) -> list[int | None]:
    """The page numbers GOV.UK pagination shows: first, last, and the current one with its
    neighbours; None where pages are left out (shown as an ellipsis)."""
    paginator = page.paginator
    return [
        None if n == paginator.ELLIPSIS else n
        for n in paginator.get_elided_page_range(page.number, on_each_side=1, on_ends=1)
    ]


class ScrollableNode(template.Node):
    def __init__(self, label, nodelist):
        self.label, self.nodelist = label, nodelist

    def render(self, context) -> str:
        return format_html(
            '<div class="sm-scroll" role="region" aria-label="{}" tabindex="0">{}</div>',
            self.label.resolve(context),
            mark_safe(self.nodelist.render(context)),  # noqa: S308 - the template's own output
        )


@register.tag
def scrollable(parser, token):
    """{% scrollable "Label" %}<table>…</table>{% endscrollable %}: a wide table scrolls sideways
    inside its own focusable, named region (so keyboard users can scroll it too) and shows a
    shadow at the edge where there is more to see."""
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("scrollable takes one argument: the region's label")
    nodelist = parser.parse(("endscrollable",))
    parser.delete_first_token()
    return ScrollableNode(parser.compile_filter(bits[1]), nodelist)
