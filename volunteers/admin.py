"""Support-staff admin for volunteers. Special-category fields are deliberately left out: DESIGN.md
names only the volunteer, their leads and (for booked sessions) coordinators as seeing them, and
consent records are append-only, so they are read-only here. So is the free text in which people
tell of their health and lives (``SUPPORT_HIDDEN_TEXT``): the biography, the support contact, an
application's statement and the lead's answer to it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from volunteers.models import (
    ConsentPurpose,
    ConsentRecord,
    ConsentText,
    ExperienceTag,
    NetworkMembership,
    OnboardingCheck,
    TimeAway,
    VolunteerProfile,
    WeeklyAvailability,
)
from volunteers.services import SPECIAL_CATEGORY_FIELDS

# Free text that tells of a person's health or life, which support staff never need to read.
SUPPORT_HIDDEN_TEXT = {
    VolunteerProfile: ["biography", "support_contact_name", "support_contact_details"],
    NetworkMembership: ["statement", "decision_message"],
}


class NetworkMembershipInline(admin.TabularInline[NetworkMembership, VolunteerProfile]):
    model = NetworkMembership
    extra = 0
    fields = ["network", "status", "paused_until", "status_changed_at"]
    readonly_fields = ["network", "status", "paused_until", "status_changed_at"]
    can_delete = False


@admin.register(VolunteerProfile)
class VolunteerProfileAdmin(admin.ModelAdmin[VolunteerProfile]):
    list_display = ["user", "contact_channel", "perspective", "erased_at"]
    list_filter = ["perspective", "contact_channel"]
    search_fields = ["user__email", "user__name", "preferred_name"]
    exclude = sorted(SPECIAL_CATEGORY_FIELDS | set(SUPPORT_HIDDEN_TEXT[VolunteerProfile]))
    readonly_fields = ["user", "erased_at"]
    inlines = [NetworkMembershipInline]


@admin.register(NetworkMembership)
class NetworkMembershipAdmin(admin.ModelAdmin[NetworkMembership]):
    list_display = ["volunteer", "network", "status", "status_changed_at"]
    list_filter = ["status", "network"]
    search_fields = ["volunteer__user__email", "volunteer__user__name"]
    readonly_fields = ["volunteer", "network", "status", "status_changed_at", "decided_at", "decided_by"]
    exclude = SUPPORT_HIDDEN_TEXT[NetworkMembership]


@admin.register(ExperienceTag)
class ExperienceTagAdmin(admin.ModelAdmin[ExperienceTag]):
    list_display = ["name", "network"]
    list_filter = ["network"]
    search_fields = ["name"]


@admin.register(OnboardingCheck)
class OnboardingCheckAdmin(admin.ModelAdmin[OnboardingCheck]):
    list_display = ["membership", "kind", "name", "completed_on", "expires_on"]
    list_filter = ["kind"]


@admin.register(WeeklyAvailability)
class WeeklyAvailabilityAdmin(admin.ModelAdmin[WeeklyAvailability]):
    list_display = ["volunteer", "weekday", "part_of_day"]
    list_filter = ["weekday", "part_of_day"]


@admin.register(TimeAway)
class TimeAwayAdmin(admin.ModelAdmin[TimeAway]):
    list_display = ["volunteer", "starts_on", "ends_on"]
    exclude = ["note"]


@admin.register(ConsentPurpose)
class ConsentPurposeAdmin(admin.ModelAdmin[ConsentPurpose]):
    list_display = ["name", "code", "is_health_data", "order"]


@admin.register(ConsentText)
class ConsentTextAdmin(admin.ModelAdmin[ConsentText]):
    list_display = ["purpose", "network", "version", "published_at", "published_by"]
    list_filter = ["purpose", "network"]
    readonly_fields = ["purpose", "network", "version", "text", "organisations", "published_at", "published_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # new versions are published through the consent wording pages


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin[ConsentRecord]):
    list_display = ["volunteer", "purpose", "action", "method", "created_at"]
    list_filter = ["purpose", "action", "method"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
