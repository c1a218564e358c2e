"""The Django admin writes nothing unaudited.

* :class:`ReadOnlyAdmin` for records the product's own services change (organisations, people,
  memberships, the audit log): the admin only shows them; changes go through the pages, the API
  or the CLI, which record them.
* :class:`AuditedAdmin` for reference data edited in the admin (phases, crime types, tactics,
  minimum standards, national plan templates): every add, change and delete writes its audit
  entry with before and after values, in the same transaction.

``tests/core/test_every_path_audited.py`` fails for a model registered with neither.
"""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction

from . import audit
from .choices import AuditAction
from .models import AuditEntry


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shows records; changing them is left to the audited services."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _picture(obj) -> dict:
    names = [f.name for f in obj._meta.many_to_many]
    return audit.snapshot(obj) | {
        name: sorted(getattr(obj, name).values_list("pk", flat=True)) for name in names
    }


class AuditedAdmin(admin.ModelAdmin):
    """Reference data edited in the admin, each change recorded."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with transaction.atomic():
            # Kept on the request: one ModelAdmin instance serves every request.
            request.socmaster_before = (
                _picture(self.model.objects.get(pk=object_id))
                if object_id and self.model.objects.filter(pk=object_id).exists()
                else None
            )
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        obj = form.instance
        after = _picture(obj)
        before = getattr(request, "socmaster_before", None)
        if change and before is not None:
            changes = audit.diff(before, after)
            if changes:
                audit.record(AuditAction.UPDATE, obj, user=request.user, changes=changes)
        else:
            audit.record(AuditAction.CREATE, obj, user=request.user, changes={"after": after})

    def delete_model(self, request, obj):
        with transaction.atomic():
            audit.record(
                AuditAction.DELETE, obj, user=request.user, changes={"before": _picture(obj)}
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                audit.record(
                    AuditAction.DELETE, obj, user=request.user, changes={"before": _picture(obj)}
                )
            super().delete_queryset(request, queryset)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["seq", "timestamp", "username", "action", "record_type", "record_id", "reason"]
    list_filter = ["action", "record_type"]
    search_fields = ["username", "record_repr", "reason"]
