from django.contrib import admin

from socmaster.core.admin import AuditedAdmin

from .models import CrimeType, Phase


@admin.register(Phase)
class PhaseAdmin(AuditedAdmin):
    list_display = ["name", "order"]


@admin.register(CrimeType)
class CrimeTypeAdmin(AuditedAdmin):
    list_display = ["label", "code"]
