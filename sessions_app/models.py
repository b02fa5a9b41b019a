"""Programmes, modules, teaching sessions and the bookings of volunteers into them."""

from __future__ import annotations

import datetime
import secrets
from decimal import Decimal
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation
from involvement.models import TimeStampedModel
from volunteers.models import ConsentPurpose, ExperienceTag, VolunteerProfile


class Programme(TimeStampedModel):
    class Regulator(models.TextChoices):
        HCPC = "hcpc", "HCPC"
        NMC = "nmc", "NMC"
        GMC = "gmc", "GMC"
        OTHER = "other", "Other"

    university = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="programmes")
    name = models.CharField(max_length=200)
    profession = models.CharField(max_length=100, help_text="For example “Diagnostic radiography”.")
    regulator = models.CharField(max_length=10, choices=Regulator.choices)
    academic_year = models.CharField(max_length=9, help_text="For example 2026/27.")
    cost_centre = models.CharField(
        max_length=12, blank=True, help_text="The finance system's cost centre that pays this programme's involvement."
    )
    nominal_code = models.CharField(max_length=8, blank=True, help_text="The finance system's nominal (account) code.")

    class Meta:
        ordering = ["name", "academic_year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(regulator__in=["hcpc", "nmc", "gmc", "other"]), name="programme_regulator_valid"
            ),
            models.UniqueConstraint(fields=["university", "name", "academic_year"], name="programme_unique_per_year"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.academic_year})"


class Module(TimeStampedModel):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="modules")
    code = models.CharField(max_length=20)
    title = models.CharField(max_length=200)
    year_of_study = models.PositiveSmallIntegerField(default=1)
    leads = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="modules_led")

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="module_code_unique_per_programme"),
            models.CheckConstraint(
                condition=Q(year_of_study__gte=1, year_of_study__lte=7), name="module_year_of_study_sensible"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class TeachingSessionQuerySet(models.QuerySet["TeachingSession"]):
    def for_university(self, university_ids: list[int]) -> Self:
        return self.filter(module__programme__university_id__in=university_ids)

    def upcoming(self) -> Self:
        return self.filter(starts_at__gte=timezone.now())

    def past(self) -> Self:
        return self.filter(starts_at__lt=timezone.now())

    def going_ahead(self) -> Self:
        return self.filter(status__in=[TeachingSession.Status.OPEN, TeachingSession.Status.COMPLETED])

    def with_booking_counts(self) -> Self:
        """How many accepted, invited and attended bookings each session has, as one small
        subquery per count: counted for the rows shown (a page of 50 counts 50 sessions'
        bookings), where a join and GROUP BY would group the whole filtered set before LIMIT,
        and ``count()`` (a paginator's) leaves them out."""
        Status = Booking.Status

        def count(status: str) -> Coalesce:
            bookings = (
                Booking.objects.filter(session=OuterRef("pk"), status=status)
                .order_by()
                .values("session")
                .annotate(count=Count("pk"))
                .values("count")
            )
            return Coalesce(Subquery(bookings, output_field=models.IntegerField()), 0)

        return self.annotate(
            accepted_count=count(Status.ACCEPTED),
            invited_count=count(Status.INVITED),
            attended_count=count(Status.ATTENDED),
        )


class TeachingSession(TimeStampedModel):
    class Kind(models.TextChoices):
        TEACHING = "teaching", "Teaching or storytelling"
        SIMULATED_PATIENT = "simulated_patient", "Simulated patient"
        ASSESSMENT = "assessment", "Assessment or OSCE"
        RECRUITMENT = "recruitment", "Recruitment and selection"
        CURRICULUM = "curriculum", "Curriculum design"
        REVIEW = "review", "Programme review or validation"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    module = models.ForeignKey(Module, on_delete=models.PROTECT, related_name="sessions")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TEACHING)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    venue = models.CharField(max_length=300, blank=True, help_text="Building and room, for an in-person session.")
    online_link = models.URLField(blank=True, help_text="The meeting link, for an online session.")
    places = models.PositiveSmallIntegerField(default=1)
    preferred_tags = models.ManyToManyField(ExperienceTag, blank=True, related_name="sessions")
    required_consents = models.ManyToManyField(ConsentPurpose, blank=True, related_name="sessions")
    briefing = models.TextField(blank=True, help_text="What volunteers should know before they come.")
    purpose = models.TextField(blank=True, help_text="What the students should learn from it.")
    emotionally_demanding = models.BooleanField(default=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sessions_owned")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    cancelled_reason = models.TextField(blank=True)

    objects = TeachingSessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["status", "starts_at"], name="session_status_start_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"),
            models.CheckConstraint(condition=Q(places__gte=1), name="session_has_places"),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "open", "completed", "cancelled"]), name="session_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "teaching",
                        "simulated_patient",
                        "assessment",
                        "recruitment",
                        "curriculum",
                        "review",
                        "other",
                    ]
                ),
                name="session_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}, {timezone.localtime(self.starts_at):%d/%m/%Y %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("sessions_app:session", kwargs={"pk": self.pk})

    @property
    def university(self) -> Organisation:
        return self.module.programme.university

    @property
    def duration(self) -> datetime.timedelta:
        """How long it lasts, measured in UTC: a session from 22:00 BST to 02:00 GMT lasts 5 hours,
        although the wall clock moves only 4 (Python subtracts two times of one time zone by their
        wall-clock readings)."""
        return self.ends_at.astimezone(datetime.UTC) - self.starts_at.astimezone(datetime.UTC)

    @property
    def duration_hours(self) -> Decimal:
        seconds = Decimal(self.duration.total_seconds())
        return (seconds / Decimal(3600)).quantize(Decimal("0.01"))

    @property
    def is_online(self) -> bool:
        return bool(self.online_link) and not self.venue

    @property
    def has_ended(self) -> bool:
        return self.ends_at <= timezone.now()


class BookingQuerySet(models.QuerySet["Booking"]):
    def accepted(self) -> Self:
        return self.filter(status=Booking.Status.ACCEPTED)

    def holding_a_place(self) -> Self:
        """Accepted, or attended: the bookings that count against a session's places."""
        return self.filter(status__in=[Booking.Status.ACCEPTED, Booking.Status.ATTENDED])

    def overlapping(self, starts_at: datetime.datetime, ends_at: datetime.datetime) -> Self:
        return self.filter(session__starts_at__lt=ends_at, session__ends_at__gt=starts_at)

    def upcoming(self) -> Self:
        return self.filter(session__ends_at__gte=timezone.now())


class Booking(TimeStampedModel):
    """A volunteer's place in a session: invited → accepted | declined | expired;
    accepted → cancelled | attended | no_show."""

    class Status(models.TextChoices):
        INVITED = "invited", "Invited"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Invitation expired"
        CANCELLED = "cancelled", "Cancelled"
        ATTENDED = "attended", "Attended"
        NO_SHOW = "no_show", "Did not attend"

    session = models.ForeignKey(TeachingSession, on_delete=models.CASCADE, related_name="bookings")
    volunteer = models.ForeignKey(VolunteerProfile, on_delete=models.PROTECT, related_name="bookings")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.INVITED)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invitation_expires_at = models.DateTimeField()
    invited_at = models.DateTimeField(default=timezone.now, help_text="When the latest invitation was sent.")
    invitation_round = models.PositiveSmallIntegerField(
        default=1, help_text="1 for the first invitation, one more each time the coordinator invites again."
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancel_reason = models.TextField(blank=True)
    attendance_marked_at = models.DateTimeField(null=True, blank=True)
    hours = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["session__starts_at", "pk"]
        indexes = [
            # A volunteer's bookings by status, with the session: matching's "last involved" (the
            # latest attended session of every candidate) reads only the index, not the rows.
            models.Index(fields=["volunteer", "status", "session"], name="booking_volunteer_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["session", "volunteer"], name="booking_one_per_volunteer_per_session"),
            models.CheckConstraint(
                condition=Q(
                    status__in=["invited", "accepted", "declined", "expired", "cancelled", "attended", "no_show"]
                ),
                name="booking_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(hours__isnull=True) | Q(hours__gte=0), name="booking_hours_not_negative"
            ),
            models.CheckConstraint(condition=Q(invitation_round__gte=1), name="booking_invitation_round_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} in {self.session} ({self.status})"

    def event_key(self, event: str) -> str:
        """The outbox key of an email about this booking's current invitation (``booking-confirmed``):
        a new invitation round gives the confirmation and reminders of a new acceptance their own keys."""
        suffix = "" if self.invitation_round == 1 else f":round:{self.invitation_round}"
        return f"{event}:{self.pk}{suffix}"


class SessionMessage(TimeStampedModel):
    """A message a coordinator sent to everyone accepted on a session."""

    session = models.ForeignKey(TeachingSession, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    subject = models.CharField(max_length=150)
    body = models.TextField(max_length=5000)
    recipients = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject


class CheckIn(TimeStampedModel):
    """The "How are you after the session?" question after an emotionally demanding session."""

    class Answer(models.TextChoices):
        FINE = "fine", "I'm fine"
        CALL = "call", "I'd like a call"

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="check_in")
    answer = models.CharField(max_length=10, choices=Answer.choices, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(answer__in=["", "fine", "call"]), name="check_in_answer_valid"),
        ]

    def __str__(self) -> str:
        return f"Check-in for {self.booking}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(TimeStampedModel):
    """A volunteer's private calendar address; replacing the token revokes the old address."""

    volunteer = models.OneToOneField(VolunteerProfile, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)

    def __str__(self) -> str:
        return f"Calendar of {self.volunteer}"
