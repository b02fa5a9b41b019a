"""The large data set (``manage.py seed_scale``, accounts/scale.py and each app's scale.py)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F, Q

from accounts.models import Organisation, Partnership, User
from expenses.models import Claim, Payment, RunLine
from feedback.models import StudentResponse, VolunteerFeedback
from involvement.models import ActivityLog, Notification
from sessions_app.models import Booking, TeachingSession
from sessions_app.selectors import coordinator_sessions, own_bookings
from tests.conftest import signed_in
from volunteers.models import NetworkMembership, VolunteerProfile
from volunteers.selectors import NetworkFilters, network_memberships

VOLUNTEERS = 200  # a fiftieth of the default 10,000


def model_counts() -> dict[str, int]:
    return {
        "volunteers": VolunteerProfile.objects.count(),
        "sessions": TeachingSession.objects.count(),
        "bookings": Booking.objects.count(),
        "claims": Claim.objects.count(),
        "answers": VolunteerFeedback.objects.filter(answered_at__isnull=False).count()
        + StudentResponse.objects.count(),
        "notifications": Notification.objects.count(),
        "activity": ActivityLog.objects.count(),
    }


@pytest.fixture
def scaled(db: None, settings: object) -> tuple[dict[str, int], dict[str, int]]:
    """The demo, then the scale data of 200 volunteers on top: the counts before and after."""
    settings.DEBUG = True  # type: ignore[attr-defined]
    call_command("seed_demo", stdout=io.StringIO())
    before = model_counts()
    call_command("seed_scale", volunteers=VOLUNTEERS, stdout=io.StringIO())
    return before, model_counts()


def test_seed_scale_adds_counts_in_proportion_to_the_volunteers(scaled):
    before, after = scaled
    added = {name: after[name] - before[name] for name in after}

    # At the default size: 10,000 volunteers, 5,000 sessions, 100,000 bookings, 40,000 claims,
    # 30,000 feedback answers; here a fiftieth of each. Bookings and claims come from random
    # draws, so they are near their targets rather than on them.
    assert added["volunteers"] == 200
    assert added["sessions"] == 100
    assert 1_600 <= added["bookings"] <= 2_000
    assert 650 <= added["claims"] <= 800
    assert 400 <= added["answers"] <= 800
    assert added["notifications"] > added["bookings"]
    assert added["activity"] > added["bookings"]
    assert Organisation.objects.filter(kind=Organisation.Kind.UNIVERSITY).count() == 4
    assert Organisation.objects.filter(kind=Organisation.Kind.CHARITY).count() == 4


def test_seed_scale_keeps_the_booking_and_payment_rules(scaled):
    holding = [Booking.Status.ACCEPTED, Booking.Status.ATTENDED]
    over_places = TeachingSession.objects.annotate(
        holding=Count("bookings", filter=Q(bookings__status__in=holding))
    ).filter(holding__gt=F("places"))
    two_a_day = (
        Booking.objects.filter(status__in=holding)
        .values("volunteer", "session__starts_at__date")
        .annotate(count=Count("pk"))
        .filter(count__gt=1)
    )
    paid_without_payment = Claim.objects.filter(status=Claim.Status.PAID, payments__isnull=True)
    partners: dict[int, set[int]] = {}
    for university_id, network_id in Partnership.objects.values_list("university_id", "network_id"):
        partners.setdefault(university_id, set()).add(network_id)
    networks: dict[int, set[int]] = {}
    for volunteer_id, network_id in NetworkMembership.objects.values_list("volunteer_id", "network_id"):
        networks.setdefault(volunteer_id, set()).add(network_id)
    unpartnered = [
        pk
        for pk, volunteer_id, university_id in Booking.objects.values_list(
            "pk", "volunteer_id", "session__module__programme__university_id"
        )
        if not networks[volunteer_id] & partners[university_id]
    ]

    assert list(over_places) == []
    assert list(two_a_day) == []
    assert list(paid_without_payment) == []
    assert Payment.objects.count() == RunLine.objects.filter(run__status="completed").count()
    assert unpartnered == []


def test_seed_scale_data_is_seen_by_the_demo_accounts(scaled):
    coordinator = User.objects.get(email="coordinator@example.org")
    lead = User.objects.get(email="lead@example.org")
    finance = User.objects.get(email="finance@example.org")
    volunteer = VolunteerProfile.objects.get(user__email="volunteer@example.org")
    northbridge = Organisation.objects.get(slug="northbridge")
    network = Organisation.objects.get(slug="breast-cancer-voices")

    assert coordinator_sessions(coordinator).count() > 30
    assert network_memberships(network, NetworkFilters()).count() > 60
    assert own_bookings(volunteer).count() >= 12 + 5
    assert Claim.objects.for_university([northbridge.pk]).count() > 100
    assert Partnership.objects.filter(university=northbridge).count() == 3
    response = signed_in(finance).get("/claims/")
    assert response.status_code == 200
    response = signed_in(lead).get(f"/networks/{network.slug}/volunteers/")
    assert (
        response.context["page_obj"].paginator.count
        == NetworkMembership.objects.filter(network=network, volunteer__erased_at__isnull=True).count()
    )


def test_seed_scale_runs_once_and_refuses_production(scaled, settings):
    output = io.StringIO()
    call_command("seed_scale", volunteers=VOLUNTEERS, stdout=output)
    settings.DEBUG = False

    assert output.getvalue() == "The scale data is already there; nothing to do.\n"
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("seed_scale", volunteers=VOLUNTEERS)
