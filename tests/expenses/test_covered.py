"""What is covered, said before a volunteer accepts: the fee for the session by the rate card in
force and their payment preference, the mileage rates, receipts, what the university prepaid and
the claim window, on the invitation email, the invitation page and the session pages."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from expenses.models import BookingArrangement, PrepaidCost
from involvement.models import Notification
from sessions_app.clock import london_datetime
from sessions_app.covered import what_is_covered
from sessions_app.models import Booking, TeachingSession
from tests import factories
from tests.accounts.test_views import find, texts
from tests.conftest import World, signed_in
from tests.expenses.factories import rate_card_for
from tests.sessions_app.factories import BookingFactory, invite_free, session_at
from volunteers.models import VolunteerProfile

Preference = VolunteerProfile.PaymentPreference
NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
SITE = "http://127.0.0.1:8000"
BENEFITS = ["How a fee can affect your benefits", f"{SITE}/money/fees-and-benefits/"]
MILEAGE = (
    "Travel by car or van is paid at 45p a mile (25p after 10,000 miles in a tax year), by motorcycle at 24p and "
    "by bicycle at 20p a mile; food and drink up to £15.00."
)
RECEIPTS = (
    "Please keep receipts for public transport, taxi (agreed in advance), parking, replacement carer or childcare, "
    "support worker and other: they are needed to claim."
)
WINDOW = "Claim within 3 months of the session, by Tuesday 16 June 2026."
PLAIN_FEE = "The fee for this session is £50.00 (£25.00 an hour for 2 hours), and your expenses are paid."


@pytest.fixture(autouse=True)
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def session(world: World, kind: str = TeachingSession.Kind.TEACHING, hours: int = 2) -> TeachingSession:
    """Monday 16 March 2026, from 10:00, at University A."""
    start = london_datetime(datetime.date(2026, 3, 16), datetime.time(10))
    return session_at(
        world.university, world.coordinator, kind=kind, starts_at=start, ends_at=start + datetime.timedelta(hours=hours)
    )


def lines(response: Any) -> list[str]:
    [covered] = find(response, "ul", id="covered-list")
    return texts(covered, "li")


def texts_of(items: list[Any]) -> list[str]:
    return [item.text for item in items]


@pytest.mark.parametrize(
    ("preference", "fee_line"),
    [
        (
            Preference.FEE_AND_EXPENSES,
            "The fee for this session is £50.00 (£25.00 an hour for 2 hours), and your expenses are paid.",
        ),
        (
            Preference.REDUCED_FEE,
            "The fee for this session is £50.00 (£25.00 an hour for 2 hours). You have told us you would like a "
            "reduced fee: you choose the amount when you claim.",
        ),
        (
            Preference.FEE_DONATED,
            "The fee for this session is £50.00 (£25.00 an hour for 2 hours). You have told us you donate your fee "
            "to your charity; we will pay your expenses.",
        ),
        (
            Preference.EXPENSES_ONLY,
            "You have told us you would rather not take a fee, so we will pay your expenses only. The fee for this "
            "session would be £50.00 (£25.00 an hour for 2 hours); you can change your mind when you claim.",
        ),
        (
            Preference.NOTHING,
            "You have told us you do not want to be paid. If you change your mind, you can claim your expenses, and "
            "the fee of £50.00 (£25.00 an hour for 2 hours), after the session.",
        ),
    ],
)
def test_the_fee_is_said_by_the_volunteers_own_preference(world: World, preference: str, fee_line: str) -> None:
    rate_card_for(world.university)
    profile = VolunteerProfile.objects.get(user=world.volunteer)
    profile.payment_preference = preference

    items = what_is_covered(session(world), for_volunteer=profile)

    assert texts_of(items) == [fee_line, MILEAGE, RECEIPTS, WINDOW, "How a fee can affect your benefits"]
    assert items[-1].url == BENEFITS[1]


def test_a_fee_per_session_is_said_as_such(world: World) -> None:
    rate_card_for(world.university)

    items = what_is_covered(session(world, kind=TeachingSession.Kind.ASSESSMENT, hours=3))

    assert items[0].text == "The fee for this session is £75.00 (for the session), and your expenses are paid."


def test_without_a_rate_card_the_coordinator_is_the_one_to_ask(world: World) -> None:
    assert texts_of(what_is_covered(session(world))) == [
        "University A has not set its rates yet; the coordinator can tell you what is paid.",
        WINDOW,
        "How a fee can affect your benefits",
    ]


def test_a_kind_without_a_fee_says_so(world: World) -> None:
    rate_card_for(world.university)

    items = what_is_covered(session(world, kind=TeachingSession.Kind.REVIEW))

    assert items[0].text == "There is no fee for this kind of session. Your expenses are paid."


def test_what_the_university_prepaid_and_a_taxi_agreed_are_said(world: World) -> None:
    rate_card_for(world.university)
    booking = BookingFactory(session=session(world), volunteer=VolunteerProfile.objects.get(user=world.volunteer))
    BookingArrangement.objects.create(booking=booking, taxi_preapproved=True)
    PrepaidCost.objects.create(booking=booking, description="Train ticket", amount=Decimal("23.40"))

    items = texts_of(what_is_covered(booking.session, booking))

    assert items[3:5] == [
        "A taxi is agreed in advance for you: keep the receipt and claim it.",
        "University A has already paid for: Train ticket (£23.40). Please do not claim it.",
    ]


def test_the_invitation_email_says_what_is_covered(world: World) -> None:
    rate_card_for(world.university)
    profile = VolunteerProfile.objects.get(user=world.volunteer)
    profile.payment_preference = Preference.EXPENSES_ONLY
    profile.save()
    target = session(world)

    [booking] = invite_free(session=target, volunteers=[profile], actor=world.coordinator)

    [email] = Notification.objects.filter(template_key="sessions_app/invitation")
    assert email.context["covered"][0] == [
        "You have told us you would rather not take a fee, so we will pay your expenses only. The fee for this "
        "session would be £50.00 (£25.00 an hour for 2 hours); you can change your mind when you claim.",
        "",
    ]
    assert email.context["covered"][-1] == BENEFITS
    assert booking.status == Booking.Status.INVITED


def test_the_invitation_page_shows_the_preference_only_to_the_volunteer(world: World) -> None:
    from sessions_app.services import invitation_token

    rate_card_for(world.university)
    profile = VolunteerProfile.objects.get(user=world.volunteer)
    profile.payment_preference = Preference.EXPENSES_ONLY
    profile.save()
    booking = BookingFactory(session=session(world), volunteer=profile)
    url = f"/invitation/{invitation_token(booking)}/"

    theirs = signed_in(world.volunteer).get(url)
    anyone = signed_in(factories.UserFactory()).get(url)

    assert lines(theirs)[0].startswith("You have told us you would rather not take a fee")
    assert (
        lines(anyone)[0]
        == "The fee for this session is £50.00 (£25.00 an hour for 2 hours), and your expenses are paid."
    )


def test_the_coordinators_session_page_says_what_is_covered(world: World) -> None:
    rate_card_for(world.university)
    target = session(world)

    response = signed_in(world.coordinator).get(f"/sessions/{target.pk}/")

    assert lines(response) == [
        PLAIN_FEE,
        MILEAGE,
        RECEIPTS,
        WINDOW,
        "How a fee can affect your benefits",
    ]


def test_fees_and_benefits_page_is_public(client: Any) -> None:
    response = client.get("/money/fees-and-benefits/")

    assert response.status_code == 200
