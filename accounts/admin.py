from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from accounts.models import MemberInvitation, Membership, Organisation, Partnership, User


class MembershipInline(admin.TabularInline[Membership, User]):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "is_active", "is_staff", "last_login"]
    search_fields = ["email", "name"]
    list_filter = ["is_active", "is_staff", "is_superuser"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal details", {"fields": ("name",)}),
        ("Support access", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "name", "password1", "password2")}),)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ["name", "kind", "slug", "takes_applications"]
    list_filter = ["kind", "takes_applications"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ["user", "organisation", "role", "created_at"]
    list_filter = ["role", "organisation"]
    search_fields = ["user__email", "user__name", "organisation__name"]
    autocomplete_fields = ["user", "organisation"]


@admin.register(Partnership)
class PartnershipAdmin(admin.ModelAdmin[Partnership]):
    list_display = ["network", "university", "starts_on", "ends_on"]
    list_filter = ["university", "network"]
    autocomplete_fields = ["network", "university"]


@admin.register(MemberInvitation)
class MemberInvitationAdmin(admin.ModelAdmin[MemberInvitation]):
    list_display = ["email", "organisation", "role", "status", "created_at"]
    list_filter = ["status", "role", "organisation"]
    search_fields = ["email"]
    readonly_fields = ["invited_by", "accepted_by", "answered_at"]
