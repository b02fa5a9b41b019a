"""Data rights across every app: the registry covers every model that holds rows about a volunteer,
and erasing a volunteer leaves a marker planted in every text field of every one of those rows
nowhere: not in any table, not in any file under MEDIA_ROOT.

The models are found by walking the relations from ``VolunteerProfile``, so a model added later
(a feedback answer, say) fails ``test_every_model_about_a_volunteer_is_declared`` until its app
registers it, and is then planted and checked automatically.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import models
from django.test import Client
from django.utils import timezone

from accounts.models import User
from expenses.models import (
    BookingArrangement,
    Claim,
    ClaimItem,
    PayeeReference,
    Payment,
    PrepaidCost,
    Receipt,
    ReimbursementRun,
    RunLine,
)
from feedback.models import FollowUpNote, VolunteerFeedback, WellbeingFollowUp
from involvement.activity import record_activity
from involvement.models import ActivityLog, Notification
from involvement.notifications import queue_notification
from sessions_app.models import Booking, CalendarFeed, CheckIn
from tests import factories
from tests.conftest import World, signed_in
from tests.expenses.factories import ClaimFactory, ClaimItemFactory, attended_booking
from tests.markers import marker_leaks
from tests.sessions_app.factories import BookingFactory, in_days, session_at
from volunteers import data_rights
from volunteers.models import ConsentPurpose, ConsentRecord, NetworkMembership, VolunteerProfile
from volunteers.services import erase_volunteer, export_my_data

# Short enough for a postcode field (10 characters), unlikely anywhere else.
MARKER = "QZX7MRK"
PROJECT_APPS = {"accounts", "involvement", "volunteers", "sessions_app", "expenses", "feedback", "reports"}
# The account's own rows, which point at the user rather than the profile.
ACCOUNT_MODELS = {User, EmailAddress, Authenticator, Notification, ActivityLog}


def reachable_from_a_volunteer() -> set[type[models.Model]]:
    """Every model whose rows hang off a VolunteerProfile, following foreign keys back from it
    (bookings, then their claims, then the claims' items...) and its many-to-many tables."""
    found: set[type[models.Model]] = {VolunteerProfile}
    queue: list[type[models.Model]] = [VolunteerProfile]
    while queue:
        model = queue.pop()
        related = [relation.related_model for relation in model._meta.related_objects if not relation.many_to_many]
        related += [field.remote_field.through for field in model._meta.many_to_many]
        for other in related:
            if isinstance(other, type) and other._meta.app_label in PROJECT_APPS and other not in found:
                found.add(other)
                queue.append(other)
    return found | ACCOUNT_MODELS


def test_every_model_about_a_volunteer_is_declared() -> None:
    declared = data_rights.declared_models()

    missing = sorted(model._meta.label for model in reachable_from_a_volunteer() - declared)
    assert missing == [], f"register these models with a personal-data provider: {missing}"


def test_providers_are_registered_in_order() -> None:
    assert [provider.name for provider in data_rights.providers()] == ["volunteers", "sessions", "expenses", "feedback"]


# A volunteer with a row in every declared model -------------------------------------------------


def build_history(world: World) -> VolunteerProfile:
    """A volunteer of Charity A with something in every app: onboarding, availability, consents,
    bookings past and to come, a check-in, a calendar, a paid claim with items, a receipt and
    payments, arrangements, and emails to them and about them."""
    membership = factories.NetworkMembershipFactory(network=world.charity)
    profile = membership.volunteer
    user = profile.user
    factories.with_totp(user)
    factories.OnboardingCheckFactory(membership=membership)
    factories.WeeklyAvailabilityFactory(volunteer=profile)
    factories.TimeAwayFactory(volunteer=profile)
    profile.experience_tags.add(factories.ExperienceTagFactory(network=world.charity))
    text = factories.ConsentTextFactory(
        purpose=ConsentPurpose.objects.get(code="share-story"), network=world.charity, organisations=[world.charity]
    )
    ConsentRecord.objects.create(volunteer=profile, text=text, purpose=text.purpose, action="granted", note="Online")
    # Sessions: one to come (accepted), one cancelled, one attended with a check-in.
    ahead = session_at(world.university, world.coordinator, starts_at=in_days(10), ends_at=in_days(10, 12))
    BookingFactory(session=ahead, volunteer=profile, status=Booking.Status.ACCEPTED)
    other = session_at(world.university, world.coordinator, starts_at=in_days(20), ends_at=in_days(20, 12))
    BookingFactory(session=other, volunteer=profile, status=Booking.Status.CANCELLED)
    attended = attended_booking(world.university, world.coordinator, profile, days_ago=5)
    CheckIn.objects.create(booking=attended, answer=CheckIn.Answer.CALL, answered_at=timezone.now())
    CalendarFeed.objects.create(volunteer=profile)
    # Money: a paid claim with items and a receipt, its payments, and the university's arrangements.
    claim = ClaimFactory(booking=attended, status=Claim.Status.PAID, paid_at=timezone.now())
    receipt = Receipt(claim=claim, content_type="application/pdf", original_name="ticket.pdf", size=10)
    receipt.file.save("receipt.pdf", ContentFile(b"%PDF-1.4 a receipt"), save=True)
    ClaimItemFactory(claim=claim, kind=ClaimItem.Kind.PUBLIC_TRANSPORT, receipt=receipt)
    ClaimItemFactory(claim=claim, kind=ClaimItem.Kind.MILEAGE, miles=Decimal("12.0"), vehicle="car")
    run = ReimbursementRun.objects.create(organisation=world.university, status=ReimbursementRun.Status.COMPLETED)
    for kind in (Payment.Kind.EXPENSES, Payment.Kind.FEE):
        RunLine.objects.create(
            run=run, claim=claim, kind=kind, amount=5, route="payroll", payee_reference="SUP-1001", cost_centre="RAD"
        )
        Payment.objects.create(
            key=f"claim-{claim.pk}-{kind}",
            run=run,
            claim=claim,
            volunteer=profile,
            kind=kind,
            amount=5,
            payee_reference="SUP-1001",
            cost_centre="RAD",
        )
    BookingArrangement.objects.create(booking=attended, taxi_preapproved=True, notes="From home")
    PrepaidCost.objects.create(booking=attended, description="Train ticket", amount=Decimal("12.00"))
    PayeeReference.objects.create(organisation=world.university, volunteer=profile, reference="SUP-1001")
    # Feedback: their answer about the attended session, a follow-up it raised, and a lead's note on it.
    VolunteerFeedback.objects.create(
        booking=attended,
        how_it_went="hard",
        felt_prepared="yes",
        felt_supported="partly",
        to_change="More breaks",
        wants_contact=True,
        answered_at=timezone.now(),
    )
    follow_up = WellbeingFollowUp.objects.create(
        volunteer=profile, network=world.charity, booking=attended, source="feedback", found_it_hard=True
    )
    FollowUpNote.objects.create(follow_up=follow_up, author=world.lead, text="Called; all well.")
    # Emails to them, and one to their lead about them; an action of theirs in the audit trail.
    queue_notification(template_key="volunteers/application_accepted", unique_key="test:to", recipient=user)
    queue_notification(
        template_key="sessions_app/call_requested",
        unique_key="test:about",
        recipient=world.lead,
        about=user,
        context={"volunteer": MARKER, "contact": f"0700 {MARKER}"},
    )
    record_activity(actor=user, action="consent.granted", target=profile)
    return profile


def planted_value(field: models.Field[Any, Any]) -> Any:
    """The marker, shaped to fit ``field``."""
    if isinstance(field, models.JSONField):
        return {"planted": MARKER}
    if isinstance(field, models.EmailField):
        return f"{MARKER.lower()}@example.org"
    if isinstance(field, models.URLField):
        return f"https://{MARKER.lower()}.example.org/"
    text = f"{MARKER} planted"
    return text[: field.max_length] if getattr(field, "max_length", None) else text


def free_text_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The fields of ``model`` a person could have typed into, as the registry sees them."""
    codes = data_rights.code_fields()
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, (models.CharField, models.TextField, models.JSONField))
        and not field.choices
        and not field.primary_key
        and f"{model._meta.label}.{field.name}" not in codes
    ]


def plant(profile: VolunteerProfile) -> dict[str, int]:
    """The marker in every free-text field of every row the registry holds about ``profile``, and
    in every file those rows point to. Returns how many rows of each model were planted."""
    planted: dict[str, int] = {}
    for model, rows in data_rights.rows_about(profile):
        fields = free_text_fields(model)
        ids = list(rows.values_list("pk", flat=True))
        planted[model._meta.label] = len(ids)
        if fields and ids:
            model._base_manager.filter(pk__in=ids).update(**{field.attname: planted_value(field) for field in fields})
        for field in model._meta.concrete_fields:
            if isinstance(field, models.FileField):
                for row in model._base_manager.filter(pk__in=ids):
                    name = default_storage.save(f"receipts/{MARKER}.pdf", ContentFile(f"%PDF {MARKER}".encode()))
                    model._base_manager.filter(pk=row.pk).update(**{field.attname: name})
    return planted


def files_with_marker() -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(
        str(path.relative_to(root))
        for path in root.rglob("*")
        if path.is_file() and (MARKER in path.name or MARKER.encode() in path.read_bytes())
    )


@pytest.fixture
def planted(world: World, consent_purposes: list[ConsentPurpose]) -> VolunteerProfile:
    profile = build_history(world)
    counts = plant(profile)
    assert [label for label, count in sorted(counts.items()) if count == 0] == [], "the history misses a model"
    return profile


def test_the_marker_is_planted_in_every_app_before_erasure(planted: VolunteerProfile) -> None:
    leaks = marker_leaks(MARKER)

    apps_planted = {leak.split(".", 1)[0] for leak in leaks}
    assert {"accounts", "account", "mfa", "involvement", "volunteers", "sessions_app", "expenses", "feedback"} <= (
        apps_planted
    )
    assert files_with_marker() == [f"receipts/{MARKER}.pdf"]


def test_erasure_leaves_the_marker_nowhere(
    world: World, planted: VolunteerProfile, django_capture_on_commit_callbacks: Any
) -> None:
    # Files are removed once the erasure has committed, so a failure half-way loses nothing.
    with django_capture_on_commit_callbacks(execute=True):
        erase_volunteer(profile=planted, actor=world.lead)

    assert marker_leaks(MARKER) == []
    assert files_with_marker() == []


def test_erasure_keeps_the_rows_that_count_involvement(world: World, planted: VolunteerProfile) -> None:
    erase_volunteer(profile=planted, actor=world.lead)

    assert sorted(Booking.objects.filter(volunteer=planted).values_list("status", flat=True)) == [
        "attended",
        "cancelled",
        "cancelled",
    ]
    assert NetworkMembership.objects.filter(volunteer=planted).count() == 1
    claim = Claim.objects.get(volunteer=planted)
    assert (claim.status, sorted(claim.payments.values_list("kind", "amount"))) == (
        Claim.Status.PAID,
        [("expenses", Decimal("5.00")), ("fee", Decimal("5.00"))],
    )
    assert (CalendarFeed.objects.filter(volunteer=planted).count(), Receipt.objects.filter(claim=claim).count()) == (
        0,
        0,
    )


def test_erasure_tells_the_coordinator_a_place_is_free_without_naming_anyone(
    world: World, planted: VolunteerProfile
) -> None:
    erase_volunteer(profile=planted, actor=world.lead)

    [freed] = Notification.objects.filter(template_key="sessions_app/place_freed")
    assert (freed.recipient, freed.about, freed.status) == (world.coordinator, None, Notification.Status.PENDING)
    assert MARKER not in json.dumps(freed.context)


def test_erasure_stops_emails_about_them(world: World, planted: VolunteerProfile) -> None:
    erase_volunteer(profile=planted, actor=world.lead)

    about = Notification.objects.get(unique_key="test:about")
    assert (about.status, about.context) == (Notification.Status.FAILED, {})


def test_download_holds_every_section_of_every_app(world: World, consent_purposes: list[ConsentPurpose]) -> None:
    profile = build_history(world)

    data = export_my_data(profile=profile, actor=profile.user)

    assert list(data) == [
        "generated_at",
        "account",
        "profile",
        "experience",
        "adjustments",
        "networks",
        "weekly_availability",
        "time_away",
        "consents",
        "emails",
        "activity",
        "sessions",
        "calendar",
        *[section.key for provider in data_rights.providers()[2:] for section in provider.sections],
    ]
    json.dumps(data)
    assert [(row["status"], row["cancel_reason"]) for row in data["sessions"]] == [
        ("Cancelled", ""),
        ("Accepted", ""),
        ("Attended", ""),
    ]
    assert data["sessions"][2]["check_in"]["answer"] == "I'd like a call"


def test_readable_page_shows_every_section(world: World, consent_purposes: list[ConsentPurpose]) -> None:
    profile = build_history(world)

    response = signed_in(profile.user).get("/me/data/")

    page = response.content.decode()
    assert response.status_code == 200
    for provider in data_rights.providers():
        for section in provider.sections:
            assert f'id="data-{section.key}"' in page
    assert response["Cache-Control"].startswith("max-age=0")


def test_erasure_refused_while_money_is_owed(world: World, consent_purposes: list[ConsentPurpose]) -> None:
    profile = build_history(world)
    waiting = ClaimFactory(
        booking=attended_booking(world.university, world.coordinator, profile, days_ago=8),
        status=Claim.Status.APPROVED,
    )

    from volunteers.services import VolunteerError

    with pytest.raises(VolunteerError) as error:
        erase_volunteer(profile=profile, actor=world.lead)

    assert waiting.reference in str(error.value)
    profile.refresh_from_db()
    assert profile.erased_at is None


def test_a_signed_in_browser_is_signed_out(world: World, planted: VolunteerProfile) -> None:
    browser = Client()
    browser.force_login(User.objects.get(pk=planted.user_id))

    erase_volunteer(profile=planted, actor=world.lead)

    assert browser.get("/me/").status_code == 302
