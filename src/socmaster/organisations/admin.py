from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from knox.models import AuthToken

from socmaster.core.admin import ReadOnlyAdmin, ReadOnlyInline

from .models import Membership, Organisation, OrganisationAlias, OrganisationChange, User


class AliasInline(ReadOnlyInline):
    model = OrganisationAlias


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyAdmin):
    """Renames and moves go through the organisation pages, which keep former names and record
    the change."""

    list_display = ["name", "short_name", "type", "region", "rocu", "active"]
    list_filter = ["type", "region"]
    search_fields = ["name", "short_name", "aliases__alias"]
    inlines = [AliasInline]


@admin.register(OrganisationChange)
class OrganisationChangeAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "kind", "effective"]


class MembershipInline(ReadOnlyInline):
    model = Membership


@admin.register(User)
class SocmasterUserAdmin(ReadOnlyAdmin, UserAdmin):
    """People, roles and superusers change through the people pages, the API or ``createuser``,
    which record every change."""

    inlines = [MembershipInline]


# API tokens (django-rest-knox) are issued and revoked only through core/tokens.py, which audits
# them: the admin lists whose tokens exist and when they expire, never their hash or prefix.
admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ["user", "created", "expiry"]
    list_display_links = None  # a change page would carry the hash in its address
    fields = ["user", "created", "expiry"]
    search_fields = ["user__username"]
