"""expenses.services for claims: opening, items, the fee, totals and the claim state machine.

Every refusal is a ClaimError with the exact message the volunteer or the approver reads, and
leaves the database as it was.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Membership, User
from expenses import services
from expenses.models import BookingArrangement, Claim, ClaimItem, PrepaidCost, RateCard, Receipt
from expenses.rates import claim_deadline
from expenses.selectors import claim_totals
from expenses.services import ClaimError
from involvement.models import ActivityLog, Notification
from sessions_app.models import Booking, TeachingSession
from tests import factories
from tests.conftest import World
from tests.expenses.factories import attended_on, rate_card_for
from volunteers.models import VolunteerProfile

D = Decimal
UTC = datetime.UTC
Status = Claim.Status
Kind = ClaimItem.Kind
FeeChoice = Claim.FeeChoice
# The session: Wednesday 1 October 2025, 10:00–12:00 UK time (09:00–11:00 UTC).
SESSION_DAY = datetime.date(2025, 10, 1)
# A week later, mid-morning.
NOW = datetime.datetime(2025, 10, 8, 9, 30, tzinfo=UTC)
PDF = factories.RECEIPT_PDF  # well-formed: receipts are parsed (expenses.receipts)

NOT_ATTENDED = "A claim can only be made for a session the volunteer attended."
ALREADY = "There is already a claim for this session."
NOT_YOURS_TO_OPEN = "Only the volunteer, or a coordinator or finance officer of the university, can open this claim."
NOT_YOURS_TO_CHANGE = "Only the volunteer, or staff entering a paper claim, can change this claim."
OWN_CLAIM = "You cannot decide on your own claim."
NOT_AN_APPROVER = "Only coordinators and finance officers of the university can decide on claims."
TWO_DECIMALS = "Please give the amount in pounds and pence, with at most two decimal places."
NOT_POSITIVE = "The amount must be more than £0.00."
TAXI = "A taxi can only be claimed when the university agreed it before the session. Please ask the coordinator."
FOOD_CAP = "Food and drink can be claimed up to £15.00 for a session."
DATE_FAR = "The date should be the day of the session, or within a week of it."
NOTHING_TO_PAY = "There is nothing to pay on this claim yet: add an expense, or take the fee."
REASON = "Please give the reason: the volunteer will read it."
WHAT_TO_CHANGE = "Please say what needs changing: the volunteer will read it."
REDUCED = "Please give the reduced amount in pounds and pence, more than £0.00."


@pytest.fixture(autouse=True)
def frozen() -> Iterator[time_machine.Traveller]:
    """Time stands still at NOW unless a test moves it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def card(world: World) -> RateCard:
    return rate_card_for(world.university)


@pytest.fixture
def profile(world: World) -> VolunteerProfile:
    return world.volunteer.volunteer_profile


@pytest.fixture
def booking(world: World, card: RateCard, profile: VolunteerProfile) -> Booking:
    return attended_on(world.university, world.coordinator, profile, SESSION_DAY)


@pytest.fixture
def claim(world: World, booking: Booking) -> Claim:
    return services.open_claim(booking=booking, actor=world.volunteer)


def receipt() -> SimpleUploadedFile:
    return SimpleUploadedFile("ticket.pdf", PDF, content_type="application/pdf")


def add(
    world: World, claim: Claim, kind: str = Kind.HOME_ONLINE, *, actor: User | None = None, **fields: Any
) -> ClaimItem:
    fields.setdefault("date", SESSION_DAY)
    if kind != Kind.MILEAGE:
        fields.setdefault("amount", D("6.50"))
    return services.add_item(claim=claim, actor=actor or world.volunteer, kind=kind, **fields)


def submitted(world: World, claim: Claim) -> Claim:
    add(world, claim)
    return services.submit_claim(claim=claim, actor=world.volunteer)


def in_state(world: World, claim: Claim, status: str) -> Claim:
    """The claim moved, through the services, to ``status``."""
    if status == Status.DRAFT:
        return claim
    claim = submitted(world, claim)
    if status == Status.SUBMITTED:
        return claim
    if status == Status.RETURNED:
        return services.return_claim(claim=claim, actor=world.coordinator, note="Please add the parking receipt.")
    if status == Status.REJECTED:
        return services.reject_claim(claim=claim, actor=world.coordinator, reason="This session was not paid.")
    claim = services.approve_claim(claim=claim, actor=world.coordinator)
    if status == Status.PAID:
        services._set_status(claim, Status.PAID, actor=None, paid_at=datetime.datetime.now(tz=UTC))
    return claim


def snapshot(claim: Claim) -> dict[str, Any]:
    """Everything a refused change must leave alone."""
    fresh = Claim.objects.get(pk=claim.pk)
    return {
        "claim": {field.attname: getattr(fresh, field.attname) for field in Claim._meta.concrete_fields},
        "items": list(ClaimItem.objects.filter(claim=claim).values()),
        "receipts": list(Receipt.objects.filter(claim=claim).values("pk", "file")),
        "activity": ActivityLog.objects.count(),
        "notifications": Notification.objects.count(),
    }


def actions(claim: Claim) -> list[tuple[str, int | None]]:
    rows = ActivityLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Claim), object_id=str(claim.pk)
    ).order_by("created_at", "pk")
    return [(row.action, row.actor_id) for row in rows]


def refused(call: Any, message: str, watched: Claim | None = None, /, **kwargs: Any) -> None:
    """``call(**kwargs)`` raises ClaimError(``message``) and changes nothing about ``watched``."""
    before = snapshot(watched) if watched is not None else None
    with pytest.raises(ClaimError) as error:
        call(**kwargs)
    assert str(error.value) == message
    if watched is not None:
        assert snapshot(watched) == before


# The form field each refusal belongs to ------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "nonsense"}, "kind"),
        ({"kind": Kind.TAXI}, "kind"),
        ({"date": SESSION_DAY + datetime.timedelta(days=8)}, "date"),
        ({"amount": D("-1")}, "amount"),
        ({"amount": D("1.234")}, "amount"),
        ({"amount": None}, "amount"),
        ({"kind": Kind.PARKING}, "receipt"),
        ({"kind": Kind.MILEAGE, "miles": None, "vehicle": "car"}, "miles"),
        ({"kind": Kind.MILEAGE, "miles": D("5"), "vehicle": ""}, "vehicle"),
        ({"kind": Kind.MILEAGE, "miles": D("5"), "vehicle": "car", "from_postcode": "LS1 4DY"}, "to_postcode"),
        ({"kind": Kind.MILEAGE, "miles": D("5"), "vehicle": "car", "to_postcode": "LS1 4DY"}, "from_postcode"),
    ],
)
def test_add_item_refusals_name_their_field(world, claim, fields, field):
    fields = {"kind": Kind.HOME_ONLINE, "date": SESSION_DAY, "amount": D("6.50"), **fields}

    with pytest.raises(ClaimError) as error:
        services.add_item(claim=claim, actor=world.volunteer, **fields)

    assert error.value.field == field


def test_other_refusals_name_their_field_or_none(world, claim, booking):
    def field_of(call, **kwargs):
        with pytest.raises(ClaimError) as error:
            call(**kwargs)
        return error.value.field

    assert [
        field_of(services.set_fee_choice, claim=claim, actor=world.volunteer, choice="nonsense"),
        field_of(services.set_fee_choice, claim=claim, actor=world.volunteer, choice="reduced", reduced_amount=D("99")),
        field_of(services.add_item, claim=claim, actor=world.outsider, kind=Kind.HOME_ONLINE, date=SESSION_DAY),
        field_of(services.reject_claim, claim=claim, actor=world.finance, reason=" "),
        field_of(services.return_claim, claim=claim, actor=world.finance, note=""),
        field_of(services.approve_claim, claim=claim, actor=world.finance),
        field_of(services.add_prepaid_cost, booking=booking, actor=world.coordinator, description="", amount=D("1")),
        field_of(
            services.add_prepaid_cost, booking=booking, actor=world.coordinator, description="Taxi", amount=D("0")
        ),
    ] == ["choice", "reduced_amount", None, "reason", "note", None, "description", "amount"]


# open_claim ----------------------------------------------------------------------------------------


def test_open_claim_by_the_volunteer_takes_the_fee_from_the_card(world, booking, profile):
    claim = services.open_claim(booking=booking, actor=world.volunteer)

    claim.refresh_from_db()
    assert (claim.booking, claim.volunteer, claim.status, claim.opened_by, claim.on_behalf) == (
        booking,
        profile,
        Status.DRAFT,
        world.volunteer,
        False,
    )
    assert (claim.fee_due, claim.fee_choice, claim.fee_requested) == (D("50.00"), FeeChoice.TAKE, D("50.00"))
    assert (claim.submitted_at, claim.decided_at, claim.paid_at) == (None, None, None)
    assert actions(claim) == [("claim.opened", world.volunteer.pk)]
    assert ActivityLog.objects.get(action="claim.opened").organisation == world.university


@pytest.mark.parametrize(
    "status",
    [Booking.Status.INVITED, Booking.Status.ACCEPTED, Booking.Status.CANCELLED, Booking.Status.NO_SHOW],
)
def test_open_claim_refuses_a_session_not_attended(world, booking, status):
    Booking.objects.filter(pk=booking.pk).update(status=status)

    refused(services.open_claim, NOT_ATTENDED, booking=booking, actor=world.volunteer)
    assert Claim.objects.count() == 0


def test_open_claim_is_open_until_the_end_of_the_window(world, booking, frozen):
    frozen.move_to(datetime.datetime(2026, 1, 1, 23, 59, tzinfo=UTC))  # 3 months after 1 October

    claim = services.open_claim(booking=booking, actor=world.volunteer)

    assert claim.status == Status.DRAFT


def test_open_claim_refuses_after_the_window(world, booking, frozen):
    frozen.move_to(datetime.datetime(2026, 1, 2, 0, 1, tzinfo=UTC))

    refused(
        services.open_claim,
        "Claims for this session had to be made by Thursday 1 January 2026. Please contact the coordinator.",
        booking=booking,
        actor=world.volunteer,
    )
    assert Claim.objects.count() == 0


def test_open_claim_window_comes_from_the_card(world, profile, frozen):
    rate_card_for(world.university, claim_window_months=1)
    booking = attended_on(world.university, world.coordinator, profile, datetime.date(2025, 12, 31))
    frozen.move_to(datetime.datetime(2026, 2, 1, 9, 0, tzinfo=UTC))

    refused(
        services.open_claim,
        "Claims for this session had to be made by Saturday 31 January 2026. Please contact the coordinator.",
        booking=booking,
        actor=world.coordinator,
    )
    assert Claim.objects.count() == 0


def test_open_claim_window_closed_for_staff_too(world, booking, frozen):
    frozen.move_to(datetime.datetime(2026, 3, 1, 9, 0, tzinfo=UTC))

    refused(
        services.open_claim,
        "Claims for this session had to be made by Thursday 1 January 2026. Please contact the coordinator.",
        booking=booking,
        actor=world.coordinator,
    )


@pytest.mark.parametrize("second", ["volunteer", "coordinator"])
def test_open_claim_once_per_booking(world, booking, second):
    first = services.open_claim(booking=booking, actor=world.volunteer)

    refused(services.open_claim, ALREADY, first, booking=booking, actor=getattr(world, second))
    assert Claim.objects.count() == 1


@pytest.mark.parametrize("staff", ["coordinator", "finance"])
def test_open_claim_on_behalf_is_recorded_as_such(world, booking, staff):
    actor = getattr(world, staff)

    claim = services.open_claim(booking=booking, actor=actor)

    claim.refresh_from_db()
    assert (claim.opened_by, claim.on_behalf, claim.volunteer) == (actor, True, booking.volunteer)
    assert (claim.fee_due, claim.fee_requested) == (D("50.00"), D("50.00"))
    assert actions(claim) == [("claim.opened_on_behalf", actor.pk)]


@pytest.mark.parametrize("who", ["other_coordinator", "other_finance", "lead", "admin", "outsider"])
def test_open_claim_refuses_anyone_else(world, booking, who):
    refused(services.open_claim, NOT_YOURS_TO_OPEN, booking=booking, actor=getattr(world, who))
    assert Claim.objects.count() == 0
    assert ActivityLog.objects.count() == 0


def test_open_claim_refuses_another_volunteer(world, booking):
    someone = factories.VolunteerProfileFactory().user

    refused(services.open_claim, NOT_YOURS_TO_OPEN, booking=booking, actor=someone)
    assert Claim.objects.count() == 0


@pytest.mark.parametrize(
    ("preference", "choice", "requested"),
    [
        (VolunteerProfile.PaymentPreference.FEE_AND_EXPENSES, FeeChoice.TAKE, D("50.00")),
        (VolunteerProfile.PaymentPreference.REDUCED_FEE, FeeChoice.REDUCED, D("0.00")),
        (VolunteerProfile.PaymentPreference.FEE_DONATED, FeeChoice.DONATE, D("0.00")),
        (VolunteerProfile.PaymentPreference.EXPENSES_ONLY, FeeChoice.DECLINE, D("0.00")),
        (VolunteerProfile.PaymentPreference.NOTHING, FeeChoice.DECLINE, D("0.00")),
    ],
)
def test_open_claim_fee_choice_defaults_from_the_payment_preference(
    world, booking, profile, preference, choice, requested
):
    VolunteerProfile.objects.filter(pk=profile.pk).update(payment_preference=preference)

    claim = services.open_claim(booking=booking, actor=world.volunteer)

    claim.refresh_from_db()
    assert (claim.fee_due, claim.fee_choice, claim.fee_requested) == (D("50.00"), choice, requested)


def test_open_claim_fee_per_session_and_for_a_kind_without_a_fee(world, card, profile):
    assessment = attended_on(
        world.university, world.coordinator, profile, SESSION_DAY, kind=TeachingSession.Kind.ASSESSMENT
    )
    curriculum = attended_on(
        world.university, world.coordinator, profile, SESSION_DAY, kind=TeachingSession.Kind.CURRICULUM
    )

    assert services.open_claim(booking=assessment, actor=world.volunteer).fee_due == D("75.00")
    assert services.open_claim(booking=curriculum, actor=world.volunteer).fee_due == D("0.00")


def test_open_claim_without_a_rate_card_has_no_fee_and_the_default_window(world, profile, frozen):
    booking = attended_on(world.university, world.coordinator, profile, SESSION_DAY)

    claim = services.open_claim(booking=booking, actor=world.volunteer)

    assert (claim.fee_due, claim.fee_requested) == (D("0.00"), D("0.00"))
    assert claim_deadline(booking, None) == datetime.date(2026, 1, 1)


# add_item ------------------------------------------------------------------------------------------


def test_add_item_saves_a_typed_amount(world, claim):
    item = add(world, claim, Kind.HOME_ONLINE, amount=D("12.40"), note="  Mobile data for the call  ")

    item.refresh_from_db()
    assert (item.claim, item.kind, item.date, item.amount, item.note) == (
        claim,
        Kind.HOME_ONLINE,
        SESSION_DAY,
        D("12.40"),
        "Mobile data for the call",
    )
    assert (item.miles, item.vehicle, item.from_postcode, item.to_postcode, item.receipt) == (None, "", "", "", None)
    assert actions(claim)[-1] == ("claim.item_added", world.volunteer.pk)
    assert ActivityLog.objects.get(action="claim.item_added").data == {"kind": "home_online", "amount": "12.40"}


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-5.00", NOT_POSITIVE),
        ("-0.01", NOT_POSITIVE),
        ("0", NOT_POSITIVE),
        ("0.00", NOT_POSITIVE),
        ("12.345", TWO_DECIMALS),
        ("0.001", TWO_DECIMALS),
        ("-1.999", TWO_DECIMALS),
        ("500.01", "£500.01 is more than the £500.00 a single item may be. Please check it."),
        ("99999999.99", "£99999999.99 is more than the £500.00 a single item may be. Please check it."),
    ],
)
def test_add_item_refuses_a_bad_amount(world, claim, amount, message):
    refused(add, message, claim, world=world, claim=claim, kind=Kind.HOME_ONLINE, amount=D(amount))


def test_add_item_accepts_the_ceiling_and_a_penny(world, claim):
    assert add(world, claim, amount=D("500.00")).amount == D("500.00")
    assert add(world, claim, amount=D("0.01")).amount == D("0.01")


def test_add_item_ceiling_comes_from_the_card(world, claim, card):
    RateCard.objects.filter(pk=card.pk).update(item_ceiling=D("100.00"))

    refused(
        add,
        "£100.01 is more than the £100.00 a single item may be. Please check it.",
        claim,
        world=world,
        claim=claim,
        amount=D("100.01"),
    )


def test_add_item_needs_an_amount_for_typed_kinds(world, claim):
    refused(
        services.add_item,
        "Please give the amount.",
        claim,
        claim=claim,
        actor=world.volunteer,
        kind=Kind.PARKING,
        date=SESSION_DAY,
        receipt_file=receipt(),
    )


def test_add_item_refuses_an_unknown_kind(world, claim):
    refused(add, "Please choose what the expense was for.", claim, world=world, claim=claim, kind="holiday")


def test_add_item_taxi_without_preapproval_is_refused(world, claim):
    refused(add, TAXI, claim, world=world, claim=claim, kind=Kind.TAXI, receipt_file=receipt())


def test_add_item_taxi_with_an_arrangement_but_not_preapproved_is_refused(world, claim, booking):
    services.set_taxi_preapproval(booking=booking, actor=world.coordinator, approved=False)

    refused(add, TAXI, claim, world=world, claim=claim, kind=Kind.TAXI, receipt_file=receipt())


def test_add_item_taxi_with_preapproval_and_receipt(world, claim, booking):
    arrangement = services.set_taxi_preapproval(
        booking=booking, actor=world.coordinator, approved=True, notes="  Mobility scooter does not fit the bus.  "
    )

    item = add(world, claim, Kind.TAXI, amount=D("18.20"), receipt_file=receipt())

    assert (item.kind, item.amount, item.receipt.content_type) == (Kind.TAXI, D("18.20"), "application/pdf")
    assert BookingArrangement.objects.get() == arrangement
    assert (arrangement.taxi_preapproved, arrangement.notes) == (True, "Mobility scooter does not fit the bus.")
    assert ActivityLog.objects.filter(action="booking.taxi_preapproved", actor=world.coordinator).count() == 1


def test_add_item_taxi_with_preapproval_still_needs_its_receipt(world, claim, booking):
    services.set_taxi_preapproval(booking=booking, actor=world.coordinator, approved=True)

    refused(
        add,
        "Taxi (agreed in advance) needs a receipt. Please add a photo or scan of it.",
        claim,
        world=world,
        claim=claim,
        kind=Kind.TAXI,
    )


@pytest.mark.parametrize(
    ("kind", "label"),
    [
        (Kind.PUBLIC_TRANSPORT, "Public transport"),
        (Kind.PARKING, "Parking"),
        (Kind.CARER, "Replacement carer or childcare"),
        (Kind.SUPPORT_WORKER, "Support worker"),
        (Kind.OTHER, "Other"),
    ],
)
def test_add_item_refuses_a_missing_receipt_where_the_card_requires_one(world, claim, kind, label):
    refused(
        add, f"{label} needs a receipt. Please add a photo or scan of it.", claim, world=world, claim=claim, kind=kind
    )

    item = add(world, claim, kind, receipt_file=receipt())
    assert item.receipt.claim == claim


@pytest.mark.parametrize("kind", [Kind.SUBSISTENCE, Kind.HOME_ONLINE])
def test_add_item_needs_no_receipt_where_the_card_does_not_ask(world, claim, kind):
    assert add(world, claim, kind).receipt is None


def test_add_item_receipts_required_come_from_the_card(world, claim, card):
    RateCard.objects.filter(pk=card.pk).update(receipts_required_for=["home_online"])

    assert add(world, claim, Kind.PARKING).receipt is None
    refused(
        add,
        "Home or online costs needs a receipt. Please add a photo or scan of it.",
        claim,
        world=world,
        claim=claim,
        kind=Kind.HOME_ONLINE,
    )


def test_add_item_subsistence_up_to_the_cap_per_claim(world, claim):
    add(world, claim, Kind.SUBSISTENCE, amount=D("10.00"))

    refused(add, FOOD_CAP, claim, world=world, claim=claim, kind=Kind.SUBSISTENCE, amount=D("5.01"))
    add(world, claim, Kind.SUBSISTENCE, amount=D("5.00"))
    refused(add, FOOD_CAP, claim, world=world, claim=claim, kind=Kind.SUBSISTENCE, amount=D("0.01"))
    assert [item.amount for item in claim.items.all()] == [D("10.00"), D("5.00")]


def test_add_item_subsistence_over_the_cap_in_one_item(world, claim, card):
    RateCard.objects.filter(pk=card.pk).update(subsistence_cap=D("8.00"))

    refused(
        add,
        "Food and drink can be claimed up to £8.00 for a session.",
        claim,
        world=world,
        claim=claim,
        kind=Kind.SUBSISTENCE,
        amount=D("8.01"),
    )


def test_add_item_subsistence_cap_counts_only_this_claim(world, claim, profile, card):
    other = services.open_claim(
        booking=attended_on(world.university, world.coordinator, profile, SESSION_DAY), actor=world.volunteer
    )
    add(world, other, Kind.SUBSISTENCE, amount=D("15.00"))

    assert add(world, claim, Kind.SUBSISTENCE, amount=D("15.00")).amount == D("15.00")


MILEAGE = {"miles": D("12.0"), "vehicle": "car", "from_postcode": "LS1 1AA", "to_postcode": "LS2 9JT"}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"miles": None}, "Please give the number of miles, more than 0."),
        ({"miles": D("0")}, "Please give the number of miles, more than 0."),
        ({"miles": D("-3.0")}, "Please give the number of miles, more than 0."),
        ({"miles": D("1000.1")}, "That is more than 1,000 miles. Please check the number."),
        ({"miles": D("0.01")}, "Please give the miles to one decimal place at most, for example 12.5."),
        ({"miles": D("12.25")}, "Please give the miles to one decimal place at most, for example 12.5."),
        ({"vehicle": ""}, "Please choose the vehicle."),
        ({"vehicle": "horse"}, "Please choose the vehicle."),
        ({"from_postcode": ""}, "Please give the postcodes you travelled from and to."),
        ({"to_postcode": "   "}, "Please give the postcodes you travelled from and to."),
    ],
)
def test_add_item_mileage_refuses_missing_details(world, claim, changes, message):
    fields = {**MILEAGE, **changes}

    refused(add, message, claim, world=world, claim=claim, kind=Kind.MILEAGE, **fields)


def test_add_item_mileage_amount_is_computed_never_typed(world, claim):
    item = add(world, claim, Kind.MILEAGE, amount=D("99.99"), **{**MILEAGE, "from_postcode": " ls1 1aa "})

    item.refresh_from_db()
    assert (item.amount, item.miles, item.vehicle, item.from_postcode, item.to_postcode) == (
        D("5.40"),
        D("12.0"),
        "car",
        "LS1 1AA",
        "LS2 9JT",
    )
    assert item.receipt is None


def test_add_item_mileage_by_motorcycle_and_bicycle(world, claim):
    assert add(world, claim, Kind.MILEAGE, **{**MILEAGE, "vehicle": "motorcycle"}).amount == D("2.88")
    assert add(world, claim, Kind.MILEAGE, **{**MILEAGE, "vehicle": "bicycle"}).amount == D("2.40")


def test_add_item_mileage_at_a_rate_of_nothing_is_refused(world, claim, card):
    RateCard.objects.filter(pk=card.pk).update(bicycle_rate=D("0.00"))

    refused(
        add,
        "By the university's rates these miles come to £0.00, so there is nothing to claim.",
        claim,
        world=world,
        claim=claim,
        kind=Kind.MILEAGE,
        **{**MILEAGE, "vehicle": "bicycle"},
    )


def test_add_item_mileage_smallest_journey_is_worth_a_penny_or_more(world, claim):
    assert add(world, claim, Kind.MILEAGE, **{**MILEAGE, "miles": D("0.1"), "vehicle": "bicycle"}).amount == D("0.02")


def test_add_item_mileage_without_a_rate_card_is_refused(world, profile):
    RateCard.objects.all().delete()
    booking = attended_on(world.university, world.coordinator, profile, SESSION_DAY)
    claim = services.open_claim(booking=booking, actor=world.volunteer)

    refused(
        add,
        "The university has no rate card for this date yet. Please contact finance.",
        claim,
        world=world,
        claim=claim,
        kind=Kind.MILEAGE,
        **MILEAGE,
    )


@pytest.mark.parametrize("days", [-7, -1, 0, 1, 7])
def test_add_item_dates_within_a_week_of_the_session(world, claim, days):
    day = SESSION_DAY + datetime.timedelta(days=days)

    assert add(world, claim, date=day).date == day


@pytest.mark.parametrize("days", [-8, 8, 365, -400])
def test_add_item_refuses_dates_far_from_the_session(world, claim, days):
    day = SESSION_DAY + datetime.timedelta(days=days)

    refused(add, DATE_FAR, claim, world=world, claim=claim, date=day)


@pytest.mark.parametrize(
    ("status", "label"),
    [
        (Status.SUBMITTED, "submitted"),
        (Status.APPROVED, "approved"),
        (Status.REJECTED, "rejected"),
        (Status.PAID, "paid"),
    ],
)
def test_add_item_refuses_a_claim_no_longer_editable(world, claim, status, label):
    claim = in_state(world, claim, status)

    refused(add, f"This claim is {label} and can no longer be changed.", claim, world=world, claim=claim)
    refused(
        services.remove_item,
        f"This claim is {label} and can no longer be changed.",
        claim,
        item=claim.items.get(),
        actor=world.volunteer,
    )
    refused(
        services.set_fee_choice,
        f"This claim is {label} and can no longer be changed.",
        claim,
        claim=claim,
        actor=world.volunteer,
        choice=FeeChoice.DECLINE,
    )


def test_add_item_on_a_returned_claim_is_allowed(world, claim):
    claim = in_state(world, claim, Status.RETURNED)

    add(world, claim, Kind.PARKING, receipt_file=receipt())

    assert claim.items.count() == 2


@pytest.mark.parametrize("who", ["other_coordinator", "other_finance", "lead", "admin", "outsider"])
def test_add_item_refuses_anyone_but_the_volunteer_and_the_universitys_staff(world, claim, who):
    refused(add, NOT_YOURS_TO_CHANGE, claim, world=world, claim=claim, actor=getattr(world, who))


@pytest.mark.parametrize("staff", ["coordinator", "finance"])
def test_add_item_by_staff_entering_a_paper_claim(world, booking, staff):
    actor = getattr(world, staff)
    claim = services.open_claim(booking=booking, actor=actor)

    add(world, claim, actor=actor)

    assert actions(claim) == [("claim.opened_on_behalf", actor.pk), ("claim.item_added", actor.pk)]


def test_remove_item_from_a_draft(world, claim):
    keep = add(world, claim, amount=D("1.00"))
    gone = add(world, claim, amount=D("2.00"))

    services.remove_item(item=gone, actor=world.volunteer)

    assert list(claim.items.all()) == [keep]
    assert actions(claim)[-1] == ("claim.item_removed", world.volunteer.pk)


def test_remove_item_refuses_someone_else(world, claim):
    item = add(world, claim)

    refused(services.remove_item, NOT_YOURS_TO_CHANGE, claim, item=item, actor=world.other_coordinator)


# The fee -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "reduced", "requested"),
    [
        (FeeChoice.TAKE, None, D("50.00")),
        (FeeChoice.REDUCED, D("20.00"), D("20.00")),
        (FeeChoice.REDUCED, D("50.00"), D("50.00")),
        (FeeChoice.REDUCED, D("0.01"), D("0.01")),
        (FeeChoice.DONATE, None, D("0.00")),
        (FeeChoice.DECLINE, None, D("0.00")),
        (FeeChoice.DECLINE, D("20.00"), D("0.00")),  # an amount left in the form is ignored
    ],
)
def test_set_fee_choice_sets_what_is_requested(world, claim, choice, reduced, requested):
    services.set_fee_choice(claim=claim, actor=world.volunteer, choice=choice, reduced_amount=reduced)

    claim.refresh_from_db()
    assert (claim.fee_choice, claim.fee_requested, claim.fee_due) == (choice, requested, D("50.00"))
    assert actions(claim)[-1] == ("claim.fee_choice", world.volunteer.pk)


def test_set_fee_choice_back_to_take_after_donating(world, claim):
    services.set_fee_choice(claim=claim, actor=world.volunteer, choice=FeeChoice.DONATE)
    services.set_fee_choice(claim=claim, actor=world.volunteer, choice=FeeChoice.TAKE)

    claim.refresh_from_db()
    assert (claim.fee_choice, claim.fee_requested) == (FeeChoice.TAKE, D("50.00"))


def test_set_fee_choice_refuses_a_reduced_amount_above_the_fee(world, claim):
    refused(
        services.set_fee_choice,
        "The reduced amount cannot be more than the fee of £50.00.",
        claim,
        claim=claim,
        actor=world.volunteer,
        choice=FeeChoice.REDUCED,
        reduced_amount=D("50.01"),
    )


@pytest.mark.parametrize("reduced", [None, D("0"), D("-5.00"), D("10.005")])
def test_set_fee_choice_refuses_a_bad_reduced_amount(world, claim, reduced):
    refused(
        services.set_fee_choice,
        REDUCED,
        claim,
        claim=claim,
        actor=world.volunteer,
        choice=FeeChoice.REDUCED,
        reduced_amount=reduced,
    )


def test_set_fee_choice_refuses_an_unknown_choice(world, claim):
    refused(
        services.set_fee_choice,
        "Please choose what to do with the fee.",
        claim,
        claim=claim,
        actor=world.volunteer,
        choice="double",
    )


# Totals --------------------------------------------------------------------------------------------


def test_claim_totals_show_prepaid_costs_without_adding_them(world, claim, booking, profile):
    add(world, claim, Kind.SUBSISTENCE, amount=D("6.50"))
    add(world, claim, Kind.PUBLIC_TRANSPORT, amount=D("12.40"), receipt_file=receipt())
    services.add_prepaid_cost(booking=booking, actor=world.coordinator, description=" Train ticket ", amount=D("45.00"))
    services.add_prepaid_cost(booking=booking, actor=world.coordinator, description="Hotel", amount=D("89.99"))
    other_booking = attended_on(world.university, world.coordinator, profile, SESSION_DAY)
    services.add_prepaid_cost(booking=other_booking, actor=world.coordinator, description="Taxi", amount=D("30.00"))

    totals = claim_totals(claim)

    assert totals == {
        "expenses": D("18.90"),
        "fee": D("50.00"),
        "total": D("68.90"),
        "prepaid": D("134.99"),
    }
    assert [str(value) for value in totals.values()] == ["18.90", "50.00", "68.90", "134.99"]
    assert list(PrepaidCost.objects.filter(booking=booking).values_list("description", "recorded_by")) == [
        ("Train ticket", world.coordinator.pk),
        ("Hotel", world.coordinator.pk),
    ]


def test_claim_totals_of_an_empty_claim(world, claim):
    claim = services.set_fee_choice(claim=claim, actor=world.volunteer, choice=FeeChoice.DECLINE)

    assert claim_totals(claim) == {
        "expenses": D("0.00"),
        "fee": D("0.00"),
        "total": D("0.00"),
        "prepaid": D("0.00"),
    }


def test_claim_totals_with_a_reduced_fee(world, claim):
    add(world, claim, amount=D("3.10"))
    claim = services.set_fee_choice(
        claim=claim, actor=world.volunteer, choice=FeeChoice.REDUCED, reduced_amount=D("12.50")
    )

    assert claim_totals(claim) == {
        "expenses": D("3.10"),
        "fee": D("12.50"),
        "total": D("15.60"),
        "prepaid": D("0.00"),
    }


@pytest.mark.parametrize(
    ("description", "amount", "message"),
    [
        ("  ", D("10.00"), "Please say what was paid for."),
        ("Train", D("0"), "Please give an amount more than £0.00, in pounds and pence."),
        ("Train", D("-1.00"), "Please give an amount more than £0.00, in pounds and pence."),
        ("Train", D("1.001"), "Please give an amount more than £0.00, in pounds and pence."),
    ],
)
def test_add_prepaid_cost_refuses_bad_input(world, booking, description, amount, message):
    refused(
        services.add_prepaid_cost,
        message,
        booking=booking,
        actor=world.coordinator,
        description=description,
        amount=amount,
    )
    assert PrepaidCost.objects.count() == 0


# The state machine ---------------------------------------------------------------------------------

ALLOWED = {
    Status.DRAFT: {Status.SUBMITTED},
    Status.RETURNED: {Status.SUBMITTED},
    Status.SUBMITTED: {Status.APPROVED, Status.REJECTED, Status.RETURNED},
    Status.APPROVED: {Status.PAID},
    Status.REJECTED: set(),
    Status.PAID: set(),
}
LABELS = {
    Status.DRAFT: "draft",
    Status.SUBMITTED: "submitted",
    Status.RETURNED: "returned for changes",
    Status.APPROVED: "approved",
    Status.REJECTED: "rejected",
    Status.PAID: "paid",
}
VERBS = {
    Status.DRAFT: "put back to draft",
    Status.SUBMITTED: "submitted",
    Status.RETURNED: "returned for changes",
    Status.APPROVED: "approved",
    Status.REJECTED: "rejected",
    Status.PAID: "paid",
}
ILLEGAL = [(current, target) for current in Status for target in Status if target not in ALLOWED[current]]


def test_the_transitions_are_the_designed_ones():
    assert services._TRANSITIONS == ALLOWED
    assert len(ILLEGAL) == 30  # 6 × 6 pairs, less the 6 allowed


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_set_status_refuses_every_illegal_transition(world, claim, current, target):
    claim = in_state(world, claim, current)

    refused(
        services._set_status,
        f"This claim is {LABELS[current]}, so it cannot be {VERBS[target]} now.",
        claim,
        claim=claim,
        status=target,
        actor=world.finance,
        paid_at=NOW,
    )
    assert Claim.objects.get(pk=claim.pk).status == current


def test_approve_twice_is_refused(world, claim):
    claim = submitted(world, claim)
    services.approve_claim(claim=claim, actor=world.coordinator)

    refused(
        services.approve_claim,
        "This claim is approved, so it cannot be approved now.",
        claim,
        claim=claim,
        actor=world.finance,
    )
    assert Notification.objects.filter(template_key="expenses/claim_approved").count() == 1


def test_paying_a_rejected_claim_is_refused(world, claim):
    claim = in_state(world, claim, Status.REJECTED)

    refused(
        services._set_status,
        "This claim is rejected, so it cannot be paid now.",
        claim,
        claim=claim,
        status=Status.PAID,
        actor=None,
        paid_at=NOW,
    )


def test_submitting_an_approved_claim_is_refused(world, claim):
    claim = in_state(world, claim, Status.APPROVED)

    refused(
        services.submit_claim,
        "This claim is approved and can no longer be changed.",
        claim,
        claim=claim,
        actor=world.volunteer,
    )


@pytest.mark.parametrize(
    ("current", "decide", "message"),
    [
        (Status.DRAFT, "approve", "This claim is draft, so it cannot be approved now."),
        (Status.DRAFT, "reject", "This claim is draft, so it cannot be rejected now."),
        (Status.RETURNED, "approve", "This claim is returned for changes, so it cannot be approved now."),
        (Status.RETURNED, "return", "This claim is returned for changes, so it cannot be returned for changes now."),
        (Status.APPROVED, "reject", "This claim is approved, so it cannot be rejected now."),
        (Status.APPROVED, "return", "This claim is approved, so it cannot be returned for changes now."),
        (Status.REJECTED, "approve", "This claim is rejected, so it cannot be approved now."),
        (Status.REJECTED, "reject", "This claim is rejected, so it cannot be rejected now."),
        (Status.PAID, "approve", "This claim is paid, so it cannot be approved now."),
        (Status.PAID, "return", "This claim is paid, so it cannot be returned for changes now."),
    ],
)
def test_deciding_a_claim_not_waiting_for_a_decision_is_refused(world, claim, current, decide, message):
    claim = in_state(world, claim, current)
    call = {
        "approve": services.approve_claim,
        "reject": lambda **kwargs: services.reject_claim(reason="No.", **kwargs),
        "return": lambda **kwargs: services.return_claim(note="Change it.", **kwargs),
    }[decide]

    refused(call, message, claim, claim=claim, actor=world.finance)


def test_submit_refuses_a_claim_with_nothing_to_pay(world, claim):
    services.set_fee_choice(claim=claim, actor=world.volunteer, choice=FeeChoice.DONATE)

    refused(services.submit_claim, NOTHING_TO_PAY, claim, claim=claim, actor=world.volunteer)


def test_submit_with_only_the_fee(world, claim):
    services.submit_claim(claim=claim, actor=world.volunteer)

    claim.refresh_from_db()
    assert (claim.status, claim.submitted_at) == (Status.SUBMITTED, NOW)


def test_submit_refuses_someone_else(world, claim):
    refused(services.submit_claim, NOT_YOURS_TO_CHANGE, claim, claim=claim, actor=world.other_coordinator)


@pytest.fixture
def volunteer_who_is_also_a_coordinator(world: World) -> User:
    factories.MembershipFactory(user=world.volunteer, organisation=world.university, role=Membership.Role.COORDINATOR)
    return world.volunteer


@pytest.mark.parametrize("decide", ["approve", "reject", "return"])
def test_the_claimant_cannot_decide_on_their_own_claim(world, claim, volunteer_who_is_also_a_coordinator, decide):
    claim = submitted(world, claim)
    call = {
        "approve": services.approve_claim,
        "reject": lambda **kwargs: services.reject_claim(reason="No.", **kwargs),
        "return": lambda **kwargs: services.return_claim(note="Change it.", **kwargs),
    }[decide]

    refused(call, OWN_CLAIM, claim, claim=claim, actor=volunteer_who_is_also_a_coordinator)


@pytest.mark.parametrize("who", ["other_coordinator", "other_finance", "lead", "other_lead", "admin", "outsider"])
@pytest.mark.parametrize("decide", ["approve", "reject", "return"])
def test_only_coordinators_and_finance_of_the_university_decide(world, claim, who, decide):
    claim = submitted(world, claim)
    call = {
        "approve": services.approve_claim,
        "reject": lambda **kwargs: services.reject_claim(reason="No.", **kwargs),
        "return": lambda **kwargs: services.return_claim(note="Change it.", **kwargs),
    }[decide]

    refused(call, NOT_AN_APPROVER, claim, claim=claim, actor=getattr(world, who))


@pytest.mark.parametrize("reason", ["", "   \n\t"])
def test_reject_and_return_need_a_reason(world, claim, reason):
    claim = submitted(world, claim)

    refused(services.reject_claim, REASON, claim, claim=claim, actor=world.coordinator, reason=reason)
    refused(services.return_claim, WHAT_TO_CHANGE, claim, claim=claim, actor=world.coordinator, note=reason)


def test_approve_is_timestamped_logged_and_emailed(world, claim, frozen, django_capture_on_commit_callbacks):
    add(world, claim, amount=D("12.40"))
    frozen.move_to(NOW + datetime.timedelta(hours=1))
    services.submit_claim(claim=claim, actor=world.volunteer)
    frozen.move_to(NOW + datetime.timedelta(days=2))

    with django_capture_on_commit_callbacks() as callbacks:
        services.approve_claim(claim=claim, actor=world.finance)

    claim.refresh_from_db()
    assert (claim.status, claim.submitted_at, claim.decided_at, claim.decided_by, claim.decision_note) == (
        Status.APPROVED,
        NOW + datetime.timedelta(hours=1),
        NOW + datetime.timedelta(days=2),
        world.finance,
        "",
    )
    assert actions(claim) == [
        ("claim.opened", world.volunteer.pk),
        ("claim.item_added", world.volunteer.pk),
        ("claim.submitted", world.volunteer.pk),
        ("claim.approved", world.finance.pk),
    ]
    notification = Notification.objects.get(template_key="expenses/claim_approved")
    assert (notification.template_key, notification.recipient, notification.email) == (
        "expenses/claim_approved",
        world.volunteer,
        world.volunteer.email,
    )
    assert notification.context["reference"] == claim.reference
    assert notification.context["session"] == claim.booking.session.title
    assert notification.context["total"] == "62.40"
    assert notification.context["claim_url"].endswith(f"/{claim.pk}/")
    # The approval and, as the volunteer has no payee reference there yet, the payee form.
    assert len(callbacks) == 2
    assert Notification.objects.filter(template_key="expenses/payee_form", recipient=world.volunteer).count() == 1


def test_reject_is_timestamped_logged_and_emailed_with_the_reason(world, claim, frozen):
    claim = submitted(world, claim)
    frozen.move_to(NOW + datetime.timedelta(days=3))

    services.reject_claim(claim=claim, actor=world.coordinator, reason="  This was a paid staff session.  ")

    claim.refresh_from_db()
    assert (claim.status, claim.decided_at, claim.decided_by, claim.decision_note) == (
        Status.REJECTED,
        NOW + datetime.timedelta(days=3),
        world.coordinator,
        "This was a paid staff session.",
    )
    assert actions(claim)[-1] == ("claim.rejected", world.coordinator.pk)
    notification = Notification.objects.get()
    assert (notification.template_key, notification.recipient) == ("expenses/claim_rejected", world.volunteer)
    assert notification.context["note"] == "This was a paid staff session."


def test_returned_claim_is_changed_and_resubmitted(world, claim, frozen):
    claim = submitted(world, claim)
    frozen.move_to(NOW + datetime.timedelta(days=1))
    services.return_claim(claim=claim, actor=world.coordinator, note="Please add the parking receipt.")

    claim.refresh_from_db()
    assert (claim.status, claim.decided_by, claim.decision_note) == (
        Status.RETURNED,
        world.coordinator,
        "Please add the parking receipt.",
    )
    returned = Notification.objects.get()
    assert (returned.template_key, returned.context["note"]) == (
        "expenses/claim_returned",
        "Please add the parking receipt.",
    )

    frozen.move_to(NOW + datetime.timedelta(days=2))
    add(world, claim, Kind.PARKING, amount=D("4.50"), receipt_file=receipt())
    services.submit_claim(claim=claim, actor=world.volunteer)
    claim.refresh_from_db()
    assert (claim.status, claim.submitted_at, claim.decision_note) == (
        Status.SUBMITTED,
        NOW + datetime.timedelta(days=2),
        "",
    )

    services.approve_claim(claim=claim, actor=world.coordinator)
    assert [action for action, _actor in actions(claim)] == [
        "claim.opened",
        "claim.item_added",
        "claim.submitted",
        "claim.returned",
        "claim.item_added",
        "claim.submitted",
        "claim.approved",
    ]
    assert list(Notification.objects.order_by("pk").values_list("template_key", flat=True)) == [
        "expenses/claim_returned",
        "expenses/claim_approved",
        "expenses/payee_form",
    ]


def test_returned_twice_emails_twice(world, claim, frozen):
    claim = submitted(world, claim)
    services.return_claim(claim=claim, actor=world.coordinator, note="First.")
    frozen.move_to(NOW + datetime.timedelta(minutes=5))
    services.submit_claim(claim=claim, actor=world.volunteer)
    services.return_claim(claim=claim, actor=world.coordinator, note="Second.")

    notes = Notification.objects.filter(template_key="expenses/claim_returned").order_by("pk")
    assert [notification.context["note"] for notification in notes] == ["First.", "Second."]


def test_paper_claim_is_decided_by_another_member_of_staff(world, booking):
    claim = services.open_claim(booking=booking, actor=world.coordinator)
    add(world, claim, actor=world.coordinator)
    services.submit_claim(claim=claim, actor=world.coordinator)

    services.approve_claim(claim=claim, actor=world.finance)

    claim.refresh_from_db()
    assert (claim.status, claim.on_behalf, claim.decided_by) == (Status.APPROVED, True, world.finance)
