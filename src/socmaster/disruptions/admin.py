from django.contrib import admin

from socmaster.core.admin import AuditedAdmin

from .models import Standard, Tactic


@admin.register(Standard)
class StandardAdmin(AuditedAdmin):
    list_display = ["version", "label", "effective_from", "is_current", "max_days_to_record"]


@admin.register(Tactic)
class TacticAdmin(AuditedAdmin):
    list_display = ["label", "code", "four_p"]
    list_filter = ["four_p"]
