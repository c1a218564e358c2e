"""The upload page for every kind of import, and the status page of each import running in the background."""

from pathlib import Path

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from socmaster.core import policy
from socmaster.core.forms import style_form
from socmaster.core.importing import IMPORTERS
from socmaster.core.services import record_export
from socmaster.core.uploads import store_upload

from . import services
from .choices import ImportKind
from .models import ImportJob
from .tasks import run_import

#: The order a force's history is best imported in (each file refers to what the earlier ones
#: bring: members to threats, plan actions to plans and disruptions…).
HISTORY_ORDER = [
    ImportKind.MASTERLIST,
    ImportKind.MEMBERS,
    ImportKind.ASSESSMENTS,
    ImportKind.DISRUPTIONS,
    ImportKind.PLANS,
    ImportKind.PLAN_ACTIONS,
    ImportKind.PLAN_REVIEWS,
]


def kind_choices() -> list[tuple[str, str]]:
    """What may be uploaded: the master list, then every importer the apps registered, in the
    order a force's history is best imported (any other registered kind last)."""
    offered = [(ImportKind.MASTERLIST.value, "Master-list extract")]
    ordered = HISTORY_ORDER + [k for k in IMPORTERS if k not in HISTORY_ORDER]
    for kind in ordered:
        if kind in IMPORTERS:
            offered.append((ImportKind(kind).value, IMPORTERS[kind]["label"]))
    return offered


class UploadForm(forms.Form):
    kind = forms.ChoiceField(
        label="What are you importing?", widget=forms.RadioSelect, required=False
    )
    file = forms.FileField(
        label="File",
        help_text="CSV (SARs also JSON), with the columns the import guide describes.",
    )
    skip_bad = forms.BooleanField(
        required=False, label="Import the good rows and give me the bad ones back"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices()
        self.fields["kind"].initial = ImportKind.MASTERLIST.value

    def clean_kind(self):
        return self.cleaned_data.get("kind") or ImportKind.MASTERLIST.value

    def clean(self):
        """The file must be of a format the chosen import reads, and not too large for it."""
        cleaned = super().clean()
        upload, kind = cleaned.get("file"), cleaned.get("kind")
        if upload is None or kind is None:
            return cleaned
        formats, max_mb = upload_limits(kind)
        if upload.size > max_mb * 1024 * 1024:
            self.add_error(
                "file",
                f"The file is larger than {max_mb} MB; import it with the command line instead.",
            )
        elif upload.name.rsplit(".", 1)[-1].lower() not in formats or "." not in upload.name:
            names = " or ".join(f".{f}" for f in formats)
            self.add_error("file", f"Upload a {names} file for this import.")
        return cleaned


def upload_limits(kind: str) -> tuple[tuple[str, ...], int]:
    """The file extensions an import of ``kind`` reads and the largest upload it takes (MB)."""
    entry = IMPORTERS.get(kind, {})
    return entry.get("formats", ("csv",)), entry.get("max_mb", 50)


def _may_import(user) -> bool:
    return not policy.is_read_only(user) and any(
        m.role in policy.WRITE_ROLES for m in user.active_memberships
    )


def _visible_jobs(user):
    return policy.import_jobs_scope(ImportJob.objects.select_related("created_by"), user)


def _job_or_404(user, pk) -> ImportJob:
    job = _visible_jobs(user).filter(pk=pk).first()
    if job is None:
        raise Http404("No such import.")
    return job


@login_required
def upload(request):
    if not _may_import(request.user):
        raise PermissionDenied("You may not import into the master list.")
    form = style_form(UploadForm(request.POST or None, request.FILES or None))
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        path = store_upload(upload_file)
        if path is None:
            form.add_error(
                "file", "The file is not UTF-8 text. Save it as 'CSV UTF-8' and try again."
            )
        else:
            job = services.start_import(
                request.user,
                source_name=upload_file.name,
                stored_file=str(path),
                skip_bad=form.cleaned_data["skip_bad"],
                kind=form.cleaned_data["kind"],
            )
            run_import.enqueue(job.pk)
            return redirect(job)
    return render(
        request,
        "threats/import.html",
        {
            "form": form,
            "jobs": _visible_jobs(request.user)[:20],
            "kinds": [
                (label, IMPORTERS[k]["guide"] if k in IMPORTERS else "docs/import-masterlist.md")
                for k, label in kind_choices()
            ],
        },
        status=400 if form.errors else 200,
    )


@login_required
def status(request, pk: int):
    job = _job_or_404(request.user, pk)
    template = "threats/_import_status.html" if request.htmx else "threats/import_status.html"
    return render(request, template, {"job": job})


@login_required
@require_POST
def cancel(request, pk: int):
    job = _job_or_404(request.user, pk)
    try:
        services.cancel_import(request.user, job)
    except ValidationError as exc:
        job.refresh_from_db()
        return render(
            request,
            "threats/import_status.html",
            {"job": job, "problem": " ".join(exc.messages)},
            status=400,
        )
    return redirect(job)


@login_required
def rejects(request, pk: int):
    job = _job_or_404(request.user, pk)
    if not job.rejects_file or not Path(job.rejects_file).is_file():
        raise Http404("This import has no rejected rows.")
    record_export(
        request.user,
        record_type="threats.importjob",
        reason=f"Rejected rows of import {job.pk}",
        count=job.error_count,
        filters={"import": job.pk},
    )
    return FileResponse(
        open(job.rejects_file, "rb"),
        as_attachment=True,
        filename=f"import-{job.pk}-rejects.csv",
        content_type="text/csv",
    )
