"""A user's association graph, built from the database through the access policy.

Every edge comes from one source record (a membership, an identifier, a linked entity, a
disruption, an intelligence report, a SAR, a reviewed match, a recorded association) read
through that record's ``visible_to(user)``; an edge whose other end is a nominal or threat the
user may not see is dropped too (a disruption the user may see can name a nominal they may not).
So no node or edge the user may not see enters the graph, and no metric, chart or export made
from it can reveal one.

Two graphs come from the same edges:

- the **chart graph** (:meth:`VisibleNetwork.chart_graph`): typed nodes (nominals, threats,
  phones, addresses, vehicles, businesses, places…) and every source edge, for link charts,
  paths and exports;
- the **person graph** (:meth:`VisibleNetwork.person_graph`): nominals only, joined by the
  association evidence (shared identifiers, co-recorded disruptions, co-mentions in reports and
  SARs, reviewed matches, recorded associations) — what key players, communities and
  whole-threat suggestions are computed on. Membership of a threat is left out of it on
  purpose: suggestions test the recorded membership against the evidence, so the membership
  cannot be part of the evidence.

Queries are bounded: the whole network is read in one query per kind of source; a
neighbourhood is read ring by ring, one query per kind of source per ring.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations
from operator import itemgetter
from urllib.parse import quote

import pandas as pd
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS

from socmaster.core.converters import ReferenceConverter
from socmaster.disruptions.models import Disruption
from socmaster.intelligence.models import ReportMention, ReportSubject
from socmaster.linkage.choices import MatchStatus, SubjectKind
from socmaster.linkage.services import visible_candidates
from socmaster.threats.models import (
    Identifier,
    LinkedEntity,
    Nominal,
    Threat,
    ThreatMember,
    normalise_identifier,
)

from . import engine
from .choices import EdgeType, NodeType
from .models import Association

#: Identifiers whose kind makes a node of the graph (a PNC ID or passport is the person's own).
IDENTIFIER_NODES = {
    "phone": NodeType.PHONE,
    "address": NodeType.ADDRESS,
    "postcode": NodeType.ADDRESS,
    "vehicle": NodeType.VEHICLE,
    "email": NodeType.EMAIL,
}
LINKED_NODES = {
    "business": NodeType.BUSINESS,
    "place": NodeType.PLACE,
    "vehicle": NodeType.VEHICLE,
    "phone": NodeType.PHONE,
    "account": NodeType.ACCOUNT,
    "online": NodeType.ONLINE,
}
MENTION_NODES = {"place": NodeType.PLACE, "phone": NodeType.PHONE, "vehicle": NodeType.VEHICLE}
#: An identifier held by more nominals than this (a hostel's postcode, a switchboard) is not
#: evidence that they know each other: it stays on the chart but joins nobody in the person graph.
SHARED_IDENTIFIER_CAP = 12
#: A disruption, report or SAR naming more nominals than this joins them on the chart (through
#: the threat) but not pairwise in the person graph.
CO_RECORDED_CAP = 30
#: The association evidence: the edge types of the person graph.
PERSON_EDGE_TYPES = (
    EdgeType.IDENTIFIER,
    EdgeType.DISRUPTION,
    EdgeType.REPORT,
    EdgeType.SAR,
    EdgeType.RESOLVED,
    EdgeType.ASSOCIATE,
)
EDGE_COLUMNS = ["source", "target", "type", "weight", "date_from", "date_to", "ref"]


def nominal_node(pk: int) -> str:
    return f"n:{pk}"


def threat_node(pk: int) -> str:
    return f"t:{pk}"


def value_node(kind: str, normalised: str) -> str:
    return f"{kind}:{normalised}"


def _iso(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


@dataclass
class _Frontier:
    """What to read edges around: nominal and threat pks and value-node ids (``None``: all)."""

    nominals: set[int] | None = None
    threats: set[int] | None = None
    values: set[str] | None = None

    @property
    def everything(self) -> bool:
        return self.nominals is None

    def q(self, nominal_field: str | None = None, threat_field: str | None = None) -> Q:
        condition = Q(pk__in=[])
        if nominal_field and self.nominals:
            condition |= Q(**{f"{nominal_field}__in": self.nominals})
        if threat_field and self.threats:
            condition |= Q(**{f"{threat_field}__in": self.threats})
        return condition


@dataclass
class VisibleNetwork:
    """The edges a user may see, with their nodes' labels and the threats' current members."""

    edges: list[tuple] = field(default_factory=list)
    labels: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    #: node id -> (type, label, url, reference)
    #: threat node id -> current member node ids
    membership: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    # --- tables for the engine -------------------------------------------------------------

    def edge_table(self, types: Iterable[str] | None = None) -> pd.DataFrame:
        rows = self.edges
        if types is not None:
            wanted = set(types)
            rows = [e for e in rows if e[2] in wanted]
        return pd.DataFrame(rows, columns=EDGE_COLUMNS)

    def node_table(self, ids: Iterable[str] | None = None) -> pd.DataFrame:
        keys = self.labels if ids is None else ids
        return pd.DataFrame(
            [(k, *self.labels[k][:2]) for k in keys if k in self.labels],
            columns=["id", "type", "label"],
        )

    def chart_graph(self) -> engine.Graph:
        return engine.Graph.from_tables(self.edge_table(), self.node_table())

    def person_edges(self) -> pd.DataFrame:
        """Nominal-to-nominal edges: the direct ones, and a pair for every identifier two to
        :data:`SHARED_IDENTIFIER_CAP` nominals hold."""
        direct = [e for e in self.edges if e[2] in PERSON_EDGE_TYPES and e[2] != "identifier"]
        holders: dict[str, list[tuple]] = defaultdict(list)
        for e in self.edges:
            if e[2] == EdgeType.IDENTIFIER:
                holders[e[1]].append(e)
        for value, held in holders.items():
            people = {e[0]: e for e in held}
            if not 2 <= len(people) <= SHARED_IDENTIFIER_CAP:
                continue
            for (a, ea), (b, eb) in combinations(sorted(people.items()), 2):
                direct.append(
                    (a, b, EdgeType.IDENTIFIER.value, 1.0, "", "", f"{ea[6]} {eb[6]} {value}")
                )
        return pd.DataFrame(direct, columns=EDGE_COLUMNS)

    def person_graph(self) -> engine.Graph:
        people = [k for k, v in self.labels.items() if v[0] == NodeType.NOMINAL]
        return engine.Graph.from_tables(self.person_edges(), self.node_table(people))

    def fingerprint(self) -> str:
        """A SHA-256 of every edge (ends, kind, source record) and node label: two networks with
        the same fingerprint are the same graph, memberships and labels included, so whatever
        was computed from one may be shown to whoever can see the other."""
        import hashlib

        digest = hashlib.sha256()
        for edge in sorted((e[0], e[1], e[2], e[6]) for e in self.edges):
            digest.update("\x1f".join(edge).encode())
            digest.update(b"\x1e")
        for node in sorted(self.labels):
            digest.update(f"{node}\x1f{self.labels[node][1]}\x1e".encode())
        return digest.hexdigest()

    def members(self) -> dict[str, list[str]]:
        return {t: sorted(m) for t, m in self.membership.items()}

    def url(self, node_id: str) -> str:
        label = self.labels.get(node_id)
        return label[2] if label else ""

    def reference(self, node_id: str) -> str:
        label = self.labels.get(node_id)
        return label[3] if label else ""


class _Reader:
    """Reads one user's edges, each kind of source through its own ``visible_to``."""

    def __init__(self, user, network: VisibleNetwork, region=None):
        self.user = user
        self.net = network
        self.region = region

    # Each reader appends (source, target, type, weight, from, to, ref) rows for the frontier.

    def members(self, f: _Frontier) -> None:
        qs = ThreatMember.objects.visible_to(self.user)
        if not f.everything:
            qs = qs.filter(f.q("nominal_id", "threat_id"))
        for pk, threat, nominal, start, end in qs.values_list(
            "pk", "threat_id", "nominal_id", "from_date", "to_date"
        ).order_by():
            self.net.edges.append(
                (
                    nominal_node(nominal),
                    threat_node(threat),
                    EdgeType.MEMBER.value,
                    1.0,
                    _iso(start),
                    _iso(end),
                    f"threats.threatmember:{pk}",
                )
            )
            if end is None:
                self.net.membership[threat_node(threat)].add(nominal_node(nominal))

    def identifiers(self, f: _Frontier) -> None:
        qs = Identifier.objects.visible_to(self.user).filter(kind__in=list(IDENTIFIER_NODES))
        if not f.everything:
            by_value = Q(pk__in=[])
            for node in f.values or ():
                kind, _, normalised = node.partition(":")
                kinds = ["address", "postcode"] if kind == "address" else [kind]
                by_value |= Q(kind__in=kinds, normalised=normalised)
            qs = qs.filter(f.q("nominal_id") | by_value)
        for pk, nominal, kind, normalised, value in qs.values_list(
            "pk", "nominal_id", "kind", "normalised", "value"
        ).order_by():
            node_type = IDENTIFIER_NODES[kind]
            node = value_node(node_type, normalised)
            self.net.labels.setdefault(node, (node_type, value, "", ""))
            self.net.edges.append(
                (
                    nominal_node(nominal),
                    node,
                    EdgeType.IDENTIFIER.value,
                    1.0,
                    "",
                    "",
                    f"threats.identifier:{pk}",
                )
            )

    def linked(self, f: _Frontier) -> None:
        qs = LinkedEntity.objects.visible_to(self.user)
        if not f.everything:
            if not f.threats:
                return
            qs = qs.filter(threat_id__in=f.threats)
        for pk, threat, kind, name in qs.values_list("pk", "threat_id", "kind", "name").order_by():
            node_type = LINKED_NODES[kind]
            node = value_node(node_type, normalise_identifier(kind, name))
            self.net.labels.setdefault(node, (node_type, name, "", ""))
            self.net.edges.append(
                (
                    threat_node(threat),
                    node,
                    EdgeType.LINKED.value,
                    1.0,
                    "",
                    "",
                    f"threats.linkedentity:{pk}",
                )
            )

    def _pairs(self, groups: dict, edge_type: str, ref: str, dates: dict) -> None:
        append = self.net.edges.append
        for key, people in groups.items():
            people = sorted(set(people))
            if not 2 <= len(people) <= CO_RECORDED_CAP:
                continue
            day, source = _iso(dates.get(key)), f"{ref}:{key}"
            nodes = [nominal_node(p) for p in people]
            for a, b in combinations(nodes, 2):
                append((a, b, edge_type, 1.0, day, day, source))

    def disruptions(self, f: _Frontier) -> None:
        # The through table is not a protected model: its rows are those of disruptions the
        # user may see (EXISTS, as core.policy.restrict does, so SQLite looks each one up by key
        # rather than listing every visible disruption first).
        visible = Disruption.objects.visible_to(self.user).filter(pk=OuterRef("disruption_id"))
        through = Disruption.nominals.through.objects.filter(Exists(visible))
        if not f.everything:
            if not f.nominals:
                return
            ids = set(
                through.filter(nominal_id__in=f.nominals).values_list("disruption_id", flat=True)
            )
            if not ids:
                return
            through = through.filter(disruption_id__in=ids)
        groups: dict[int, list[int]] = defaultdict(list)
        dates = {}
        for disruption, nominal, day in through.values_list(
            "disruption_id", "nominal_id", "disruption__event_date"
        ).order_by():
            groups[disruption].append(nominal)
            dates[disruption] = day
        self._pairs(groups, EdgeType.DISRUPTION.value, "disruptions.disruption", dates)

    def reports(self, f: _Frontier) -> None:
        subjects = ReportSubject.objects.visible_to(self.user).filter(nominal__isnull=False)
        mentions = ReportMention.objects.visible_to(self.user)
        if not f.everything:
            by_nominal = subjects.filter(nominal_id__in=f.nominals or ()).values("report_id")
            by_value = Q(pk__in=[])
            for node in f.values or ():
                kind, _, normalised = node.partition(":")
                if kind in MENTION_NODES:
                    by_value |= Q(kind=kind, normalised=normalised)
            reports = set(by_nominal.values_list("report_id", flat=True))
            reports |= set(mentions.filter(by_value).values_list("report_id", flat=True))
            if not reports:
                return
            subjects = subjects.filter(report_id__in=reports)
            mentions = mentions.filter(report_id__in=reports)
        groups: dict[int, list[int]] = defaultdict(list)
        dates = {}
        for report, nominal, day in subjects.values_list(
            "report_id", "nominal_id", "report__submitted_on"
        ).order_by():
            groups[report].append(nominal)
            dates[report] = day
        self._pairs(groups, EdgeType.REPORT.value, "intelligence.intelligencereport", dates)
        # Each report's subjects, dates and reference worked out once, not once per mention.
        named = {
            report: [nominal_node(n) for n in sorted(set(people))]
            for report, people in groups.items()
        }
        edge_type, labels, append = EdgeType.REPORT.value, self.net.labels, self.net.edges.append
        kinds = {kind: str(node_type) for kind, node_type in MENTION_NODES.items()}
        # Only mentions in reports that name a nominal make an edge: the others are left in
        # the database rather than read and dropped.
        with_subjects = mentions.filter(report_id__in=subjects.values("report_id"))
        for report, kind, value, normalised in with_subjects.values_list(
            "report_id", "kind", "value", "normalised"
        ).order_by():
            node_type = kinds[kind]
            node = value_node(node_type, normalised)
            if node not in labels:
                labels[node] = (MENTION_NODES[kind], value, "", "")
            people = named.get(report)
            if not people:
                continue
            day, source = _iso(dates.get(report)), f"intelligence.intelligencereport:{report}"
            for nominal in people:
                append((nominal, node, edge_type, 1.0, day, day, source))

    def sars(self, f: _Frontier) -> None:
        links = visible_candidates(self.user).filter(
            kind=SubjectKind.SAR_SUBJECT, status=MatchStatus.LINKED
        )
        if not f.everything:
            if not f.nominals:
                return
            sars = links.filter(nominal_id__in=f.nominals).values("sar_subject__sar_id")
            links = links.filter(sar_subject__sar_id__in=sars)
        groups: dict[int, list[int]] = defaultdict(list)
        dates = {}
        for sar, nominal, day in links.values_list(
            "sar_subject__sar_id", "nominal_id", "sar_subject__sar__submitted_on"
        ).order_by():
            groups[sar].append(nominal)
            dates[sar] = day
        self._pairs(groups, EdgeType.SAR.value, "intelligence.suspiciousactivityreport", dates)

    def resolved(self, f: _Frontier) -> None:
        qs = visible_candidates(self.user).filter(
            kind=SubjectKind.NOMINAL,
            status=MatchStatus.LINKED,
            other_nominal__isnull=False,
            decisions__isnull=False,
        )
        if not f.everything:
            if not f.nominals:
                return
            qs = qs.filter(Q(nominal_id__in=f.nominals) | Q(other_nominal_id__in=f.nominals))
        for pk, a, b in qs.values_list("pk", "nominal_id", "other_nominal_id").distinct():
            self.net.edges.append(
                (
                    nominal_node(a),
                    nominal_node(b),
                    EdgeType.RESOLVED.value,
                    1.0,
                    "",
                    "",
                    f"linkage.candidatematch:{pk}",
                )
            )

    def associations(self, f: _Frontier) -> None:
        qs = Association.objects.visible_to(self.user)
        if not f.everything:
            if not f.nominals:
                return
            qs = qs.filter(Q(nominal_id__in=f.nominals) | Q(other_id__in=f.nominals))
        for pk, a, b, start, end in qs.values_list(
            "pk", "nominal_id", "other_id", "from_date", "to_date"
        ).order_by():
            self.net.edges.append(
                (
                    nominal_node(a),
                    nominal_node(b),
                    EdgeType.ASSOCIATE.value,
                    1.0,
                    _iso(start),
                    _iso(end),
                    f"network.association:{pk}",
                )
            )

    READERS = ("members", "identifiers", "linked", "disruptions", "reports", "sars")

    def read(self, f: _Frontier) -> None:
        for name in (*self.READERS, "resolved", "associations"):
            getattr(self, name)(f)

    # --- the ends of the edges -------------------------------------------------------------

    def label_ends(self) -> None:
        """Label the nominal and threat ends, through their own ``visible_to``, and drop every
        edge with an end the user may not see (and the duplicates ring-by-ring reading makes)."""
        edges = self.net.edges
        ends = set(map(itemgetter(0), edges))
        ends.update(map(itemgetter(1), edges))
        nominal_ids = {int(end[2:]) for end in ends if end[:2] == "n:"}
        threat_ids = {int(end[2:]) for end in ends if end[:2] == "t:"}
        nominals = Nominal.objects.visible_to(self.user)
        threats = Threat.objects.visible_to(self.user)
        if self.region is not None:
            nominals = nominals.filter(owner__region=self.region)
            threats = threats.filter(owner__region=self.region)
        if not self._everything:
            nominals = nominals.filter(pk__in=nominal_ids)
            threats = threats.filter(pk__in=threat_ids)
        nominal_url, threat_url = _url_maker("threats:nominal"), _url_maker("threats:detail")
        for pk, ref, family, given in nominals.values_list(
            "pk", "reference", "family_name", "given_names"
        ).order_by():
            label = f"{family.upper()}, {given}".strip(", ") + f" ({ref})"
            self.net.labels[nominal_node(pk)] = (NodeType.NOMINAL, label, nominal_url(ref), ref)
        for pk, ref, name in threats.values_list("pk", "reference", "name").order_by():
            self.net.labels[threat_node(pk)] = (
                NodeType.THREAT,
                f"{ref} {name}",
                threat_url(ref),
                ref,
            )
        labels = self.net.labels
        unique: dict[tuple, tuple] = {}
        for e in edges:
            if e[0] in labels and e[1] in labels:
                unique.setdefault((e[0], e[1], e[2], e[6]), e)
        kept = list(unique.values())
        self.net.edges = kept
        for threat in list(self.net.membership):
            members = {m for m in self.net.membership[threat] if m in self.net.labels}
            if threat in self.net.labels and members:
                self.net.membership[threat] = members
            else:
                del self.net.membership[threat]
        used = set(map(itemgetter(0), kept))
        used.update(map(itemgetter(1), kept))
        for node in [k for k, v in self.net.labels.items() if v[0] not in ("nominal", "threat")]:
            if node not in used:
                del self.net.labels[node]

    _everything = True


_PLACEHOLDER = "REFERENCE0PLACEHOLDER"


def _url_maker(name: str):
    """``reference -> reverse(name, args=[reference])`` without resolving the pattern for each of
    tens of thousands of records: reversed once around a placeholder, then filled in, quoted as
    ``reverse`` converts and quotes (``tests/network/test_pages.py`` checks they agree)."""
    prefix, _, suffix = reverse(name, args=[_PLACEHOLDER]).partition(_PLACEHOLDER)
    to_url = ReferenceConverter().to_url

    def url(reference: str) -> str:
        return prefix + quote(to_url(reference), safe=RFC3986_SUBDELIMS + "/~:@") + suffix

    return url


def visible_network(user, *, region=None) -> VisibleNetwork:
    """Everything ``user`` may see (optionally only nominals and threats owned in ``region``)."""
    network = VisibleNetwork()
    reader = _Reader(user, network, region)
    reader.read(_Frontier())
    reader.label_ends()
    return network


def network_around(user, centres: Iterable[str], *, steps: int = 2) -> VisibleNetwork:
    """The edges ``user`` may see within ``steps`` rings of ``centres`` (node ids), read ring by
    ring: the edges of every node nearer than ``steps``."""
    network = VisibleNetwork()
    reader = _Reader(user, network)
    reader._everything = False
    frontier = set(centres)
    seen: set[str] = set()
    for _ring in range(steps):
        todo = frontier - seen
        if not todo:
            break
        seen |= todo
        before = len(network.edges)
        reader.read(_Frontier(*_split(todo)))
        frontier = {end for e in network.edges[before:] for end in e[:2]}
    reader.label_ends()
    return network


def _split(nodes: Iterable[str]) -> tuple[set[int], set[int], set[str]]:
    nominals, threats, values = set(), set(), set()
    for node in nodes:
        if node.startswith("n:"):
            nominals.add(int(node[2:]))
        elif node.startswith("t:"):
            threats.add(int(node[2:]))
        else:
            values.add(node)
    return nominals, threats, values
