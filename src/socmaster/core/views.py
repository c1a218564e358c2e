"""The audit viewer, CSV export of the audit log, API tokens, the reason prompt and form_page."""

from __future__ import annotations

from urllib.parse import urlencode

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from . import policy
from .exports import csv_response, export_failed
from .filters import AuditFilter
from .forms import add_conflict_errors, add_service_errors, style_form
from .models import AuditEntry
from .reasons import (
    MIN_REASON_LENGTH,
    REASON_TOO_SHORT,
    current_reason,
    is_enough,
    record_key,
    remember_reason,
)
from .services import VersionConflict, record_export, record_search, record_view
from .tokens import issue_api_token, live_tokens

EXPORT_COLUMNS = [
    "seq",
    "timestamp",
    "username",
    "organisation_name",
    "action",
    "record_type",
    "record_id",
    "record_repr",
    "reason",
    "ip_address",
    "changes",
    "entry_hash",
]


def _filtered(request):
    if not policy.can_view_audit(request.user):
        raise PermissionDenied("Only administrators and inspectors may read the audit log.")
    base = (
        policy.audit_scope(AuditEntry.objects.all(), request.user)
        .select_related("user")
        .order_by("-seq")
    )
    return AuditFilter(request.GET or None, queryset=base)


@login_required
def audit_list(request):
    filterset = _filtered(request)
    style_form(filterset.form, filters=True)
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    params = {k: v for k, v in request.GET.items() if k != "page" and v}
    return render(
        request,
        "core/audit_list.html",
        {
            "filter": filterset,
            "page_obj": page,
            "querystring_without_page": urlencode(params) + "&" if params else "",
            "export_query": urlencode(params),
        },
    )


@login_required
def audit_export(request):
    filterset = _filtered(request)
    reason = request.POST.get("reason", "") if request.method == "POST" else ""
    if request.method != "POST" or not is_enough(reason):
        return render(
            request,
            "core/reason.html",
            {
                "title": "Export the audit log",
                "action_label": "Export CSV",
                "error": REASON_TOO_SHORT if request.method == "POST" else "",
                "explain": "Exports are recorded with their reason.",
            },
            status=400 if request.method == "POST" else 200,
        )
    rows = filterset.qs.order_by("seq")
    try:
        count = rows.count()

        def record():
            with transaction.atomic():
                record_export(
                    request.user,
                    record_type="core.auditentry",
                    reason=reason,
                    count=count,
                    filters={k: v for k, v in request.GET.items() if v},
                )

        data = (
            [
                e.seq,
                e.timestamp.isoformat(),
                e.username,
                e.organisation_name,
                e.action,
                e.record_type,
                e.record_id,
                e.record_repr,
                e.reason,
                e.ip_address,
                e.changes,
                e.entry_hash,
            ]
            for e in rows.iterator(chunk_size=2000)
        )
        return csv_response(EXPORT_COLUMNS, data, "audit", on_ready=record)
    except Exception as exc:
        return export_failed(exc)


@login_required
def api_token(request):
    if request.method == "POST":
        # Refused like a sign-in while this user name or address is locked out.
        credentials = {"username": request.user.get_username()}
        if AxesProxyHandler.is_locked(request, credentials):
            return get_lockout_response(request, credentials=credentials)
        token = issue_api_token(request.user, via="web")
        messages.success(request, "A new API token has been issued; the old one no longer works.")
        return render(request, "core/token.html", {"token": token.key, "expires": token.expires})
    has_token = live_tokens(request.user).exists()
    return render(request, "core/token.html", {"token": None, "has_token": has_token})


@login_required
def give_reason(request):
    """Ask why the user is opening a restricted record, then carry on to it."""
    next_url = request.GET.get("next") or request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    key = request.GET.get("record") or request.POST.get("record") or ""
    error = ""
    if request.method == "POST":
        reason = request.POST.get("reason", "").strip()
        if not is_enough(reason):
            error = (
                "Enter the reason you need to open this record "
                f"(at least {MIN_REASON_LENGTH} characters)."
            )
        else:
            remember_reason(request, key, reason)
            return redirect(next_url)
    return render(
        request,
        "core/reason.html",
        {
            "title": "Why are you opening this record?",
            "action_label": "Continue",
            "next": next_url,
            "record": key,
            "error": error,
            "explain": "This record has restricted handling. Your reason is recorded with your access.",
        },
        status=400 if error else 200,
    )


def open_record(request, obj):
    """Redirect to the reason prompt if ``obj`` is restricted (by its own handling or its parent's)
    and no reason is current; else log the view. A reason given for a record covers the records
    that inherit its protection (a threat's assessments, disruptions and plan).

    Returns the redirect to send, or None once the view has been recorded.
    """
    reason = ""
    if policy.is_restricted(obj):
        key = record_key(policy.root_of(obj))
        reason = current_reason(request, key)
        if not reason:
            query = urlencode({"next": request.get_full_path(), "record": key})
            return redirect(f"{reverse('give-reason')}?{query}")
    record_view(request.user, obj, reason)
    return None


def log_list(request, page, model) -> None:
    """Record one list or search page read: the criteria used and how many records matched."""
    with transaction.atomic():
        record_search(
            request.user,
            model,
            params=request.GET,
            count=page.paginator.count,
            where=request.path,
        )


def form_page(
    request,
    form: forms.Form,
    save,
    *,
    template: str,
    context: dict | None = None,
    problems=None,
):
    """Render ``form``; on a valid POST call ``save(cleaned_data)``, which returns the response to send.

    A ValidationError raised by the service is shown on the form and nothing is saved.
    ``problems(cleaned_data)``: the service's check of what the form could read, called when the
    form itself has errors, so every error is reported in one pass (a field keeps its own error).
    """
    if request.method == "POST":
        if form.is_valid():
            try:
                return save(form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            except VersionConflict as exc:
                add_conflict_errors(form, exc)
                return render(request, template, {"form": form, **(context or {})}, status=409)
        elif problems is not None:
            unread = {name: None for name in form.errors if name in form.fields}
            add_problems(form, problems(dict(form.cleaned_data) | unread))
    return render(request, template, {"form": form, **(context or {})})


def add_problems(form: forms.Form, problems: dict[str, list[str]]) -> None:
    """Add a service's errors to the fields that have none of their own yet."""
    for name, errors in problems.items():
        if name in form.fields:
            if name not in form.errors:
                form.add_error(name, errors)
        else:
            form.add_error(None, errors)
