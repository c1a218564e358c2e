from django.contrib import admin

from socmaster.core.admin import AuditedAdmin

from .models import PlanTemplate


@admin.register(PlanTemplate)
class PlanTemplateAdmin(AuditedAdmin):
    """Reference data: the national templates (no organisation). Organisations' own templates are
    edited by their administrators on the Templates page, which records each change in the audit log."""

    list_display = ["name", "organisation", "threat_type", "updated_at"]
    list_filter = ["threat_type"]
