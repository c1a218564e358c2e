"""The capabilities and their offers, shown read-only: they are changed on the gateway's pages,
through the services that check acceptance criteria and record each change. Requests are not in
the admin at all (it would read them past the access policy)."""

from django.contrib import admin

from socmaster.core.admin import ReadOnlyAdmin

from .models import Capability, CapabilityOffer


@admin.register(Capability)
class CapabilityAdmin(ReadOnlyAdmin):
    list_display = ["name", "code", "active"]
    list_filter = ["active"]
    search_fields = ["name", "code"]


@admin.register(CapabilityOffer)
class CapabilityOfferAdmin(ReadOnlyAdmin):
    list_display = ["capability", "organisation", "team", "monthly_capacity", "capacity_unit"]
    list_filter = ["capability", "active"]
