from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Membership, Organisation, OrganisationAlias, OrganisationChange, User


class AliasInline(admin.TabularInline):
    model = OrganisationAlias
    extra = 0


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "type", "region", "rocu", "active"]
    list_filter = ["type", "region"]
    search_fields = ["name", "short_name", "aliases__alias"]
    inlines = [AliasInline]


@admin.register(OrganisationChange)
class OrganisationChangeAdmin(admin.ModelAdmin):
    list_display = ["organisation", "kind", "effective"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(User)
class SocmasterUserAdmin(UserAdmin):
    inlines = [MembershipInline]
