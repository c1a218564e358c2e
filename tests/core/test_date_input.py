"""The GOV.UK date input: day, month and year fields, GOV.UK's error messages, stored and default
dates shown, ISO dates still accepted (API, links), and every date field of the product uses it."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django import forms

from socmaster.core.filters import GovukDateFilter
from socmaster.core.forms import GovukDateField, style_form
from socmaster.core.widgets import GovukDateInput
from socmaster.disruptions import services
from socmaster.disruptions.filters import DisruptionFilter
from socmaster.disruptions.models import Disruption, Tactic
from socmaster.threats.models import Threat

TODAY = dt.date.today()


class EventForm(forms.Form):
    event_date = GovukDateField(label="Event date")
    review = GovukDateField(label="Review by", error_name="Review date", required=False)


def errors(**data) -> list[str]:
    form = EventForm(data)
    form.is_valid()
    return form.errors.get("event_date", [])


@pytest.mark.parametrize(
    "day, month, year, message",
    [
        ("", "", "", "Enter the event date"),
        ("27", "", "2007", "Event date must include a month"),
        ("", "3", "2007", "Event date must include a day"),
        ("27", "3", "", "Event date must include a year"),
        ("", "", "2007", "Event date must include a day and month"),
        ("27", "", "", "Event date must include a month and year"),
        ("31", "2", "2007", "Event date must be a real date"),
        ("27", "13", "2007", "Event date must be a real date"),
        ("x", "3", "2007", "Event date must be a real date"),
        ("27", "3", "07", "Year must include 4 numbers"),
    ],
)
def test_each_govuk_date_error_message(day, month, year, message):
    data = {"event_date_day": day, "event_date_month": month, "event_date_year": year}
    assert errors(**data) == [message]


def test_error_name_is_used_where_the_label_would_read_badly():
    form = EventForm({"event_date": "2025-01-01", "review_day": "3", "review_year": "2026"})
    assert form.errors["review"] == ["Review date must include a month"]


def test_parts_iso_dates_and_month_names_are_read():
    def clean(**data):
        form = EventForm(data)
        assert form.is_valid(), form.errors
        return form.cleaned_data["event_date"]

    assert clean(event_date_day=" 7 ", event_date_month="3", event_date_year="2007") == dt.date(
        2007, 3, 7
    )
    assert clean(event_date_day="7", event_date_month="Mar", event_date_year="2007") == dt.date(
        2007, 3, 7
    )
    assert clean(event_date="2007-03-07") == dt.date(2007, 3, 7)
    assert EventForm({"event_date": "07/03/2007"}).errors["event_date"] == [
        "Event date must be a real date"
    ]


def test_a_stored_date_is_rendered_into_its_three_parts_and_round_trips():
    html = str(EventForm(initial={"event_date": dt.date(2026, 11, 20)})["event_date"])
    assert 'name="event_date_day"' in html and 'value="20"' in html
    assert 'value="11"' in html and 'value="2026"' in html
    assert 'type="date"' not in html and "govuk-date-input__input" in html
    # What was typed comes back as typed when the form has errors.
    bound = EventForm({"event_date_day": "31", "event_date_month": "2", "event_date_year": "2026"})
    assert 'value="31"' in str(bound["event_date"]) and "govuk-input--error" in str(
        bound["event_date"]
    )
    assert not EventForm(
        {"event_date_day": "20", "event_date_month": "11", "event_date_year": "2026"},
        initial={"event_date": dt.date(2026, 11, 20)},
    ).has_changed()


def test_style_form_turns_a_plain_date_field_into_the_govuk_one():
    class Plain(forms.Form):
        when = forms.DateField()

    form = style_form(Plain({"when_day": "1", "when_month": "2", "when_year": "2025"}))
    assert isinstance(form.fields["when"], GovukDateField)
    assert form.is_valid() and form.cleaned_data["when"] == dt.date(2025, 2, 1)


FORM_MODULES = [
    "socmaster.assessments.forms",
    "socmaster.disruptions.forms",
    "socmaster.organisations.forms",
    "socmaster.plans.forms",
    "socmaster.threats.forms",
]
FILTER_MODULES = [
    "socmaster.core.filters",
    "socmaster.disruptions.filters",
    "socmaster.plans.filters",
    "socmaster.threats.filters",
    "socmaster.assessments.filters",
    "socmaster.organisations.filters",
]


def _classes(modules, base):
    for name in modules:
        for obj in vars(importlib.import_module(name)).values():
            if isinstance(obj, type) and issubclass(obj, base) and obj.__module__ == name:
                yield obj


def test_every_date_field_of_every_form_is_the_govuk_date_input():
    checked = 0
    for cls in _classes(FORM_MODULES, forms.BaseForm):
        fields = getattr(cls, "base_fields", {})
        for name, field in fields.items():
            if isinstance(field, forms.DateField | GovukDateField):
                assert isinstance(field, GovukDateField), f"{cls.__name__}.{name}"
                assert isinstance(field.widget, GovukDateInput), f"{cls.__name__}.{name}"
                checked += 1
    assert checked >= 14


def test_every_date_filter_is_the_govuk_one():
    import django_filters

    checked = 0
    for cls in _classes(FILTER_MODULES, django_filters.FilterSet):
        for name, f in cls.base_filters.items():
            if isinstance(f, django_filters.DateFilter):
                assert isinstance(f, GovukDateFilter), f"{cls.__name__}.{name}"
                checked += 1
    assert checked >= 4


@pytest.mark.django_db
def test_filter_keeps_the_applied_date_visible_and_the_api_takes_iso(web, api, make_user, org):
    user = make_user("force-durham", "analyst")
    threat = Threat.objects.create(
        reference="DI-1",
        name="Dates",
        owner=org("force-durham"),
        threat_type="ocg",
        handling="region",
    )
    for days in (3, 40):
        disruption = services.record_disruption(
            user,
            threat,
            recording_organisation=org("force-durham"),
            event_date=TODAY - dt.timedelta(days=days),
            record_date=TODAY - dt.timedelta(days=days),
            team="Op Lantern",
            disruption_type="lead",
            four_p="pursue",
            category="minor",
            tactic=Tactic.objects.get(code="arrest"),
            narrative="Principal arrested.",
            evidence="Custody ref 1",
        )
        Disruption.objects.filter(pk=disruption.pk).update(reference=f"DI-{days}")
    since = TODAY - dt.timedelta(days=10)
    page = web(user).get(
        "/disruptions/",
        {
            "event_date_from_day": since.day,
            "event_date_from_month": since.month,
            "event_date_from_year": since.year,
        },
    )
    html = page.content.decode()
    assert "DI-3" in html and "DI-40" not in html
    assert (
        f'name="event_date_from_day" type="text" inputmode="numeric" autocomplete="off" value="{since.day}"'
        in html
    )
    # A link with an ISO date shows it split into its parts, and filters the same way.
    html = web(user).get("/disruptions/", {"event_date_from": since.isoformat()}).content.decode()
    assert "DI-40" not in html and f'value="{since.year}"' in html
    response = api(user).get("/api/disruptions/", {"event_date_from": since.isoformat()})
    assert response.status_code == 200
    assert [d["reference"] for d in response.json()["results"]] == ["DI-3"]
    bad = api(user).get("/api/disruptions/", {"event_date_from": "31/12/2025"})
    assert bad.status_code == 400
    assert not DisruptionFilter({"event_date_from": "2025-02-30"}).is_valid()


@pytest.mark.django_db
def test_default_dates_are_shown(web, make_user, org):
    user = make_user("force-durham", "analyst", "lro")
    threat = Threat.objects.create(
        reference="DI-2",
        name="Defaults",
        owner=org("force-durham"),
        threat_type="ocg",
        handling="region",
    )
    client = web(user)
    year_ago = TODAY.replace(year=TODAY.year - 1)
    for url in ("/disruptions/report/", "/disruptions/extract/", "/disruptions/recording-audit/"):
        html = client.get(url).content.decode()
        assert (
            f'name="date_from_year" type="text" inputmode="numeric" autocomplete="off" value="{year_ago.year}"'
            in html
        ), url
        assert (
            f'name="date_to_day" type="text" inputmode="numeric" autocomplete="off" value="{TODAY.day}"'
            in html
        ), url
    html = client.get(f"/disruptions/new/{threat.reference}/").content.decode()
    assert (
        f'name="event_date_day" type="text" inputmode="numeric" autocomplete="off" value="{TODAY.day}"'
        in html
    )
    html = client.get(f"/assessments/new/{threat.reference}/").content.decode()
    assert (
        f'name="review_due_year" type="text" inputmode="numeric" autocomplete="off" value="{TODAY.year + 1}"'
        in html
    )


def test_the_inputs_ids_are_the_ones_the_error_summary_links_to():
    form = EventForm({})
    html = str(form["event_date"])
    for part in ("day", "month", "year"):
        assert f'id="id_event_date_{part}"' in html and f'for="id_event_date_{part}"' in html
    assert form["event_date"].id_for_label == "id_event_date_day"
