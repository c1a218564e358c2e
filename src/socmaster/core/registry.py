"""Shared registries: what each app adds to pages that a lower (or the top) app renders.

A lower app never imports a higher one. Instead each app registers its part from its
``AppConfig.ready()`` (usually through its own ``registry.py``), and the page that shows them
reads the registry:

- threat-page panels (``threats/views.py`` and ``threats/detail.html``),
- panels of other records' pages (``register_record_panel("nominal", …)``: the nominal page;
  ``"sar"``: the SAR page), of the same shape,
- navigation items (``web/context_processors.py`` and ``web/base.html``),
- the home page's attention list (``web/views.py`` and ``web/home.html``).

Each entry has a ``key``; registering the same key again replaces the entry, so ``ready()`` may
run more than once. Entries are read back sorted by their ``order``, then their key. The shape is
that of ``threats/exceptions.py``: a frozen dataclass, ``register…()`` and a getter.
"""

from __future__ import annotations

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
