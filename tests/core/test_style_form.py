"""style_form makes any form GOV.UK: its widgets, its messages and its empty choices."""

from __future__ import annotations

from django import forms

from socmaster.core.forms import CHOOSE, style_form
from socmaster.core.widgets import GovukCheckboxSelectMultiple, GovukRadioSelect


class Plain(forms.Form):
    colour = forms.ChoiceField(choices=[("r", "Red"), ("g", "Green")], widget=forms.RadioSelect)
    sizes = forms.MultipleChoiceField(
        choices=[("s", "Small"), ("l", "Large")], widget=forms.CheckboxSelectMultiple
    )
    kind = forms.ChoiceField(choices=[("", "---------"), ("a", "A")])
    team = forms.CharField()
    ready = forms.ChoiceField(label="Is it ready?", choices=[("y", "Yes")])


def test_plain_radios_and_check_boxes_become_govuk_ones():
    form = style_form(Plain())
    assert isinstance(form.fields["colour"].widget, GovukRadioSelect)
    assert isinstance(form.fields["sizes"].widget, GovukCheckboxSelectMultiple)
    html = str(form["colour"])
    assert "govuk-radios__input" in html and "govuk-input" not in html
    assert "govuk-checkboxes__input" in str(form["sizes"])


def test_messages_name_the_field_and_empty_choices_say_choose():
    form = style_form(Plain({}))
    assert form.errors["team"] == ["Enter the team"]
    assert form.errors["colour"] == ["Select the colour"]
    assert form.errors["ready"] == ["Choose an answer"]
    assert "This field is required." not in str(form.errors)
    assert ("", CHOOSE) in list(form.fields["kind"].choices)
    assert "---------" not in str(form["kind"])


def test_filter_forms_do_not_mark_fields_optional():
    assert style_form(Plain(), filters=True).mark_optional is False
    assert style_form(Plain()).mark_optional is True
