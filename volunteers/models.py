"""Volunteers: profiles, networks, availability, adjustments, onboarding and consent.

Special-category data (lived experience, health-revealing adjustments, topics to avoid, the
reason for a payment preference) lives on ``VolunteerProfile`` and is shown only as
``volunteers.permissions`` allows; every view and change of it by someone other than the
volunteer is recorded in the ActivityLog by the services and views.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Self

from django.conf import settings
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from accounts.models import Organisation, Partnership
from involvement.models import TimeStampedModel


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class PartOfDay(models.TextChoices):
    MORNING = "morning", "Morning"
    AFTERNOON = "afternoon", "Afternoon"
    EVENING = "evening", "Evening"


def part_of_day(moment: datetime.datetime) -> str:
    """Morning before 12:00, afternoon before 17:00, evening after, in UK time."""
    local = timezone.localtime(moment)
    if local.hour < 12:
        return PartOfDay.MORNING
    if local.hour < 17:
        return PartOfDay.AFTERNOON
    return PartOfDay.EVENING


class ExperienceTag(models.Model):
    """A kind of lived experience a network's volunteers bring ("secondary breast cancer")."""

    network = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="experience_tags")
    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["network", "name"], name="experience_tag_unique_per_network")]

    def __str__(self) -> str:
        return self.name


class VolunteerProfileQuerySet(models.QuerySet["VolunteerProfile"]):
    def in_network(self, network: Organisation | int) -> Self:
        return self.filter(memberships__network=network).distinct()

    def active_in(self, networks: Iterable[Organisation | int]) -> Self:
        return self.filter(
            Exists(
                NetworkMembership.objects.filter(
                    volunteer=OuterRef("pk"), network__in=list(networks), status=NetworkMembership.Status.ACTIVE
                )
            )
        )

    def findable_by(self, university: Organisation, on: datetime.date | None = None) -> Self:
        """Active volunteers of networks with an active partnership with ``university``."""
        partnered = Partnership.objects.active(on).filter(university=university).values("network_id")
        return self.filter(
            Exists(
                NetworkMembership.objects.filter(
                    volunteer=OuterRef("pk"), network__in=partnered, status=NetworkMembership.Status.ACTIVE
                )
            )
        )

    def available_at(self, weekday: int, part: str, on: datetime.date | None = None) -> Self:
        """Free on ``weekday`` in ``part`` of the day by their weekly pattern, and not away on ``on``."""
        queryset = self.filter(
            Exists(WeeklyAvailability.objects.filter(volunteer=OuterRef("pk"), weekday=weekday, part_of_day=part))
        )
        if on is not None:
            queryset = queryset.exclude(
                Exists(TimeAway.objects.filter(volunteer=OuterRef("pk"), starts_on__lte=on, ends_on__gte=on))
            )
        return queryset

    def with_current_grants(self, purpose_codes: Iterable[str], *, university: Organisation | int) -> Self:
        """Volunteers who, for every purpose in ``purpose_codes``, hold a current grant
        (``ConsentRecordQuerySet.current_grants``) from some network whose current text names
        ``university`` among the organisations relying on it: consent covers only those named."""
        queryset = self
        for code in purpose_codes:
            holders = (
                ConsentRecord.objects.current_grants()
                .filter(purpose__code=code, text__organisations=university)
                .order_by()
                .values("volunteer_id")
            )
            queryset = queryset.filter(pk__in=holders)
        return queryset


class VolunteerProfile(TimeStampedModel):
    """The volunteer's own record, shared by every network they belong to."""

    class ContactChannel(models.TextChoices):
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone call"
        SMS = "sms", "Text message (SMS)"
        POST = "post", "Post"

    class Perspective(models.TextChoices):
        SERVICE_USER = "service_user", "Patient or service user"
        CARER = "carer", "Carer"
        BOTH = "both", "Both a service user and a carer"
        ORGANISATION = "organisation", "Representing an organisation"

    class PaymentPreference(models.TextChoices):
        FEE_AND_EXPENSES = "fee_and_expenses", "My fee and my expenses"
        REDUCED_FEE = "reduced_fee", "A reduced fee and my expenses"
        FEE_DONATED = "fee_donated", "Donate my fee to my charity; pay my expenses"
        EXPENSES_ONLY = "expenses_only", "My expenses only, no fee"
        NOTHING = "nothing", "Nothing: I do not want to be paid"

    class Naming(models.TextChoices):
        FULL_NAME = "full_name", "My full name"
        FIRST_NAME = "first_name", "My first name only"
        ANONYMOUS = "anonymous", "Do not name me"

    class AttendanceMode(models.TextChoices):
        EITHER = "either", "In person or online"
        IN_PERSON = "in_person", "In person only"
        ONLINE = "online", "Online only"

    class Interpreter(models.TextChoices):
        NONE = "", "No interpreter needed"
        BSL = "bsl", "British Sign Language (BSL) interpreter"
        SPOKEN = "spoken", "Spoken-language interpreter"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="volunteer_profile")
    preferred_name = models.CharField(max_length=100, blank=True, help_text="What you would like us to call you.")
    pronouns = models.CharField(max_length=40, blank=True)
    contact_channel = models.CharField(max_length=10, choices=ContactChannel.choices, default=ContactChannel.EMAIL)
    phone = models.CharField(max_length=40, blank=True)
    postal_address = models.TextField(blank=True)
    perspective = models.CharField(max_length=20, choices=Perspective.choices, default=Perspective.SERVICE_USER)
    # Special category from here on (see volunteers.permissions).
    experience_tags = models.ManyToManyField(ExperienceTag, blank=True, related_name="volunteers")
    biography = models.TextField(blank=True, max_length=1000)
    topics_to_avoid = models.TextField(blank=True, max_length=1000)
    support_contact_name = models.CharField(max_length=150, blank=True)
    support_contact_details = models.CharField(max_length=200, blank=True)
    payment_preference = models.CharField(
        max_length=20, choices=PaymentPreference.choices, default=PaymentPreference.FEE_AND_EXPENSES
    )
    payment_preference_reason = models.TextField(blank=True, max_length=500)
    naming_preference = models.CharField(max_length=12, choices=Naming.choices, default=Naming.FIRST_NAME)
    # The adjustments profile, reused at every booking.
    step_free_access = models.BooleanField(default=False)
    parking = models.BooleanField(default=False)
    interpreter = models.CharField(max_length=10, choices=Interpreter.choices, blank=True, default=Interpreter.NONE)
    interpreter_language = models.CharField(max_length=60, blank=True)
    hearing_loop = models.BooleanField(default=False)
    large_print = models.BooleanField(default=False)
    easy_read = models.BooleanField(default=False)
    companion_attending = models.BooleanField(default=False)
    rest_breaks = models.BooleanField(default=False)
    dietary_needs = models.CharField(max_length=200, blank=True)
    longest_session_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    attendance_mode = models.CharField(max_length=10, choices=AttendanceMode.choices, default=AttendanceMode.EITHER)
    other_adjustments = models.TextField(blank=True, max_length=1000)
    # Availability beyond the weekly grid.
    monthly_session_cap = models.PositiveSmallIntegerField(null=True, blank=True)
    travel_miles = models.PositiveSmallIntegerField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)

    objects = VolunteerProfileQuerySet.as_manager()

    class Meta:
        ordering = ["user__name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(contact_channel__in=["email", "phone", "sms", "post"]), name="profile_contact_channel_valid"
            ),
            models.CheckConstraint(
                condition=Q(perspective__in=["service_user", "carer", "both", "organisation"]),
                name="profile_perspective_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    payment_preference__in=[
                        "fee_and_expenses",
                        "reduced_fee",
                        "fee_donated",
                        "expenses_only",
                        "nothing",
                    ]
                ),
                name="profile_payment_preference_valid",
            ),
            models.CheckConstraint(
                condition=Q(naming_preference__in=["full_name", "first_name", "anonymous"]),
                name="profile_naming_valid",
            ),
            models.CheckConstraint(
                condition=Q(attendance_mode__in=["either", "in_person", "online"]), name="profile_attendance_mode_valid"
            ),
            models.CheckConstraint(
                condition=Q(longest_session_minutes__isnull=True) | Q(longest_session_minutes__gte=15),
                name="profile_longest_session_sensible",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.preferred_name or self.user.get_full_name()

    @property
    def adjustments(self) -> list[str]:
        """The adjustments profile as plain sentences, for the people who may see it."""
        needs = []
        if self.step_free_access:
            needs.append("Step-free access")
        if self.parking:
            needs.append("A parking space")
        if self.interpreter == self.Interpreter.BSL:
            needs.append("A BSL interpreter")
        elif self.interpreter == self.Interpreter.SPOKEN:
            needs.append(f"An interpreter ({self.interpreter_language or 'language to be confirmed'})")
        if self.hearing_loop:
            needs.append("A hearing loop")
        if self.large_print:
            needs.append("Large print materials")
        if self.easy_read:
            needs.append("Easy read materials")
        if self.companion_attending:
            needs.append("A companion or carer comes too")
        if self.rest_breaks:
            needs.append("Rest breaks")
        if self.dietary_needs:
            needs.append(f"Dietary needs: {self.dietary_needs}")
        if self.longest_session_minutes:
            needs.append(f"Sessions of at most {self.longest_session_minutes} minutes")
        if self.attendance_mode != self.AttendanceMode.EITHER:
            needs.append(self.get_attendance_mode_display())
        if self.other_adjustments:
            needs.append(self.other_adjustments)
        return needs

    @property
    def is_erased(self) -> bool:
        return self.erased_at is not None


class NetworkMembershipQuerySet(models.QuerySet["NetworkMembership"]):
    def active(self) -> Self:
        return self.filter(status=NetworkMembership.Status.ACTIVE)

    def belonging(self) -> Self:
        """Memberships of people who still belong: applicants, active and paused volunteers."""
        Status = NetworkMembership.Status
        return self.filter(status__in=[Status.APPLICANT, Status.ACTIVE, Status.PAUSED])

    def for_lead(self, user: models.Model) -> Self:
        """Memberships in the networks where ``user`` is a lead."""
        return self.filter(network__memberships__user=user, network__memberships__role="lead")


class NetworkMembership(TimeStampedModel):
    """A volunteer's place in one network (a charity's, or a university's own pool)."""

    class Status(models.TextChoices):
        APPLICANT = "applicant", "Applicant"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        LEFT = "left", "Left"
        DECLINED = "declined", "Application declined"

    class HeardAbout(models.TextChoices):
        CHARITY = "charity", "From the charity"
        HOSPITAL = "hospital", "At a hospital or clinic"
        FRIEND = "friend", "From a friend or family member"
        SOCIAL_MEDIA = "social_media", "Social media"
        UNIVERSITY = "university", "From the university"
        OTHER = "other", "Somewhere else"

    volunteer = models.ForeignKey(VolunteerProfile, on_delete=models.CASCADE, related_name="memberships")
    network = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="volunteer_memberships")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.APPLICANT)
    statement = models.TextField("why you would like to be involved", blank=True, max_length=2000)
    heard_about = models.CharField(max_length=20, choices=HeardAbout.choices, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_message = models.TextField(blank=True, max_length=2000)
    paused_until = models.DateField(null=True, blank=True)
    status_changed_at = models.DateTimeField(default=timezone.now)

    objects = NetworkMembershipQuerySet.as_manager()

    class Meta:
        ordering = ["network__name"]
        constraints = [
            models.UniqueConstraint(fields=["volunteer", "network"], name="network_membership_unique"),
            models.CheckConstraint(
                condition=Q(status__in=["applicant", "active", "paused", "left", "declined"]),
                name="network_membership_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(paused_until__isnull=True) | Q(status="paused"), name="network_membership_return_if_paused"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} in {self.network} ({self.status})"


class WeeklyAvailability(models.Model):
    """One part of one weekday when the volunteer is usually free."""

    volunteer = models.ForeignKey(VolunteerProfile, on_delete=models.CASCADE, related_name="weekly_availability")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    part_of_day = models.CharField(max_length=10, choices=PartOfDay.choices)

    class Meta:
        ordering = ["weekday", "part_of_day"]
        constraints = [
            models.UniqueConstraint(fields=["volunteer", "weekday", "part_of_day"], name="weekly_availability_unique"),
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="weekly_availability_weekday"),
            models.CheckConstraint(
                condition=Q(part_of_day__in=["morning", "afternoon", "evening"]), name="weekly_availability_part"
            ),
        ]
        # Who is free in a slot, answered from the index alone (matching asks it for every session).
        indexes = [models.Index(fields=["weekday", "part_of_day", "volunteer"], name="weekly_availability_slot_idx")]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.get_part_of_day_display().lower()}"


class TimeAway(models.Model):
    """Dates the volunteer is away (a holiday, treatment); they are not matched then."""

    volunteer = models.ForeignKey(VolunteerProfile, on_delete=models.CASCADE, related_name="time_away")
    starts_on = models.DateField()
    ends_on = models.DateField()
    note = models.CharField(max_length=120, blank=True, help_text="Only you and your lead see this.")

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="time_away_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"Away {self.starts_on:%d/%m/%Y}–{self.ends_on:%d/%m/%Y}"


class OnboardingCheck(TimeStampedModel):
    """One item of a volunteer's onboarding checklist in one network."""

    class Kind(models.TextChoices):
        INDUCTION = "induction", "Induction"
        CONFIDENTIALITY = "confidentiality", "Confidentiality agreement"
        ROLE_CHECK = "role_check", "Role-specific check"

    membership = models.ForeignKey(NetworkMembership, on_delete=models.CASCADE, related_name="checks")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    name = models.CharField(max_length=120, blank=True, help_text="For a role-specific check, e.g. “DBS check”.")
    completed_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    expiry_warned_for = models.DateField(
        null=True, blank=True, help_text="The expiry date the lead was last warned about."
    )

    class Meta:
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["induction", "confidentiality", "role_check"]), name="onboarding_check_kind"
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True)
                | Q(completed_on__isnull=True)
                | Q(expires_on__gt=F("completed_on")),
                name="onboarding_check_expires_after_issue",
            ),
            models.UniqueConstraint(
                fields=["membership", "kind"],
                condition=~Q(kind="role_check"),
                name="onboarding_one_induction_and_agreement",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.name if self.kind == self.Kind.ROLE_CHECK and self.name else self.get_kind_display()

    @property
    def is_done(self) -> bool:
        return self.completed_on is not None and not self.is_expired

    @property
    def is_expired(self) -> bool:
        return self.expires_on is not None and self.expires_on < timezone.localdate()


class ConsentPurpose(models.Model):
    """Something a volunteer may consent to. Health information is explicit and separate."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    is_health_data = models.BooleanField(default=False, help_text="Explicit consent for special-category data.")
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class ConsentTextQuerySet(models.QuerySet["ConsentText"]):
    def current(self) -> Self:
        """Each network's newest version of each purpose's wording."""
        return self.exclude(Exists(_newer_version(purpose=OuterRef("purpose"), network=OuterRef("network"))))


def _newer_version(
    *, purpose: OuterRef, network: OuterRef, than: OuterRef | None = None
) -> models.QuerySet[ConsentText]:
    """Texts of ``purpose`` and ``network`` with a higher version (than the outer row's by default)."""
    return ConsentText.objects.filter(purpose=purpose, network=network, version__gt=than or OuterRef("version"))


class ConsentText(models.Model):
    """One version of a purpose's wording, owned by the network whose volunteers give it.

    Versions are numbered per (purpose, network): each network words its own consents, only its
    admins publish a version (``services.publish_consent_text``), and a version names the
    organisations relying on it, chosen from the network itself and its partners.
    """

    purpose = models.ForeignKey(ConsentPurpose, on_delete=models.PROTECT, related_name="texts")
    network = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="owned_consent_texts")
    version = models.PositiveSmallIntegerField()
    text = models.TextField()
    organisations = models.ManyToManyField(Organisation, related_name="consent_texts")
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ConsentTextQuerySet.as_manager()

    class Meta:
        ordering = ["purpose__order", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "network", "version"], name="consent_text_version_unique_per_network"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="consent_text_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} (version {self.version}, {self.network})"


class ConsentRecordQuerySet(models.QuerySet["ConsentRecord"]):
    def latest_answers(self) -> Self:
        """Each volunteer's most recent record for each purpose of each network (their current
        answer to that network); a later row of the same instant wins."""
        newer = ConsentRecord.objects.filter(
            volunteer=OuterRef("volunteer"), purpose=OuterRef("purpose"), text__network=OuterRef("text__network")
        ).filter(Q(created_at__gt=OuterRef("created_at")) | Q(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk")))
        return self.exclude(Exists(newer))

    def current_grants(self) -> Self:
        """Current grants: a volunteer's latest record for a (purpose, network) that is a grant of
        that network's newest text of the purpose. In SQL, whatever the number of rows."""
        return self.latest_answers().filter(action=ConsentRecord.Action.GRANTED).exclude(Exists(self._newer_text()))

    def outdated_grants(self) -> Self:
        """Latest answers that are grants of wording its network has since replaced: the
        volunteer is asked again."""
        return self.latest_answers().filter(action=ConsentRecord.Action.GRANTED).filter(Exists(self._newer_text()))

    @staticmethod
    def _newer_text() -> models.QuerySet[ConsentText]:
        return _newer_version(
            purpose=OuterRef("purpose"), network=OuterRef("text__network"), than=OuterRef("text__version")
        )


class ConsentRecord(models.Model):
    """An append-only record: who granted or withdrew which version, when, how and recorded by whom."""

    class Action(models.TextChoices):
        GRANTED = "granted", "Granted"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Method(models.TextChoices):
        ONLINE = "online", "Online, by the volunteer"
        PAPER = "paper", "On a paper form"
        VERBAL = "verbal", "Verbally, recorded by staff"

    volunteer = models.ForeignKey(VolunteerProfile, on_delete=models.CASCADE, related_name="consent_records")
    purpose = models.ForeignKey(ConsentPurpose, on_delete=models.PROTECT, related_name="records")
    text = models.ForeignKey(ConsentText, on_delete=models.PROTECT, related_name="records")
    action = models.CharField(max_length=10, choices=Action.choices)
    method = models.CharField(max_length=10, choices=Method.choices, default=Method.ONLINE)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = ConsentRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["volunteer", "purpose", "created_at"], name="consent_record_latest_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(action__in=["granted", "withdrawn"]), name="consent_record_action"),
            models.CheckConstraint(condition=Q(method__in=["online", "paper", "verbal"]), name="consent_record_method"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.purpose} v{self.text.version}"
