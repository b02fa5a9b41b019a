"""Support-staff admin for sessions. Sessions and bookings change state only through the services
(capacity, overlaps, consent, the emails that follow), so a session's times, places and status
and a booking's status are read-only here, and sessions are created on the site; calendar tokens
and check-in answers, which are private, are left out."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from sessions_app.models import Booking, CalendarFeed, CheckIn, Module, Programme, SessionMessage, TeachingSession


class ModuleInline(admin.TabularInline[Module, Programme]):
    model = Module
    extra = 0
    fields = ["code", "title", "year_of_study"]


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin[Programme]):
    list_display = ["name", "university", "profession", "regulator", "academic_year"]
    list_filter = ["regulator", "academic_year", "university"]
    search_fields = ["name", "profession"]
    inlines = [ModuleInline]


@admin.register(Module)
class ModuleAdmin(admin.ModelAdmin[Module]):
    list_display = ["code", "title", "programme", "year_of_study"]
    list_filter = ["programme__university"]
    search_fields = ["code", "title"]
    filter_horizontal = ["leads"]


class BookingInline(admin.TabularInline[Booking, TeachingSession]):
    model = Booking
    extra = 0
    fields = ["volunteer", "status", "invitation_expires_at", "responded_at", "hours"]
    readonly_fields = ["volunteer", "status", "invitation_expires_at", "responded_at", "hours"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(TeachingSession)
class TeachingSessionAdmin(admin.ModelAdmin[TeachingSession]):
    list_display = ["title", "module", "kind", "starts_at", "places", "status"]
    list_filter = ["status", "kind", "module__programme__university"]
    search_fields = ["title", "module__code"]
    date_hierarchy = "starts_at"
    # Times, places and status change only through the services, which check that nobody is
    # double-booked, that places never fall below those accepted, and tell the volunteers.
    readonly_fields = ["module", "starts_at", "ends_at", "places", "status", "owner"]
    filter_horizontal = ["preferred_tags", "required_consents"]
    # A meeting link typed without a scheme is an https one (as on the session form).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    inlines = [BookingInline]


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin[Booking]):
    list_display = ["session", "volunteer", "status", "responded_at"]
    list_filter = ["status"]
    search_fields = ["session__title", "volunteer__user__name"]
    readonly_fields = [
        "session",
        "volunteer",
        "status",
        "invited_by",
        "invitation_expires_at",
        "invited_at",
        "invitation_round",
        "responded_at",
        "cancelled_at",
        "cancelled_by",
        "attendance_marked_at",
        "hours",
    ]
    # Why a place was cancelled is often the volunteer's health: not for support staff.
    exclude = ["cancel_reason"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SessionMessage)
class SessionMessageAdmin(admin.ModelAdmin[SessionMessage]):
    list_display = ["subject", "session", "author", "recipients", "created_at"]
    readonly_fields = ["session", "author", "subject", "body", "recipients"]


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin[CheckIn]):
    list_display = ["booking", "answered_at"]
    exclude = ["answer"]
    readonly_fields = ["booking", "answered_at"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin[CalendarFeed]):
    list_display = ["volunteer", "updated_at"]
    exclude = ["token"]
    readonly_fields = ["volunteer"]
