"""What entity resolution adds to the shared registries (from ``LinkageConfig.ready()``): the
"Matching" navigation item, the home page's attention items (new links for an LRO, the review
queue for reviewers, access requests waiting for the owner), and panels on the threat, nominal
and SAR pages."""

from __future__ import annotations

from django.urls import reverse

from socmaster.core import policy
from socmaster.core.registry import (
    AttentionCount,
    AttentionItem,
    NavItem,
    RecordPanel,
    ThreatPanel,
    register_attention,
    register_nav_item,
    register_record_panel,
    register_threat_panel,
)
from socmaster.organisations.choices import Role

from . import services
from .choices import AccessRequestStatus


def _police(user) -> bool:
    return services.is_police_member(user)


def _lro_links(user) -> AttentionCount | None:
    if not user.has_role(Role.LRO) or policy.is_read_only(user):
        return None
    count = services.lro_alerts(user).count()
    return AttentionCount(
        count,
        "SAR and intelligence subjects newly linked to nominals of the threats you lead",
        f"{reverse('linkage:queue')}?status=linked&mine=lro",
        urgent=bool(count),
    )


def _reviews(user) -> AttentionCount | None:
    if not user.has_role(*services.REVIEWER_ROLES) or not _police(user):
        return None
    if policy.is_read_only(user):
        return None
    count = services.review_queue(user).count()
    return AttentionCount(
        count, "possible matches waiting for a reviewer's decision", reverse("linkage:queue")
    )


def _access_requests(user) -> AttentionCount | None:
    if not _police(user) or policy.is_read_only(user):
        return None
    owned = {
        m.organisation_id
        for m in user.active_memberships
        if m.role in (Role.RESEARCHER, Role.ADMINISTRATOR, Role.ANALYST)
    }
    if not owned:
        return None
    count = (
        services.access_requests_for(user)
        .filter(owner_id__in=owned, status=AccessRequestStatus.OPEN)
        .count()
    )
    return AttentionCount(
        count,
        "requests from other organisations for access to records you hold",
        f"{reverse('linkage:requests')}?to=us",
        urgent=bool(count),
    )


def _threat_panel(request, threat) -> dict | None:
    if not _police(request.user):
        return None
    return {"links": services.linked_to_threat(request.user, threat)[:50]}


def _nominal_panel(request, nominal) -> dict | None:
    if not _police(request.user):
        return None
    return {"matches": services.matches_of_nominal(request.user, nominal)[:50]}


def _sar_panel(request, sar) -> dict | None:
    if not _police(request.user):  # partners are not told what the master list holds
        return None
    matches, notices = services.matches_of_sar(request.user, sar)
    return {"matches": matches, "notices": notices}


def _nominal_form_panel(request, _none) -> dict | None:
    return {} if _police(request.user) else None


def _watch_the_master_list() -> None:
    """A nominal, alias or model saved or deleted in this process: the lookup is rebuilt."""
    from django.db.models.signals import post_delete, post_save

    from socmaster.threats.models import Nominal, NominalAlias

    from .models import LinkageModel

    for model in (Nominal, NominalAlias, LinkageModel):
        for signal in (post_save, post_delete):
            signal.connect(
                services.forget_lookup,
                sender=model,
                dispatch_uid=f"linkage-lookup-{model.__name__}",
            )


def register() -> None:
    _watch_the_master_list()
    register_nav_item(
        NavItem(
            "linkage",
            "Matching",
            "linkage:queue",
            660,
            visible=_police,
            active_prefix="/linkage/",
        )
    )
    register_attention(AttentionItem("linkage-lro-links", 160, _lro_links))
    register_attention(AttentionItem("linkage-review", 430, _reviews))
    register_attention(AttentionItem("linkage-access-requests", 340, _access_requests))
    register_threat_panel(
        ThreatPanel(
            "linked-subjects",
            "People linked from SARs and intelligence",
            350,
            "linkage/_threat_panel.html",
            _threat_panel,
        )
    )
    register_record_panel(
        "nominal",
        RecordPanel(
            "matches",
            "Matches and possible duplicates",
            100,
            "linkage/_nominal_panel.html",
            _nominal_panel,
        ),
    )
    register_record_panel(
        "sar",
        RecordPanel(
            "screening",
            "Screening against the master list",
            100,
            "linkage/_sar_panel.html",
            _sar_panel,
        ),
    )
    register_record_panel(
        "nominal-form",
        RecordPanel(
            "possible-matches",
            "Possible matches on the master list",
            100,
            "linkage/_nominal_form_panel.html",
            _nominal_form_panel,
        ),
    )
