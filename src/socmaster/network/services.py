"""Network analysis's writes and analyses: recorded associations, analyses of a user's visible
network (in the background, stored and dated), a threat's and a nominal's network (at once),
suggested members added through the membership service, uploaded edge lists and exports.

Every figure is computed over :mod:`network.build`'s graph of what the user may see, so it can
reveal nothing they may not see; a stored analysis is shown only to the user who ran it
(:func:`runs_for`)."""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from socmaster.core import audit, policy
from socmaster.core.choices import Action, AuditAction
from socmaster.core.services import record_export, require
from socmaster.core.validators import check_text
from socmaster.threats import services as threat_services
from socmaster.threats.models import Nominal, Threat

from . import build, engine
from .choices import AssociationKind, EdgeType, RunKind, RunStatus
from .models import Association, NetworkRun

EDGE_LABELS = dict(EdgeType.choices)

#: Key players and brokers kept with a stored analysis (its tables show these).
KEPT = 100
#: How long an unfinished analysis keeps its starter from starting another (its worker stopped).
RUN_STALE_AFTER = dt.timedelta(hours=6)
#: The largest edge list the upload page takes (the CLI takes any size).
UPLOAD_MAX_BYTES = 50 * 1024 * 1024
EXPORT_FORMATS = ("graphml", "csv", "anx")
#: An analysis of exactly the same graph (the same fingerprint) this recent is reused.
REUSE_FOR = dt.timedelta(hours=24)
#: A suggested member is tied to at least this many of the threat's members.
MIN_TIES = 2


# --- recorded associations -----------------------------------------------------------------------


@transaction.atomic
def record_association(
    user,
    nominal: Nominal,
    other: Nominal,
    *,
    kind: str = AssociationKind.ASSOCIATE,
    from_date=None,
    to_date=None,
    notes: str = "",
) -> Association:
    """Record that two nominals are associates. Needs change rights on ``nominal`` and sight of
    ``other``; the pair is stored once whichever way round it is given."""
    require(user, Action.CHANGE, nominal)
    if not policy.can(user, Action.VIEW, other):
        raise ValidationError({"other": ["No such nominal."]})
    errors = {}
    if other.pk == nominal.pk:
        errors["other"] = ["A nominal cannot be their own associate."]
    if kind not in AssociationKind.values:
        errors["kind"] = ["Choose the kind of association."]
    if from_date and to_date and to_date < from_date:
        errors["to_date"] = ["The end date cannot be before the start date."]
    if (
        not errors
        and Association.objects.filter(
            Q(nominal=nominal, other=other) | Q(nominal=other, other=nominal), kind=kind
        ).exists()
    ):
        errors["other"] = [f"{other} is already recorded as this kind of associate of {nominal}."]
    if errors:
        raise ValidationError(errors)
    check_text(Association, {"notes": notes})
    association = Association(
        nominal=nominal,
        other=other,
        kind=kind,
        from_date=from_date,
        to_date=to_date,
        notes=notes,
        recorded_by=user,
    )
    association.full_clean()
    association.save()
    audit.record(
        AuditAction.CREATE, association, user=user, changes={"after": audit.snapshot(association)}
    )
    return association


@transaction.atomic
def delete_association(user, association: Association, *, reason: str) -> None:
    require(user, Action.CHANGE, association.nominal)
    if len((reason or "").strip()) < 5:
        raise ValidationError({"reason": ["Say why the association is being removed."]})
    snapshot = audit.snapshot(association)
    audit.record(
        AuditAction.DELETE, association, user=user, reason=reason, changes={"before": snapshot}
    )
    association.delete()


def associations_of(user, nominal: Nominal):
    return (
        Association.objects.visible_to(user)
        .filter(Q(nominal=nominal) | Q(other=nominal))
        .select_related("nominal", "other")
    )


# --- analyses ------------------------------------------------------------------------------------


def runs_for(user, queryset=None):
    """The analyses ``user`` may see: only their own (each was computed over what its starter
    could see)."""
    queryset = NetworkRun.objects.all() if queryset is None else queryset
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    return queryset.filter(started_by_id=user.pk)


def start_analysis(user, *, region=None) -> NetworkRun:
    """Queue an analysis of ``user``'s visible network (or of its part owned in ``region``);
    the caller enqueues :func:`network.tasks.run_analysis` once this commits."""
    if not user.is_authenticated or not user.is_active or not user.active_memberships:
        raise PermissionDenied("You need an active role to analyse the network.")
    stale = timezone.now() - RUN_STALE_AFTER
    with transaction.atomic():
        if (
            runs_for(user)
            .filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING], created_at__gte=stale)
            .exists()
        ):
            raise ValidationError({"region": ["Your last analysis has not finished yet."]})
        scope = {"region": region.pk if region else None, "region_name": str(region or "")}
        run = NetworkRun.objects.create(started_by=user, scope=scope)
        audit.record(AuditAction.CREATE, run, user=user, changes={"scope": scope})
    return run


def _tell(run: NetworkRun, progress: Callable | None, step: str, done: int, total: int) -> None:
    run.progress = {"step": step, "done": done, "total": total}
    NetworkRun.objects.filter(pk=run.pk).update(progress=run.progress)
    if progress:
        progress(step, done, total)


def _carry_out(run: NetworkRun, work: Callable[[], tuple[dict, dict]]) -> NetworkRun:
    run.status = RunStatus.RUNNING
    run.save(update_fields=["status"])
    try:
        counts, results = work()
    except Exception as exc:
        NetworkRun.objects.filter(pk=run.pk).update(
            status=RunStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    run.status, run.counts, run.results = RunStatus.DONE, counts, results
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "counts", "results", "fingerprint", "finished_at"])
    return run


def analyse(
    network: build.VisibleNetwork,
    *,
    progress: Callable | None = None,
    seed: int = 0,
    graph: engine.Graph | None = None,
):
    """Key players, communities, whole-threat suggestions and brokers of a visible network.
    Returns (counts, results, fingerprint) as plain data, every node named by its id and label."""
    stages = 5

    def step(name, done):
        if progress:
            progress(name, done, stages)

    graph = graph or network.person_graph()
    step("graph built", 1)
    players = engine.key_players(graph, seed=seed)
    step("key players", 2)
    community = engine.communities(graph, seed=seed)
    step("communities", 3)
    whole = engine.whole_threat(graph, network.members(), community, min_ties=MIN_TIES)
    step("whole-threat suggestions", 4)
    brokers = engine.brokers(graph, community, players, limit=KEPT)
    step("brokers", 5)
    label = {k: v[1] for k, v in network.labels.items()}
    url = {k: v[2] for k, v in network.labels.items()}
    ref = {k: v[3] for k, v in network.labels.items()}
    table = players.table.head(KEPT)
    key_players = [
        {
            "node": row.node,
            "label": label.get(row.node, row.node),
            "url": url.get(row.node, ""),
            "degree": int(row.degree),
            "weighted_degree": float(row.weighted_degree),
            "pagerank": float(row.pagerank),
            "betweenness": float(row.betweenness),
            "coreness": int(row.coreness),
            "community": community.get(row.node),
            "reasons": [
                {**r, "label": label.get(r["neighbour"], r["neighbour"])}
                for r in players.reasons(row.node, limit=5)
            ],
        }
        for row in table.itertuples()
    ]
    sizes: dict[int, int] = {}
    for c in community.values():
        sizes[c] = sizes.get(c, 0) + 1
    threat_label = {t: label.get(t, t) for t in network.membership}
    results = {
        "key_players": key_players,
        "hidden": [
            {
                "threat": h.threat,
                "threat_label": threat_label.get(h.threat, h.threat),
                "threat_url": url.get(h.threat, ""),
                "threat_ref": ref.get(h.threat, ""),
                "node": h.node,
                "ref": ref.get(h.node, ""),
                "label": label.get(h.node, h.node),
                "url": url.get(h.node, ""),
                "ties": h.ties,
                "weight": h.weight,
                "evidence": [
                    {
                        **e,
                        "type_label": EDGE_LABELS.get(e["type"], e["type"]),
                        "source_label": label.get(e["source"], e["source"]),
                        "target_label": label.get(e["target"], e["target"]),
                    }
                    for e in h.evidence[:10]
                ],
            }
            for h in whole.hidden[:500]
        ],
        "splits": [
            {
                "threat": s.threat,
                "threat_label": threat_label.get(s.threat, s.threat),
                "threat_url": url.get(s.threat, ""),
                "parts": [[{"node": n, "label": label.get(n, n)} for n in p] for p in s.parts],
            }
            for s in [s for s in whole.splits if _separate(graph, s.parts)][:500]
        ],
        "brokers": [
            {
                "node": b.node,
                "label": label.get(b.node, b.node),
                "url": url.get(b.node, ""),
                "betweenness": float(b.betweenness),
                "communities": list(b.communities),
            }
            for b in brokers
        ],
        "communities": sorted(sizes.values(), reverse=True)[:50],
    }
    counts = {
        "nodes": graph.node_count,
        "edges": graph.edge_count,
        "communities": len(sizes),
        "betweenness_sampled": players.betweenness_sampled,
        "samples": players.samples,
        "hidden": len(whole.hidden),
        "splits": len(results["splits"]),
    }
    return counts, results, network.fingerprint()


def _separate(graph: engine.Graph, parts: list[list[str]]) -> bool:
    """Are a split threat's parts separate groups, not one group a community boundary happens to
    cut (as modularity does to a small ring)? Yes when the ties between the parts are fewer than
    half the ties inside the smallest part."""
    part_of = {node: i for i, part in enumerate(parts) for node in part}
    inside = [0] * len(parts)
    between = 0
    seen = set()
    for node, i in part_of.items():
        for edge in graph.edges_of(node, types=build.PERSON_EDGE_TYPES):
            other = edge["target"] if edge["source"] == node else edge["source"]
            key = (min(node, other), max(node, other), edge["ref"])
            if other not in part_of or key in seen:
                continue
            seen.add(key)
            if part_of[other] == i:
                inside[i] += 1
            else:
                between += 1
    return 2 * between < min(inside)


def run_queued(run: NetworkRun, progress: Callable | None = None) -> NetworkRun:
    """Carry out a queued analysis (the background task calls this)."""
    if run.status != RunStatus.QUEUED:
        return run
    if run.kind == RunKind.EDGE_LIST:
        return _run_edge_list(run, progress)

    def work():
        from socmaster.organisations.models import Organisation

        region = Organisation.objects.filter(pk=run.scope.get("region")).first()
        _tell(run, progress, "reading what you may see", 0, 6)
        network = build.visible_network(run.started_by, region=region)

        def tell(step, done, total):
            _tell(run, progress, step, done + 1, total + 1)

        graph = network.person_graph()
        run.fingerprint = fingerprint = network.fingerprint()
        same = (
            NetworkRun.objects.filter(
                fingerprint=fingerprint,
                status=RunStatus.DONE,
                finished_at__gte=timezone.now() - REUSE_FOR,
            )
            .exclude(pk=run.pk)
            .order_by("-finished_at")
            .first()
        )
        if same is not None:
            # The same edges, so the same graph: its results are what this run would compute.
            tell("the same network was analysed recently", 5, 5)
            return {**same.counts, "reused_from": same.finished_at.isoformat()}, same.results
        counts, results, _ = analyse(network, progress=tell, graph=graph)
        return counts, results

    return _carry_out(run, work)


# --- a threat's and a nominal's network, at once ----------------------------------------------------


def threat_network(user, threat: Threat) -> dict:
    """Key players, suggested members and splits of ``threat``, computed over what ``user`` may
    see within three rings of it (its members, their ties and their ties' ties)."""
    centre = build.threat_node(threat.pk)
    network = build.network_around(user, [centre], steps=3)
    members = network.members().get(centre, [])
    counts, results, _ = analyse(network)
    mine = set(members)
    near = mine | {
        r["neighbour"] for p in results["key_players"] if p["node"] in mine for r in p["reasons"]
    }
    return {
        "members": len(members),
        "counts": counts,
        "key_players": [p for p in results["key_players"] if p["node"] in near][:20],
        "hidden": [h for h in results["hidden"] if h["threat"] == centre],
        "splits": [s for s in results["splits"] if s["threat"] == centre],
    }


def add_suggested_member(user, threat: Threat, nominal: Nominal, *, role: str) -> object:
    """Add a suggested member through the membership service, once the evidence still stands:
    the nominal is tied, through records ``user`` may see, to at least two current members."""
    centre, node = build.threat_node(threat.pk), build.nominal_node(nominal.pk)
    network = build.network_around(user, [centre], steps=2)
    members = set(network.members().get(centre, []))
    if node in members:
        raise ValidationError({"nominal": [f"{nominal} is already a current member."]})
    graph = network.person_graph()
    tied = (
        {e["target"] if e["source"] == node else e["source"] for e in graph.edges_of(node)}
        & members
        if graph.has(node)
        else set()
    )
    if len(tied) < MIN_TIES:
        raise ValidationError(
            {"nominal": ["The evidence for this suggestion has changed: it no longer stands."]}
        )
    return threat_services.add_member(
        user,
        threat,
        nominal,
        role=role,
        from_date=timezone.localdate(),
        notes=f"Added from network analysis: tied to {len(tied)} members.",
    )


def shortest_path(user, a: Nominal, b: Nominal) -> list[dict]:
    """The fewest-hop chain of visible edges between two nominals (within six rings of ``a``)."""
    network = build.network_around(user, [build.nominal_node(a.pk)], steps=6)
    graph = network.chart_graph()
    target = build.nominal_node(b.pk)
    if not graph.has(target):
        return []
    label = {k: v[1] for k, v in network.labels.items()}
    return [
        {**e, "source_label": label.get(e["source"]), "target_label": label.get(e["target"])}
        for e in engine.shortest_path(graph, build.nominal_node(a.pk), target)
    ]


def chart(
    user,
    centre: str,
    *,
    steps: int = 2,
    types=None,
    date_from=None,
    date_to=None,
    cap: int = engine.FAN_OUT_CAP,
) -> dict:
    """The link chart of ``centre`` (a node id): nodes and edges within ``steps``, capped."""
    network = build.network_around(user, [centre], steps=steps)
    graph = network.chart_graph()
    if not graph.has(centre):
        return {"nodes": [], "edges": [], "more": {}}
    sub = engine.neighbourhood(
        graph,
        [centre],
        steps=steps,
        types=types,
        date_from=date_from,
        date_to=date_to,
        cap=cap,
    )
    for node in sub.nodes:
        node["url"] = network.url(node["id"])
    return {"nodes": sub.nodes, "edges": sub.edges, "more": sub.more}


# --- exports and uploaded edge lists -----------------------------------------------------------


def export_chart(user, centre: str, fmt: str, *, reason: str, steps: int = 2) -> tuple[bytes, str]:
    """A chart's nodes and edges as GraphML, CSV (a zip of nodes.csv and edges.csv) or i2 ANX;
    audited as an export with the reason."""
    if fmt not in EXPORT_FORMATS:
        raise ValidationError({"format": ["Choose GraphML, CSV or i2 ANX."]})
    data = chart(user, centre, steps=steps, cap=10_000)
    record_export(
        user,
        record_type="network.chart",
        reason=reason,
        count=len(data["nodes"]) + len(data["edges"]),
        filters={"centre": centre, "steps": steps, "format": fmt},
    )
    nodes = [{k: v for k, v in n.items() if k != "url"} for n in data["nodes"]]
    if fmt == "anx":
        return engine.to_anx(nodes, data["edges"]), "application/xml"
    if fmt == "graphml":
        with tempfile.NamedTemporaryFile(suffix=".graphml") as handle:
            engine.write_graphml(nodes, data["edges"], handle.name)
            return Path(handle.name).read_bytes(), "application/graphml+xml"
    import zipfile

    buffer = io.BytesIO()
    nodes_file, edges_file = io.StringIO(), io.StringIO()
    engine.write_csv(nodes, data["edges"], nodes_file, edges_file)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("nodes.csv", nodes_file.getvalue())
        archive.writestr("edges.csv", edges_file.getvalue())
    return buffer.getvalue(), "application/zip"


def start_edge_list(user, path: Path, *, name: str) -> NetworkRun:
    """Check an uploaded edge list (every problem by line, nothing queued if any) and queue it
    to be analysed; nothing in the database is read or changed by its analysis."""
    if not user.is_authenticated or not user.is_active or not user.active_memberships:
        raise PermissionDenied("You need an active role to analyse an edge list.")
    try:
        frame = engine.read_edge_file(path)
    except engine.EdgeFileError as exc:
        raise ValidationError({"file": [str(exc)]}) from None
    with transaction.atomic():
        scope = {"file": str(path), "name": name[:200], "edges": len(frame)}
        run = NetworkRun.objects.create(
            kind=RunKind.EDGE_LIST, started_by=user, scope=scope, upload=name[:300]
        )
        audit.record(AuditAction.CREATE, run, user=user, changes={"scope": scope})
    return run


def edge_list_dir(run: NetworkRun) -> Path:
    from django.conf import settings

    return Path(settings.IMPORT_DIR) / "network" / str(run.pk)


def _run_edge_list(run: NetworkRun, progress: Callable | None) -> NetworkRun:
    path = Path(run.scope["file"])

    def work():
        out = edge_list_dir(run)
        out.mkdir(parents=True, exist_ok=True)
        summary = engine.analyse_edge_file(
            path, out, progress=lambda step, done, total: _tell(run, progress, step, done, total)
        )
        path.unlink(missing_ok=True)
        import csv

        with (out / "key_players.csv").open(encoding="utf-8") as handle:
            top = list(csv.DictReader(handle))
        top.sort(key=lambda r: -float(r["pagerank"]))
        return dict(summary), {"key_players": top[:KEPT]}

    return _carry_out(run, work)


__all__ = [
    "EdgeType",
    "add_suggested_member",
    "analyse",
    "associations_of",
    "chart",
    "delete_association",
    "export_chart",
    "record_association",
    "run_queued",
    "runs_for",
    "shortest_path",
    "start_analysis",
    "start_edge_list",
    "threat_network",
]
