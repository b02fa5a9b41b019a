"""The support admin never shows the free text in which volunteers tell of their health and
lives: markers planted in every such field appear on no admin page (every model's list, and the
change page of every object), while the records themselves stay reachable."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from accounts.models import User
from expenses.models import BookingArrangement
from sessions_app.models import Booking
from tests import factories
from tests.conftest import World
from tests.expenses.factories import ClaimItemFactory
from tests.sessions_app.factories import BookingFactory
from volunteers.models import NetworkMembership, TimeAway, VolunteerProfile

MARKER = "ADMIN-MARKER-7731"


@pytest.fixture
def planted(world: World) -> dict[str, Any]:
    """One volunteer whose every free-text field, and whose application, booking, claim item and
    arrangement notes, hold the marker."""
    profile = factories.VolunteerProfileFactory(
        user=factories.UserFactory(name="Zoë Marker"),
        biography=f"Biography {MARKER}: after my diagnosis",
        topics_to_avoid=f"Topics {MARKER}",
        support_contact_name=f"Contact {MARKER}",
        support_contact_details=f"07700 900 {MARKER}",
        payment_preference_reason=f"Benefits {MARKER}",
        other_adjustments=f"Adjustments {MARKER}",
        dietary_needs=f"Diet {MARKER}",
        interpreter_language=f"Language {MARKER}",
    )
    membership = factories.NetworkMembershipFactory(
        volunteer=profile,
        network=world.charity,
        statement=f"Statement {MARKER}: I was treated for cancer",
        decision_message=f"Decision {MARKER}",
    )
    TimeAway.objects.create(volunteer=profile, starts_on="2026-05-01", ends_on="2026-05-08", note=f"Hospital {MARKER}")
    booking = BookingFactory(volunteer=profile, status=Booking.Status.CANCELLED, cancel_reason=f"Cancelled {MARKER}")
    item = ClaimItemFactory(claim__booking=BookingFactory(volunteer=profile, status=Booking.Status.ATTENDED))
    item.note = f"Note {MARKER}"
    item.save(update_fields=["note"])
    BookingArrangement.objects.create(booking=booking, notes=f"Arranged {MARKER}")
    return {"profile": profile, "membership": membership, "booking": booking, "item": item}


@pytest.fixture
def support(db: None) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser(email="support@example.org", password="a-long-support-pw-1"))
    return client


def admin_pages() -> list[str]:
    """Every registered model's list page and the change page of each of its objects."""
    pages = []
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        for pk in model_admin.get_queryset(None).values_list("pk", flat=True)[:50]:  # type: ignore[arg-type]
            pages.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[pk]))
    return pages


def test_no_admin_page_shows_health_revealing_free_text(planted: dict[str, Any], support: Client) -> None:
    pages = admin_pages()
    leaks = []
    for url in pages:
        response = support.get(url)
        assert response.status_code == 200, url
        if MARKER in response.content.decode():
            leaks.append(url)

    assert len(pages) > 60
    assert leaks == []


@pytest.mark.parametrize(
    ("model", "key"),
    [(VolunteerProfile, "profile"), (NetworkMembership, "membership"), (Booking, "booking")],
    ids=["profile", "membership", "booking"],
)
def test_support_staff_still_reach_the_record(planted: dict[str, Any], support: Client, model: Any, key: str) -> None:
    meta = model._meta
    response = support.get(reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[planted[key].pk]))

    assert response.status_code == 200
    assert "Zoë Marker" in response.content.decode()


def test_a_change_saved_in_the_admin_keeps_the_hidden_text(planted: dict[str, Any], support: Client) -> None:
    membership = planted["membership"]
    url = reverse("admin:volunteers_networkmembership_change", args=[membership.pk])

    response = support.post(url, {"heard_about": "charity", "paused_until": ""})

    membership.refresh_from_db()
    assert response.status_code == 302
    assert (membership.statement, membership.heard_about) == (
        f"Statement {MARKER}: I was treated for cancer",
        "charity",
    )
