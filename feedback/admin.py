"""Support-staff admin for feedback. Answers, follow-ups and their notes are personal (the notes
are special-category data), so support staff see when things happened, never what was said."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from feedback.models import (
    CoordinatorFeedback,
    FollowUpNote,
    ImpactEntry,
    StudentFeedbackLink,
    StudentResponse,
    VolunteerFeedback,
    WellbeingFollowUp,
)


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(VolunteerFeedback)
class VolunteerFeedbackAdmin(ReadOnlyAdmin):
    list_display = ["booking", "requested_at", "reminded_at", "answered_at"]
    fields = ["booking", "requested_at", "reminded_at", "answered_at"]


@admin.register(CoordinatorFeedback)
class CoordinatorFeedbackAdmin(ReadOnlyAdmin):
    list_display = ["session", "requested_at", "answered_at", "rating"]
    fields = ["session", "requested_at", "reminded_at", "answered_at", "answered_by", "rating"]


@admin.register(StudentFeedbackLink)
class StudentFeedbackLinkAdmin(ReadOnlyAdmin):
    list_display = ["session", "closes_at"]
    exclude = ["token"]


@admin.register(StudentResponse)
class StudentResponseAdmin(ReadOnlyAdmin):
    list_display = ["session", "rating", "change_practice", "chosen", "created_at"]
    exclude = ["browser"]


@admin.register(WellbeingFollowUp)
class WellbeingFollowUpAdmin(ReadOnlyAdmin):
    list_display = ["network", "status", "source", "created_at", "closed_at"]
    list_filter = ["status", "source"]
    fields = ["network", "status", "source", "created_at", "contacted_at", "closed_at"]
    readonly_fields = ["created_at"]


@admin.register(FollowUpNote)
class FollowUpNoteAdmin(ReadOnlyAdmin):
    list_display = ["follow_up", "author", "created_at"]
    fields = ["follow_up", "author", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(ImpactEntry)
class ImpactEntryAdmin(admin.ModelAdmin[ImpactEntry]):
    list_display = ["title", "university", "area", "changed_on"]
    list_filter = ["area", "university"]
    search_fields = ["title"]
    filter_horizontal = ["modules", "sessions"]
