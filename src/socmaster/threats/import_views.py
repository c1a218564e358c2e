"""The master-list upload page."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render

from socmaster.core import policy
from socmaster.core.forms import style_form

from .importer import import_masterlist, masterlist_rejects


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Master-list extract (CSV)", help_text="Columns as described in the import guide."
    )
    skip_bad = forms.BooleanField(
        required=False, label="Import the good rows and give me the bad ones back"
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 50 * 1024 * 1024:
            raise forms.ValidationError(
                "The file is larger than 50 MB; import it with the command line instead."
            )
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError("Upload a .csv file.")
        return upload


@login_required
def upload(request):
    if policy.is_read_only(request.user) or not any(
        m.role in policy.WRITE_ROLES for m in request.user.active_memberships
    ):
        raise PermissionDenied("You may not import into the master list.")
    form = style_form(UploadForm(request.POST or None, request.FILES or None))
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            data = form.cleaned_data["file"].read().decode("utf-8-sig")
        except UnicodeDecodeError:
            form.add_error(
                "file", "The file is not UTF-8 text. Save it as 'CSV UTF-8' and try again."
            )
        else:
            result = import_masterlist(
                data,
                user=request.user,
                skip_bad=form.cleaned_data["skip_bad"],
                source=f"master-list upload {form.cleaned_data['file'].name}",
            )
            if result.rejected and request.POST.get("download_rejects"):
                response = HttpResponse(masterlist_rejects(result), content_type="text/csv")
                response["Content-Disposition"] = 'attachment; filename="rejects.csv"'
                return response
    return render(
        request,
        "threats/import.html",
        {"form": form, "result": result},
        status=400 if result is not None and not result.written else 200,
    )
