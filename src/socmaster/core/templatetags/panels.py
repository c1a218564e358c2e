"""``{% render_panel panel panel_context %}``: a registered panel's template inside the page."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def render_panel(context, panel, panel_context):
    """Render ``panel.template`` with the page's context plus the panel's own variables."""
    panel_template = context.template.engine.get_template(panel.template)
    with context.push(panel_context):
        return panel_template.render(context)
