"""Feedback after a session (from the volunteer, the coordinator and the students), wellbeing
follow-ups for a network's leads, and the impact log ("you said, we did").

A volunteer's answers and the notes on a follow-up are personal; the follow-up notes are
special-category data, seen only by the leads of the volunteer's network (``feedback.permissions``).
Student answers are anonymous: no account, no personal data, and only a one-way hash of a random
browser key to allow one answer per browser.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organisation
from involvement.models import TimeStampedModel
from sessions_app.models import Booking, Module, TeachingSession
from volunteers.models import VolunteerProfile


class Agreement(models.TextChoices):
    YES = "yes", "Yes"
    PARTLY = "partly", "Partly"
    NO = "no", "No"


class VolunteerFeedback(TimeStampedModel):
    """What a volunteer who attended said about the session: one per booking, requested when
    attendance is marked, answered through a signed link (no sign-in needed)."""

    class HowItWent(models.TextChoices):
        WELL = "well", "It went well"
        MIXED = "mixed", "Some of it went well, some did not"
        HARD = "hard", "I found it hard"

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="volunteer_feedback")
    requested_at = models.DateTimeField(default=timezone.now)
    reminded_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    how_it_went = models.CharField(max_length=10, choices=HowItWent.choices, blank=True)
    felt_prepared = models.CharField(max_length=10, choices=Agreement.choices, blank=True)
    felt_supported = models.CharField(max_length=10, choices=Agreement.choices, blank=True)
    to_change = models.TextField("anything to change", blank=True, max_length=2000)
    wants_contact = models.BooleanField(default=False)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(how_it_went__in=["", "well", "mixed", "hard"]), name="vfb_how_valid"),
            models.CheckConstraint(condition=Q(felt_prepared__in=["", "yes", "partly", "no"]), name="vfb_prepared"),
            models.CheckConstraint(condition=Q(felt_supported__in=["", "yes", "partly", "no"]), name="vfb_supported"),
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | ~Q(how_it_went=""), name="vfb_answered_has_answer"
            ),
        ]

    def __str__(self) -> str:
        return f"Feedback from {self.booking}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


class CoordinatorFeedback(TimeStampedModel):
    """What the session's coordinator said about the volunteers' contribution: one per session."""

    session = models.OneToOneField(TeachingSession, on_delete=models.CASCADE, related_name="coordinator_feedback")
    requested_at = models.DateTimeField(default=timezone.now)
    reminded_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rating = models.PositiveSmallIntegerField(null=True, blank=True, help_text="How the contribution went, 1 to 5.")
    contribution = models.TextField("how the contribution went", blank=True, max_length=2000)
    students_took = models.TextField("what students took from it", blank=True, max_length=2000)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="cfb_rating_1_to_5"
            ),
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | Q(rating__isnull=False), name="cfb_answered_has_rating"
            ),
        ]

    def __str__(self) -> str:
        return f"Coordinator's feedback on {self.session}"


def student_window_closes(session: TeachingSession) -> datetime.datetime:
    """When students stop being able to answer: ``FEEDBACK_STUDENT_DAYS`` after the session ends."""
    return session.ends_at + datetime.timedelta(days=settings.FEEDBACK_STUDENT_DAYS)


class StudentFeedbackLink(TimeStampedModel):
    """The anonymous link (and QR code) students answer a session's feedback through, open from the
    session's start until ``closes``."""

    session = models.OneToOneField(TeachingSession, on_delete=models.CASCADE, related_name="student_link")
    token = models.CharField(max_length=64, unique=True)
    closes_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Student feedback link for {self.session}"

    @property
    def closes(self) -> datetime.datetime:
        """``closes_at``, set when the link was made, or later if the session has since moved later:
        students always have the whole window after the session as it now is."""
        return max(self.closes_at, student_window_closes(self.session))

    @property
    def is_open(self) -> bool:
        now = timezone.now()
        return self.session.starts_at <= now < self.closes


class StudentResponse(models.Model):
    """One student's anonymous answer. ``browser`` is a SHA-256 of a random key kept in the
    student's browser (never anything about them), so one browser answers once."""

    class ChangePractice(models.TextChoices):
        YES = "yes", "Yes"
        MAYBE = "maybe", "Maybe"
        NO = "no", "No"

    session = models.ForeignKey(TeachingSession, on_delete=models.CASCADE, related_name="student_responses")
    learned = models.TextField("what they learned", max_length=1000)
    change_practice = models.CharField(max_length=10, choices=ChangePractice.choices)
    rating = models.PositiveSmallIntegerField()
    browser = models.CharField(max_length=64)
    # Chosen by staff to be shown to the volunteers of the session and in reports.
    chosen = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["session", "browser"], name="student_response_one_per_browser"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="student_rating_1_to_5"),
            models.CheckConstraint(
                condition=Q(change_practice__in=["yes", "maybe", "no"]), name="student_change_practice_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Student feedback on {self.session} ({self.rating}/5)"


class WellbeingFollowUp(TimeStampedModel):
    """A volunteer who found a session hard, or asked to be contacted, for their network's leads to
    look after: open → contacted → closed (or open → closed)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CONTACTED = "contacted", "Contacted"
        CLOSED = "closed", "Closed"

    class Source(models.TextChoices):
        FEEDBACK = "feedback", "Their feedback after a session"
        CHECK_IN = "check_in", "The check-in after a session"

    volunteer = models.ForeignKey(VolunteerProfile, on_delete=models.CASCADE, related_name="follow_ups")
    network = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="follow_ups")
    booking = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="follow_ups")
    source = models.CharField(max_length=10, choices=Source.choices)
    found_it_hard = models.BooleanField(default=False)
    asked_for_contact = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    contacted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["network", "status", "created_at"], name="follow_up_open_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "contacted", "closed"]), name="follow_up_status_valid"
            ),
            models.CheckConstraint(condition=Q(source__in=["feedback", "check_in"]), name="follow_up_source_valid"),
            models.UniqueConstraint(
                fields=["booking", "network"], condition=Q(booking__isnull=False), name="follow_up_one_per_booking"
            ),
        ]

    def __str__(self) -> str:
        return f"Follow-up for {self.volunteer} ({self.status})"


class FollowUpNote(models.Model):
    """A dated note on a follow-up, by a lead. Special-category data: only the network's leads see it."""

    follow_up = models.ForeignKey(WellbeingFollowUp, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Note on {self.follow_up}"


class ImpactEntry(TimeStampedModel):
    """ "You said, we did": something a university changed because of involvement."""

    class Area(models.TextChoices):
        MODULE = "module", "A module"
        ASSESSMENT = "assessment", "An assessment"
        TEACHING = "teaching", "A teaching approach"
        CURRICULUM = "curriculum", "The curriculum or programme"
        OTHER = "other", "Something else"

    university = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="impact_entries")
    title = models.CharField(max_length=200)
    what_changed = models.TextField(max_length=4000)
    area = models.CharField(max_length=12, choices=Area.choices, default=Area.MODULE)
    changed_on = models.DateField(default=timezone.localdate)
    modules = models.ManyToManyField(Module, blank=True, related_name="impact_entries")
    sessions = models.ManyToManyField(TeachingSession, blank=True, related_name="impact_entries")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-changed_on", "-pk"]
        verbose_name_plural = "impact entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(area__in=["module", "assessment", "teaching", "curriculum", "other"]),
                name="impact_area_valid",
            )
        ]

    def __str__(self) -> str:
        return self.title
