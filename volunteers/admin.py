from django.contrib import admin

from volunteers.models import NetworkMembership, VolunteerProfile


class NetworkMembershipInline(admin.TabularInline[NetworkMembership, VolunteerProfile]):
    model = NetworkMembership
    extra = 0


@admin.register(VolunteerProfile)
class VolunteerProfileAdmin(admin.ModelAdmin[VolunteerProfile]):
    list_display = ["user", "created_at"]
    search_fields = ["user__email", "user__name"]
    inlines = [NetworkMembershipInline]


@admin.register(NetworkMembership)
class NetworkMembershipAdmin(admin.ModelAdmin[NetworkMembership]):
    list_display = ["volunteer", "network", "status"]
    list_filter = ["status", "network"]
