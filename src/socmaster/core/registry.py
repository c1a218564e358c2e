"""Shared registries: what each app adds to pages that a lower (or the top) app renders.

A lower app never imports a higher one. Instead each app registers its part from its
``AppConfig.ready()`` (usually through its own ``registry.py``), and the page that shows them
reads the registry:

- threat-page panels (``threats/views.py`` and ``threats/detail.html``),
- panels of other records' pages (``register_record_panel("nominal", …)``: the nominal page;
  ``"sar"``: the SAR page), of the same shape,
- navigation items (``web/context_processors.py`` and ``web/base.html``),
- the home page's attention list (``web/views.py`` and ``web/home.html``).
- the sources of a tasking and co-ordination meeting's agenda (``tasking/services/meetings.py``).

Each entry has a ``key``; registering the same key again replaces the entry, so ``ready()`` may
run more than once. Entries are read back sorted by their ``order``, then their key. The shape is
that of ``threats/exceptions.py``: a frozen dataclass, ``register…()`` and a getter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


def _ordered(entries: dict) -> list:
    return sorted(entries.values(), key=lambda entry: (entry.order, entry.key))


# --- Threat-page panels ----------------------------------------------------------------------


@dataclass(frozen=True)
class ThreatPanel:
    """A section of the threat page, contributed by the app that owns its records.

    ``context(request, threat)`` applies the access policy itself and returns the variables for
    ``template``, or None to leave the panel off the page. The template is rendered inside the
    threat page (so it also sees ``threat``, ``user`` and ``request``) under an ``<h2>`` holding
    ``title``, whose HTML id is ``key``.
    """

    key: str
    title: str
    order: int
    template: str
    context: Callable[[Any, Any], dict | None]


_THREAT_PANELS: dict[str, ThreatPanel] = {}


def register_threat_panel(panel: ThreatPanel) -> None:
    _THREAT_PANELS[panel.key] = panel


def threat_panels() -> list[ThreatPanel]:
    return _ordered(_THREAT_PANELS)


def threat_panels_for(request, threat) -> list[tuple[ThreatPanel, dict]]:
    """The panels to show on ``threat``'s page for this request, in order, with their context."""
    shown = []
    for panel in threat_panels():
        context = panel.context(request, threat)
        if context is not None:
            shown.append((panel, context))
    return shown


# --- Panels of other records' pages ------------------------------------------------------------

#: A panel of any record's page: the same shape as a threat panel (``context(request, record)``).
RecordPanel = ThreatPanel

#: The pages that render record panels: the nominal page, the SAR page, and the form that adds a
#: nominal (whose panels are shown inside the form, with no record: ``context(request, None)``).
RECORD_PAGES = frozenset({"nominal", "sar", "nominal-form"})

_RECORD_PANELS: dict[str, dict[str, RecordPanel]] = {}


def register_record_panel(page: str, panel: RecordPanel) -> None:
    if page not in RECORD_PAGES:
        raise ValueError(f"No page {page!r} shows panels; pages: {sorted(RECORD_PAGES)}")
    _RECORD_PANELS.setdefault(page, {})[panel.key] = panel


def record_panels_for(page: str, request, record) -> list[tuple[RecordPanel, dict]]:
    """The panels to show on ``record``'s page (``page`` names which), in order, with context."""
    shown = []
    for panel in _ordered(_RECORD_PANELS.get(page, {})):
        context = panel.context(request, record)
        if context is not None:
            shown.append((panel, context))
    return shown


# --- Navigation ------------------------------------------------------------------------------


def everyone(user) -> bool:
    return True


@dataclass(frozen=True)
class NavItem:
    """An entry in the menu at the top of every page for signed-in users.

    ``url_name`` is reversed with no arguments. The entry is marked current on pages under
    ``active_prefix`` (its own URL if empty; the longest matching prefix wins), or only on its own
    URL if ``exact``. ``visible(user)`` says whether this user sees the entry at all.
    """

    key: str
    label: str
    url_name: str
    order: int
    visible: Callable[[Any], bool] = everyone
    active_prefix: str = ""
    exact: bool = False


_NAV_ITEMS: dict[str, NavItem] = {}


def register_nav_item(item: NavItem) -> None:
    _NAV_ITEMS[item.key] = item


def nav_items(user) -> list[NavItem]:
    """The entries this user sees, in order."""
    return [item for item in _ordered(_NAV_ITEMS) if item.visible(user)]


# --- The home page's attention list ----------------------------------------------------------


@dataclass(frozen=True)
class AttentionCount:
    """One figure on the home page: ``count`` and a link to exactly the records it counts.

    ``urgent`` figures (something overdue, waiting on the user) are shown first, tagged. ``detail``
    is a line under the figure, for example "oldest waiting 12 days". ``links`` are further
    (label, url) links shown after it, for example ("3 overdue", "…"). A figure of zero is listed
    under "Nothing else needs you" rather than as a card.
    """

    count: int
    label: str
    url: str
    links: tuple[tuple[str, str], ...] = ()
    urgent: bool = False
    detail: str = ""


@dataclass(frozen=True)
class AttentionItem:
    """A figure an app puts on the home page. ``count(user)`` returns it, or None to show nothing
    (the item does not concern this user: say None rather than 0 for a role that cannot act on
    it). ``count`` applies the access policy itself.

    The figure is shown with ``data-testid="count-<key>"``.
    """

    key: str
    order: int
    count: Callable[[Any], AttentionCount | None]


_ATTENTION: dict[str, AttentionItem] = {}


def register_attention(item: AttentionItem) -> None:
    _ATTENTION[item.key] = item


def attention_items() -> list[AttentionItem]:
    return _ordered(_ATTENTION)


def attention_for(user) -> list[tuple[AttentionItem, AttentionCount]]:
    """The figures to show this user, in order."""
    shown = []
    for item in attention_items():
        figure = item.count(user)
        if figure is not None:
            shown.append((item, figure))
    return shown


@dataclass(frozen=True)
class Attention:
    """The home page's list for one user: what needs them (urgent first, then in order) and the
    figures that are zero today."""

    needs_you: list[tuple[AttentionItem, AttentionCount]]
    nothing: list[tuple[AttentionItem, AttentionCount]]


def attention_list(user) -> Attention:
    figures = attention_for(user)
    needs = [(item, figure) for item, figure in figures if figure.count]
    needs.sort(key=lambda pair: not pair[1].urgent)  # stable: registry order within each group
    return Attention(needs, [(item, figure) for item, figure in figures if not figure.count])


# --- Meeting agendas -------------------------------------------------------------------------

#: The detail an agenda item about a record with restricted handling carries: the item names the
#: record (as a list would) and the rest is read on the record's page, with a reason.
RESTRICTED_DETAIL = "Restricted handling: open the record, giving your reason, for its details."


@dataclass(frozen=True)
class AgendaScope:
    """What a new tasking and co-ordination meeting's agenda covers, given to every source.

    ``level`` is the meeting's ("force", "area", "regional", "national"); ``organisation`` is the
    organisation whose body meets; ``region`` the region of a regional meeting and ``area`` the
    area of an area meeting (else None). The agenda covers the records owned by
    ``organisation_ids`` and those about threats affecting ``area_ids`` (both None: every
    record): :meth:`covering` applies that. ``since`` is the day of the previous meeting of the
    same body (or the start of the default period) and ``until`` the moment the agenda is built.
    ``user`` creates the meeting: build only from records they may see
    (``Model.objects.visible_to(scope.user)``). ``top_n`` is how many top threats to list;
    ``limit`` how many records of one kind to list one by one (:meth:`more` counts the rest).
    """

    level: str
    organisation: Any
    user: Any
    since: dt.date
    until: dt.datetime
    region: Any = None
    area: Any = None
    organisation_ids: frozenset[int] | None = None
    area_ids: frozenset[int] | None = None
    top_n: int = 10
    limit: int = 25

    @property
    def since_start(self) -> dt.datetime:
        """The first moment of ``since`` in the product's time zone (Europe/London)."""
        from django.utils import timezone

        return timezone.make_aware(dt.datetime.combine(self.since, dt.time.min))

    def covering(self, queryset, *owner_fields: str, areas: str = ""):
        """The records of ``queryset`` this agenda covers: owned (through any of ``owner_fields``,
        e.g. ``"owner"``) by one of ``organisation_ids``, or, where ``areas`` leads to a
        record's areas (``"areas"``, ``"threat__areas"``), about a threat affecting ``area_ids``."""
        from django.db.models import Q

        if self.organisation_ids is None and self.area_ids is None:
            return queryset
        q = Q(pk__in=[])
        for field in owner_fields:
            q |= Q(**{f"{field}_id__in": sorted(self.organisation_ids or ())})
        if areas and self.area_ids:
            affected = queryset.model.objects.filter(**{f"{areas}__in": sorted(self.area_ids)})
            q |= Q(pk__in=affected.values("pk"))
        return queryset.filter(q)

    def more(self, total: int, shown: int, noun: str, url: str = "") -> list[AgendaEntry]:
        """A figure for the records of a kind beyond those listed (none if all were listed)."""
        if total <= shown:
            return []
        return [AgendaEntry.figure_of(f"And {total - shown:,} more {noun}", url=url)]


@dataclass(frozen=True)
class AgendaEntry:
    """One item an agenda source proposes.

    Made with :meth:`about` it is about one record (a threat, a request, a disruption): who sees
    the item is decided from that record and the threat it concerns (everyone who sees the
    meeting and may see them, partners included), and an item about a restricted record carries
    only its title. Made with :meth:`figure_of` it is a figure over many records ("5 requests
    unmet for lack of capacity"), about no one record: police users who see the meeting see it,
    partners never do.
    """

    title: str
    detail: str = ""
    url: str = ""
    record_type: str = ""
    record_id: int | None = None
    threat_id: int | None = None
    figure: bool = False

    @classmethod
    def about(cls, record, title: str, detail: str = "", *, threat=None, url: str | None = None):
        """An item about ``record`` (and about ``threat``, the threat it concerns, if any)."""
        from . import policy

        restricted = policy.is_restricted(record) or (
            threat is not None and policy.is_restricted(threat)
        )
        if url is None:
            url = record.get_absolute_url() if hasattr(record, "get_absolute_url") else ""
        return cls(
            title=title,
            detail=RESTRICTED_DETAIL if restricted else detail,
            url=url,
            record_type=record._meta.label_lower,
            record_id=record.pk,
            threat_id=getattr(threat, "pk", None),
        )

    @classmethod
    def figure_of(cls, title: str, detail: str = "", *, url: str = ""):
        """A figure over many records, shown to police users only."""
        return cls(title=title, detail=detail, url=url, figure=True)


@dataclass(frozen=True)
class AgendaSource:
    """A kind of agenda item, contributed by the app that owns its records.

    When a meeting is created, ``build(scope)`` (an :class:`AgendaScope`) returns the
    :class:`AgendaEntry` items of this kind in the order to list them; they are shown under
    ``title``, the sections in ``order``. ``record_types`` names the models
    (``app_label.model_name``) its entries are about: the meeting decides from them who may see
    each item, so an entry about any other model is refused. The key is stored on each item as
    its kind. A ``background`` source's items take long to work out (the exceptions report over
    a region): the meeting is created with a placeholder in its section, which a background task
    replaces with them, from the same scope, as soon as it can.
    """

    key: str
    title: str
    order: int
    build: Callable[[AgendaScope], list[AgendaEntry]]
    record_types: tuple[str, ...] = ()
    explanation: str = ""
    background: bool = False


_AGENDA_SOURCES: dict[str, AgendaSource] = {}


def register_agenda_source(source: AgendaSource) -> None:
    _AGENDA_SOURCES[source.key] = source


def agenda_sources() -> list[AgendaSource]:
    return _ordered(_AGENDA_SOURCES)


def agenda_record_types() -> frozenset[str]:
    """Every model an agenda item may be about (the sources' ``record_types``)."""
    return frozenset(t for source in _AGENDA_SOURCES.values() for t in source.record_types)
