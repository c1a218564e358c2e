"""GOV.UK Design System widgets: the date input (day, month and year), radios and check boxes.

Each widget says which GOV.UK pattern it is (``govuk_kind``) so ``web/_field.html`` can put it in a
fieldset with a legend; the widgets render GOV.UK markup and keep working without JavaScript.
"""

from __future__ import annotations

import datetime as dt

from django import forms

PARTS = (("day", "Day", 2), ("month", "Month", 2), ("year", "Year", 4))


def parse_iso(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except (TypeError, ValueError):
        return None


class GovukDateInput(forms.MultiWidget):
    """Three text inputs, day, month and year (the GOV.UK date input pattern).

    The value posted is the three parts as typed, so a form with errors shows them again. A single
    ISO date under the field's own name (``?event_date_from=2025-01-31``, as the API and links use)
    is read too, and shown split into its parts.
    """

    template_name = "core/widgets/date_input.html"
    govuk_kind = "date"

    def __init__(self, attrs=None):
        widgets = {
            part: forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})
            for part, _label, _width in PARTS
        }
        super().__init__(widgets, attrs)

    def decompress(self, value):
        if isinstance(value, str):
            value = parse_iso(value) or value
        if isinstance(value, dt.date):
            return [str(value.day), str(value.month), str(value.year)]
        return [None, None, None]

    def value_from_datadict(self, data, files, name):
        parts = [data.get(f"{name}_{part}") for part, _label, _width in PARTS]
        if all(p is None for p in parts) and name in data:
            return data.get(name)
        return parts

    def value_omitted_from_data(self, data, files, name):
        return name not in data and all(f"{name}_{part}" not in data for part, _l, _w in PARTS)

    def id_for_label(self, id_):
        return f"{id_}_day" if id_ else id_

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        invalid = widget["attrs"].get("aria-invalid") == "true"
        widget["id"] = widget["attrs"].get("id", "")
        widget["parts"] = [
            {
                "name": sub["name"],
                "id": f"{widget['id']}_{part}" if widget["id"] else "",
                "value": sub["value"] or "",
                "label": label,
                "width": width,
                "invalid": invalid,
            }
            for sub, (part, label, width) in zip(widget["subwidgets"], PARTS, strict=True)
        ]
        return context


class GovukRadioSelect(forms.RadioSelect):
    template_name = "core/widgets/radios.html"
    govuk_kind = "radios"

    def __init__(self, attrs=None, choices=(), inline=False):
        super().__init__(attrs, choices)
        self.inline = inline

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["inline"] = self.inline
        return context


class GovukCheckboxSelectMultiple(forms.CheckboxSelectMultiple):
    template_name = "core/widgets/checkboxes.html"
    govuk_kind = "checkboxes"


class GovukGroupedCheckboxes(GovukCheckboxSelectMultiple):
    """Many check boxes in groups (organisations by region, say), each group folded in a
    ``<details>`` that opens where something is chosen, with what is chosen listed above them:
    a need-to-know control that can be read at a glance, without Ctrl-click and without JavaScript.

    ``group_of(obj)`` names the group of each choice's model instance.
    """

    template_name = "core/widgets/grouped_checkboxes.html"
    govuk_kind = "checkboxes"

    def __init__(self, attrs=None, choices=(), group_of=None):
        super().__init__(attrs, choices)
        self.group_of = group_of

    def __deepcopy__(self, memo):
        obj = super().__deepcopy__(memo)
        obj.group_of = self.group_of
        return obj

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        groups: dict[str, list] = {}
        chosen = []
        for _group, options, _index in context["widget"]["optgroups"]:
            for option in options:
                instance = getattr(option["value"], "instance", None)
                label = self.group_of(instance) if self.group_of and instance else "Other"
                groups.setdefault(label, []).append(option)
                if option["selected"]:
                    chosen.append(option["label"])
        context["widget"]["groups"] = [
            {
                "label": label,
                "options": options,
                "chosen": sum(1 for o in options if o["selected"]),
            }
            for label, options in sorted(groups.items())
        ]
        context["widget"]["chosen"] = chosen
        return context
