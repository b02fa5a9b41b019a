"""The volunteer's money pages, through django.test.Client: the money page, the statement CSV,
starting a claim, the claim page and the claim form in its steps (the journey, other costs, the fee,
check and send), carrying on with a half-finished claim; and the same pages used by staff entering
a paper claim."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from django.test.html import Element
from PIL import Image

from expenses.models import Claim, ClaimItem, Payment, ReimbursementRun
from expenses.services import (
    add_item,
    add_prepaid_cost,
    approve_claim,
    open_claim,
    reject_claim,
    return_claim,
    set_fee_choice,
    set_taxi_preapproval,
    submit_claim,
)
from sessions_app.models import Booking
from tests import factories
from tests.accounts.test_views import find, h1, messages_on, text_of, texts
from tests.conftest import World, signed_in
from tests.expenses.factories import attended_booking, pay_approved_claims, rate_card_for
from tests.volunteers.test_own_views import error_of
from volunteers.models import VolunteerProfile

NOW = datetime.datetime(2026, 3, 20, 9, 30, tzinfo=datetime.UTC)  # Friday 20 March 2026, 09:30 UK time
SESSION_DAY = "2026-03-17"  # the session was on Tuesday 17 March 2026, 10:00–12:00
TITLE = "Breast imaging: patients’ stories"
NAME = "Siân O'Brien"
MONEY = "/money/"
PDF = factories.RECEIPT_PDF  # well-formed: receipts are parsed (expenses.receipts)
NOT_EDITABLE = (
    "This claim has been sent, so it can no longer be changed. "
    "If something needs correcting, please contact the coordinator of the session."
)
MILEAGE_DETAILS = (
    "12.5 miles by car or van, from LS1 4DY to LS2 9JT. "
    "The amount is worked out for you from the university's mileage rate."
)
STATEMENT_HEADER = ["Date paid", "Claim reference", "Session", "Kind", "Amount (£)"]


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def profile(world: World) -> VolunteerProfile:
    profile = VolunteerProfile.objects.get(user=world.volunteer)
    profile.preferred_name = NAME
    profile.save()
    world.coordinator.name = "Priya Shah"
    world.coordinator.save()
    return profile


@pytest.fixture
def card(world: World) -> Any:
    return rate_card_for(world.university)


def attended(world: World, profile: VolunteerProfile, title: str = TITLE, days_ago: int = 3) -> Booking:
    booking = attended_booking(world.university, world.coordinator, profile, days_ago=days_ago)
    booking.session.title = title
    booking.session.save()
    return booking


@pytest.fixture
def booking(world: World, card: Any, profile: VolunteerProfile) -> Booking:
    return attended(world, profile)


@pytest.fixture
def claim(world: World, booking: Booking) -> Claim:
    return open_claim(booking=booking, actor=world.volunteer)


@pytest.fixture
def browser(world: World) -> Client:
    return signed_in(world.volunteer)


def claim_url(claim: Claim, action: str = "") -> str:
    return f"/money/claims/{claim.pk}/{action}"


def section(source: HttpResponse | Element, section_id: str) -> Element:
    [found] = find(source, "section", id=section_id)
    return found


def main(response: HttpResponse) -> Element:
    [found] = find(response, "main")
    return found


def rows(source: Element) -> list[list[str]]:
    [body] = find(source, "tbody")
    return [texts(row, "td") for row in find(body, "tr")]


def text_by_id(source: HttpResponse | Element, tag: str, element_id: str) -> str:
    [element] = find(source, tag, id=element_id)
    return text_of(element)


def png() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (40, 20), "white").save(output, format="PNG")
    return output.getvalue()


def upload(content: bytes = PDF, name: str = "receipt.pdf", content_type: str = "application/pdf") -> Any:
    return SimpleUploadedFile(name, content, content_type=content_type)


def item_rows(claim: Claim) -> list[tuple[str, Decimal]]:
    return [(item.kind, item.amount) for item in ClaimItem.objects.filter(claim=claim).order_by("pk")]


def submitted(claim: Claim, actor: Any) -> Claim:
    add_item(claim=claim, actor=actor, kind="subsistence", date=datetime.date(2026, 3, 17), amount=Decimal("6.50"))
    return submit_claim(claim=claim, actor=actor)


def paid(world: World, profile: VolunteerProfile, title: str, days_ago: int) -> Claim:
    """A claim for a new attended session: £6.50 food and drink and the £50.00 fee, approved."""
    claim = open_claim(booking=attended(world, profile, title, days_ago), actor=world.volunteer)
    day = datetime.date(2026, 3, 20) - datetime.timedelta(days=days_ago)
    add_item(claim=claim, actor=world.volunteer, kind="subsistence", date=day, amount=Decimal("6.50"))
    submit_claim(claim=claim, actor=world.volunteer)
    return approve_claim(claim=claim, actor=world.coordinator)


def pay_everything(world: World) -> ReimbursementRun:
    return pay_approved_claims(world.university, world.finance)


# The money page


def test_money_page_lists_sessions_to_claim_claims_and_what_was_paid(
    world: World, card: Any, profile: VolunteerProfile, browser: Client
) -> None:
    to_claim = attended(world, profile, "Admissions interviews", days_ago=1)
    draft = open_claim(booking=attended(world, profile, "OSCE practice", days_ago=5), actor=world.volunteer)
    add_item(
        claim=draft, actor=world.volunteer, kind="subsistence", date=datetime.date(2026, 3, 15), amount=Decimal("4.20")
    )
    paid(world, profile, "Storytelling", days_ago=10)
    pay_everything(world)
    waiting = paid(world, profile, "Curriculum panel", days_ago=8)

    response = browser.get(MONEY)

    assert response.status_code == 200
    assert h1(response) == "Money"
    assert rows(section(response, "to-claim")) == [
        [
            "Admissions interviews",
            "Thursday 19 March 2026",
            "University A",
            "Friday 19 June 2026",
            "Start a claim for Admissions interviews",
        ]
    ]
    assert texts(section(response, "to-claim"), "a") == ["Start a claim for Admissions interviews"]
    assert [dict(link.attributes)["href"] for link in find(section(response, "to-claim"), "a")] == [
        f"/money/sessions/{to_claim.pk}/claim/"
    ]
    assert rows(section(response, "claims")) == [
        ["OSCE practice", "Sunday 15 March 2026", "Not sent yet", "£54.20", "—", "—", "—"],
        [
            "Curriculum panel",
            "Thursday 12 March 2026",
            "Approved, waiting to be paid",
            "£56.50",
            "Friday 20 March 2026",
            "Friday 20 March 2026",
            "—",
        ],
        [
            "Storytelling",
            "Tuesday 10 March 2026",
            "Paid",
            "£56.50",
            "Friday 20 March 2026",
            "Friday 20 March 2026",
            "Friday 20 March 2026",
        ],
    ]
    assert [dict(link.attributes)["href"] for link in find(section(response, "claims"), "a")] == [
        claim_url(draft),
        claim_url(waiting),
        claim_url(Claim.objects.get(booking__session__title="Storytelling")),
    ]
    assert rows(section(response, "statements")) == [
        [
            "2025/26 (Sunday 6 April 2025 to Sunday 5 April 2026)",
            "£50.00",
            "£6.50",
            "£56.50",
            "PDF to print of the statement for 2025/26 · spreadsheet (CSV) of the statement for 2025/26",
        ]
    ]
    assert [dict(link.attributes)["href"] for link in find(section(response, "statements"), "a")] == [
        "/money/statement/2025.pdf",
        "/money/statement/2025.csv",
    ]
    assert "a benefits adviser or HMRC may ask to see it" in text_of(section(response, "statements"))


def test_money_page_with_nothing_yet_says_so(world: World, profile: VolunteerProfile, browser: Client) -> None:
    response = browser.get(MONEY)

    assert texts(section(response, "to-claim"), "p") == [
        "There are no sessions to claim for just now. After you take part in a session, it appears here."
    ]
    assert texts(section(response, "claims"), "p") == ["You have not made any claims yet."]
    assert texts(section(response, "statements"), "p")[-1] == "Nothing has been paid to you yet."


def test_money_page_says_kindly_when_the_time_to_claim_has_passed(
    world: World, card: Any, profile: VolunteerProfile, browser: Client
) -> None:
    attended(world, profile, "Long ago", days_ago=100)

    response = browser.get(MONEY)

    assert rows(section(response, "to-claim")) == [
        [
            "Long ago",
            "Wednesday 10 December 2025",
            "University A",
            "Tuesday 10 March 2026",
            "The time to claim has passed. Please contact the coordinator if you still need to claim.",
        ]
    ]
    assert find(section(response, "to-claim"), "a") == []


def test_money_page_is_forbidden_to_someone_without_a_volunteer_profile(world: World) -> None:
    assert signed_in(world.coordinator).get(MONEY).status_code == 403


@pytest.mark.parametrize("each", [1, 3])
def test_money_page_query_count_does_not_grow(
    world: World, card: Any, profile: VolunteerProfile, django_assert_num_queries: Any, each: int
) -> None:
    for number in range(each):
        attended(world, profile, f"To claim {number}", days_ago=1)
        draft = open_claim(booking=attended(world, profile, f"Draft {number}", days_ago=2), actor=world.volunteer)
        add_item(
            claim=draft,
            actor=world.volunteer,
            kind="subsistence",
            date=datetime.date(2026, 3, 18),
            amount=Decimal("3.00"),
        )
        paid(world, profile, f"Paid {number}", days_ago=4)
    pay_everything(world)
    client = signed_in(world.volunteer)

    # Nine, and the count of the claims for their pages.
    with django_assert_num_queries(10):
        response = client.get(MONEY)

    assert (len(rows(section(response, "to-claim"))), len(rows(section(response, "claims")))) == (each, 2 * each)


# The statement


def payment(claim: Claim, kind: str, amount: str, paid_on: datetime.date, run: ReimbursementRun) -> Payment:
    return Payment.objects.create(
        key=f"claim-{claim.pk}-{kind}",
        run=run,
        claim=claim,
        volunteer=claim.volunteer,
        kind=kind,
        amount=Decimal(amount),
        paid_on=paid_on,
    )


def read_csv(response: HttpResponse) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_statement_lists_the_tax_years_payments_with_a_total(
    world: World, card: Any, profile: VolunteerProfile, browser: Client
) -> None:
    run = ReimbursementRun.objects.create(organisation=world.university, status=ReimbursementRun.Status.COMPLETED)
    first = Claim.objects.create(booking=attended(world, profile, "Storytelling", 20), volunteer=profile)
    second = Claim.objects.create(booking=attended(world, profile, '=HYPERLINK("http://x")', 30), volunteer=profile)
    before = Claim.objects.create(booking=attended(world, profile, "Last year", 40), volunteer=profile)
    payment(first, "expenses", "12.30", datetime.date(2025, 4, 6), run)
    payment(first, "fee", "50.00", datetime.date(2025, 4, 6), run)
    payment(second, "expenses", "7.20", datetime.date(2026, 4, 5), run)
    payment(second, "fee", "75.00", datetime.date(2026, 4, 6), run)  # the next tax year
    payment(before, "expenses", "9.99", datetime.date(2025, 4, 5), run)  # the year before
    someone_else = factories.VolunteerProfileFactory()
    other = Claim.objects.create(booking=attended(world, someone_else, "Not yours", 20), volunteer=someone_else)
    payment(other, "fee", "25.00", datetime.date(2025, 6, 1), run)

    response = browser.get("/money/statement/2025.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="payments-2025-26.csv"'
    assert read_csv(response) == [
        STATEMENT_HEADER,
        ["06/04/2025", first.reference, "Storytelling", "Expenses", "12.30"],
        ["06/04/2025", first.reference, "Storytelling", "Involvement fee", "50.00"],
        ["05/04/2026", second.reference, '\'=HYPERLINK("http://x")', "Expenses", "7.20"],
        ["Total", "", "", "", "69.50"],
    ]


def test_statement_of_a_year_with_nothing_paid_has_a_zero_total(profile: VolunteerProfile, browser: Client) -> None:
    response = browser.get("/money/statement/2019.csv")

    assert (response.status_code, response["Content-Disposition"]) == (
        200,
        'attachment; filename="payments-2019-20.csv"',
    )
    assert read_csv(response) == [STATEMENT_HEADER, ["Total", "", "", "", "0.00"]]


def test_statement_of_an_impossible_year_is_not_found(profile: VolunteerProfile, browser: Client) -> None:
    assert browser.get("/money/statement/0.csv").status_code == 404


# Starting a claim


def test_claim_open_page_asks_before_starting(booking: Booking, browser: Client) -> None:
    response = browser.get(f"/money/sessions/{booking.pk}/claim/")

    assert response.status_code == 200
    assert h1(response) == f"Start a claim for “{TITLE}”"
    assert texts(response, "p")[0] == "Tuesday 17 March 2026, University A. Please claim by Wednesday 17 June 2026."
    assert texts(main(response), "button") == ["Start my claim"]
    assert Claim.objects.count() == 0


def test_claim_open_starts_the_claim_with_the_fee_due_at_its_first_step(
    world: World, booking: Booking, profile: VolunteerProfile, browser: Client
) -> None:
    response = browser.post(f"/money/sessions/{booking.pk}/claim/", follow=True)

    claim = Claim.objects.get()
    assert response.redirect_chain == [(claim_url(claim, "journey/"), 302)]
    assert messages_on(response) == ["Your claim is started. Nothing is sent until the last step."]
    assert h1(response) == "Your journey"
    assert (claim.booking, claim.volunteer, claim.status, claim.opened_by, claim.on_behalf) == (
        booking,
        profile,
        Claim.Status.DRAFT,
        world.volunteer,
        False,
    )
    assert (claim.fee_due, claim.fee_choice, claim.fee_requested) == (Decimal("50.00"), "take", Decimal("50.00"))


@pytest.mark.parametrize(
    ("status", "days_ago", "error"),
    [
        (Booking.Status.ACCEPTED, 3, "A claim can only be made for a session the volunteer attended."),
        (
            Booking.Status.ATTENDED,
            100,
            "Claims for this session had to be made by Tuesday 10 March 2026. Please contact the coordinator.",
        ),
    ],
)
def test_claim_open_refuses_a_session_not_attended_or_too_long_ago(
    world: World, card: Any, profile: VolunteerProfile, browser: Client, status: str, days_ago: int, error: str
) -> None:
    booking = attended(world, profile, days_ago=days_ago)
    Booking.objects.filter(pk=booking.pk).update(status=status)

    response = browser.post(f"/money/sessions/{booking.pk}/claim/")

    assert (response.status_code, texts(response, "div", id="form-errors")) == (400, [error])
    assert Claim.objects.count() == 0


def test_claim_open_refuses_a_second_claim(claim: Claim, booking: Booking, browser: Client) -> None:
    response = browser.post(f"/money/sessions/{booking.pk}/claim/")

    assert (response.status_code, texts(response, "div", id="form-errors")) == (
        400,
        ["There is already a claim for this session."],
    )
    assert texts(response, "a", href=claim_url(claim)) == ["Go to your claim"]
    assert Claim.objects.count() == 1


def test_claim_open_page_says_when_the_time_to_claim_has_passed(
    world: World, card: Any, profile: VolunteerProfile, browser: Client
) -> None:
    booking = attended(world, profile, days_ago=100)

    response = browser.get(f"/money/sessions/{booking.pk}/claim/")

    assert (response.status_code, texts(response, "div", id="form-errors")) == (
        200,
        ["Claims for this session had to be made by Tuesday 10 March 2026. Please contact the coordinator."],
    )
    assert texts(main(response), "button") == []


def test_claim_page_of_a_volunteers_own_claim_offers_staff_no_changes(world: World, claim: Claim) -> None:
    response = signed_in(world.coordinator).get(claim_url(claim))
    added = signed_in(world.coordinator).post(
        claim_url(claim, "costs/"), cost_post(kind="subsistence", amount="2.00"), follow=True
    )

    assert (response.status_code, find(main(response), "form")) == (200, [])
    assert find(response, "section", id="continue") == []
    assert messages_on(added) == ["Only the volunteer, or staff entering a paper claim, can change this claim."]
    assert item_rows(claim) == []


def test_claim_open_for_someone_elses_booking_is_not_found(world: World, card: Any, browser: Client) -> None:
    someone_else = factories.VolunteerProfileFactory()
    booking = attended(world, someone_else)

    assert browser.get(f"/money/sessions/{booking.pk}/claim/").status_code == 404
    assert browser.post(f"/money/sessions/{booking.pk}/claim/").status_code == 404
    assert Claim.objects.count() == 0


# The claim page


def add_journey(world: World, claim: Claim) -> ClaimItem:
    return add_item(
        claim=claim,
        actor=world.volunteer,
        kind="mileage",
        date=datetime.date(2026, 3, 17),
        miles=Decimal("12.5"),
        vehicle="car",
        from_postcode="LS1 4DY",
        to_postcode="LS2 9JT",
    )


def add_parking(world: World, claim: Claim) -> ClaimItem:
    return add_item(
        claim=claim,
        actor=world.volunteer,
        kind="parking",
        date=datetime.date(2026, 3, 17),
        amount=Decimal("4.50"),
        note="Car park at the hospital",
        receipt_file=upload(),
    )


def test_claim_page_shows_items_prepaid_costs_fee_and_totals_before_sending(
    world: World, claim: Claim, booking: Booking, browser: Client
) -> None:
    add_journey(world, claim)
    parking = add_parking(world, claim)
    add_prepaid_cost(booking=booking, actor=world.coordinator, description="Train ticket", amount=Decimal("23.40"))

    response = browser.get(claim_url(claim))

    assert response.status_code == 200
    assert h1(response) == f"Claim for “{TITLE}”"
    assert text_by_id(response, "p", "claim-facts") == f"{claim.reference} · Tuesday 17 March 2026 · University A"
    assert text_by_id(response, "p", "claim-status") == "Where it is: Not sent yet"
    assert find(response, "p", id="on-behalf") == []
    assert rows(section(response, "items")) == [
        ["Mileage", "Tuesday 17 March 2026", MILEAGE_DETAILS, "£5.63", "None"],
        [
            "Parking",
            "Tuesday 17 March 2026",
            "Car park at the hospital",
            "£4.50",
            "Receipt for parking on Tuesday 17 March 2026",
        ],
    ]
    [receipt_link] = find(section(response, "items"), "a", href=f"/receipts/{parking.receipt.pk}/")
    assert text_of(receipt_link) == "Receipt for parking on Tuesday 17 March 2026"
    assert texts(section(response, "prepaid"), "li") == ["Train ticket: £23.40"]
    assert texts(section(response, "prepaid"), "p") == [
        "University A paid for these itself, so they are not included below and there is nothing to claim for them."
    ]
    assert text_by_id(response, "p", "fee-due") == "The fee for this session, by University A's rates, is £50.00."
    assert text_by_id(response, "p", "fee-choice") == "Take the fee."
    assert texts(section(response, "totals"), "dd") == ["£10.13", "£50.00", "£60.13"]
    assert find(main(response), "form") == []
    assert texts(section(response, "continue"), "a", href=claim_url(claim, "fee/")) == ["Continue your claim: your fee"]


@pytest.mark.parametrize("each", [1, 3])
def test_claim_page_query_count_does_not_grow(
    world: World, claim: Claim, booking: Booking, django_assert_num_queries: Any, each: int
) -> None:
    for number in range(each):
        add_item(
            claim=claim,
            actor=world.volunteer,
            kind="parking",
            date=datetime.date(2026, 3, 17),
            amount=Decimal("2.00"),
            receipt_file=upload(),
        )
        add_prepaid_cost(booking=booking, actor=world.coordinator, description=f"Ticket {number}", amount=Decimal("9"))
    client = signed_in(world.volunteer)

    with django_assert_num_queries(QUERIES["claim"]):
        response = client.get(claim_url(claim))

    assert len(rows(section(response, "items"))) == each


def test_claim_page_of_a_paper_claim_says_staff_entered_it(world: World, booking: Booking) -> None:
    claim = open_claim(booking=booking, actor=world.coordinator)

    response = signed_in(world.coordinator).get(claim_url(claim))

    assert response.status_code == 200
    assert text_by_id(response, "p", "on-behalf") == f"Entered on {NAME}'s behalf by Priya Shah, from a paper claim."
    assert text_by_id(response, "p", "claim-facts") == (
        f"{claim.reference} · Tuesday 17 March 2026 · University A · {NAME}"
    )
    assert texts(section(response, "continue"), "a") == ["Start the claim: your journey"]


def test_claim_page_of_a_returned_claim_says_what_to_change(world: World, claim: Claim, browser: Client) -> None:
    return_claim(
        claim=submitted(claim, world.volunteer), actor=world.coordinator, note="Please add the parking receipt."
    )

    response = browser.get(claim_url(claim))

    assert text_by_id(response, "p", "claim-status") == "Where it is: Sent back to you for a change"
    assert texts(response, "div", id="decision-note") == [
        "What to change, from University A: Please add the parking receipt. "
        "Please make the change and send the claim again."
    ]
    assert texts(section(response, "continue"), "a", href=claim_url(claim, "submit/")) == [
        "Continue your claim: check and send"
    ]


def test_claim_page_of_a_rejected_claim_gives_the_reason_and_no_forms(
    world: World, claim: Claim, browser: Client
) -> None:
    reject_claim(claim=submitted(claim, world.volunteer), actor=world.coordinator, reason="This was claimed on paper.")

    response = browser.get(claim_url(claim))

    assert text_by_id(response, "p", "claim-status") == "Where it is: Not approved"
    assert texts(response, "div", id="decision-note") == [
        "The reason University A gave: This was claimed on paper. "
        "If you have a question about this, please contact the coordinator of the session."
    ]
    assert find(main(response), "form") == []
    assert find(response, "section", id="continue") == []
    assert texts(response, "p", id="fee-choice") == ["Take the fee."]
    assert texts(section(response, "totals"), "dd") == ["£6.50", "£50.00", "£56.50"]


def test_claim_page_of_another_volunteers_claim_is_not_found(world: World, card: Any, browser: Client) -> None:
    someone_else = factories.VolunteerProfileFactory()
    claim = open_claim(booking=attended(world, someone_else), actor=someone_else.user)

    for action in ("", "journey/", "costs/", "fee/", "submit/"):
        assert browser.get(claim_url(claim, action)).status_code == 404
    assert browser.post(claim_url(claim, "fee/"), {"choice": "decline"}).status_code == 404
    assert browser.post(claim_url(claim, "costs/"), cost_post(kind="subsistence", amount="2")).status_code == 404
    assert Claim.objects.get(pk=claim.pk).fee_choice == "take"
    assert item_rows(claim) == []


def test_claim_page_is_not_found_for_another_universitys_staff(world: World, claim: Claim) -> None:
    assert signed_in(world.other_finance).get(claim_url(claim)).status_code == 404
    assert signed_in(world.other_coordinator).get(claim_url(claim)).status_code == 404
    assert signed_in(world.lead).get(claim_url(claim)).status_code == 403


# The claim form in steps: where each step is, and carrying on with a half-finished claim


def step_of(response: HttpResponse) -> tuple[str, list[str], list[str], str]:
    """ "Step 2 of 4", the steps as listed, the one marked current, and where Back goes."""
    [steps] = find(response, "ol", id="claim-steps")
    [back] = find(response, "a", id="back-link")
    return (
        text_by_id(response, "p", "step-of"),
        texts(steps, "li"),
        texts(steps, "strong", **{"aria-current": "step"}),
        str(dict(back.attributes)["href"]),
    )


@pytest.mark.parametrize(
    ("action", "heading", "number", "back"),
    [
        ("journey/", "Your journey", 1, ""),
        ("costs/", "Other costs", 2, "journey/"),
        ("fee/", "Your fee", 3, "costs/"),
        ("submit/", "Check your claim and send it", 4, "fee/"),
    ],
)
def test_each_step_says_where_it_is_among_the_steps_with_the_way_back(
    claim: Claim, browser: Client, action: str, heading: str, number: int, back: str
) -> None:
    response = browser.get(claim_url(claim, action))

    assert (response.status_code, h1(response)) == (200, heading)
    assert step_of(response) == (
        f"Step {number} of 4",
        ["1. Your journey", "2. Other costs", "3. Your fee", "4. Check and send"],
        [f"{number}. {STEPS[number - 1]}"],
        claim_url(claim, back),
    )
    [steps] = find(response, "ol", id="claim-steps")
    assert [dict(link.attributes)["href"] for link in find(steps, "a")] == [
        claim_url(claim, step) for step in ("journey/", "costs/", "fee/", "submit/") if step != action
    ]


def test_a_session_without_a_fee_has_three_steps(world: World, claim: Claim, browser: Client) -> None:
    Claim.objects.filter(pk=claim.pk).update(fee_due=Decimal("0.00"), fee_requested=Decimal("0.00"))

    costs = browser.get(claim_url(claim, "costs/"))
    check = browser.get(claim_url(claim, "submit/"))
    fee = browser.get(claim_url(claim, "fee/"), follow=True)

    assert step_of(costs)[:2] == ("Step 2 of 3", ["1. Your journey", "2. Other costs", "3. Check and send"])
    assert step_of(check)[3] == claim_url(claim, "costs/")
    assert text_by_id(check, "p", "fee-choice") == "There is no fee for this kind of session."
    assert fee.redirect_chain == [(claim_url(claim, "submit/"), 302)]
    assert messages_on(fee) == ["There is no fee for this session, so there is nothing to choose."]


@pytest.mark.parametrize(
    ("items", "fee", "resumes_at", "link"),
    [
        ((), True, "journey/", "Start your claim: your journey"),
        (("journey",), True, "costs/", "Continue your claim: other costs"),
        (("journey", "parking"), True, "fee/", "Continue your claim: your fee"),
        (("parking",), False, "submit/", "Continue your claim: check and send"),
    ],
)
def test_a_half_finished_claim_carries_on_after_the_last_step_with_something_saved(
    world: World, claim: Claim, browser: Client, items: tuple[str, ...], fee: bool, resumes_at: str, link: str
) -> None:
    for item in items:
        (add_journey if item == "journey" else add_parking)(world, claim)
    if not fee:
        Claim.objects.filter(pk=claim.pk).update(fee_due=Decimal("0.00"), fee_requested=Decimal("0.00"))

    response = browser.get(claim_url(claim))

    [continue_link] = find(section(response, "continue"), "a")
    assert (text_of(continue_link), dict(continue_link.attributes)["href"]) == (link, claim_url(claim, resumes_at))


def test_a_volunteer_who_leaves_after_the_first_step_finds_it_all_again(
    world: World, claim: Claim, browser: Client
) -> None:
    browser.post(claim_url(claim, "journey/"), journey_post(**JOURNEY, then="next"))

    # Later, from another device: the money page, the claim, and on from where it was left.
    again = signed_in(world.volunteer)
    money = again.get(MONEY)
    page = again.get(claim_url(claim))
    [continue_link] = find(section(page, "continue"), "a")
    costs = again.get(dict(continue_link.attributes)["href"])
    journey = again.get(claim_url(claim, "journey/"))

    assert texts(section(money, "claims"), "a") == [TITLE]
    assert text_by_id(page, "p", "claim-status") == "Where it is: Not sent yet"
    assert (h1(costs), step_of(costs)[0]) == ("Other costs", "Step 2 of 4")
    assert rows(section(journey, "items")) == [
        ["Tuesday 17 March 2026", "LS1 4DY to LS2 9JT, by car or van", "12.5", "£5.63", REMOVE_JOURNEY]
    ]


# Step 1: the journey


JOURNEY = {"from_postcode": "ls14dy", "to_postcode": "LS2 9JT", "miles": "12.5", "vehicle": "car"}
REMOVE_JOURNEY = "Remove the journey from LS1 4DY to LS2 9JT"
STEPS = ["Your journey", "Other costs", "Your fee", "Check and send"]
QUERIES = {"claim": 9}


def journey_post(**fields: Any) -> dict[str, Any]:
    """The journey step's form as a browser sends it; tests set what they need."""
    return {
        "date": SESSION_DAY,
        "from_postcode": "",
        "to_postcode": "",
        "miles": "",
        "vehicle": "",
        "note": "",
        **fields,
    }


def test_journey_step_shows_its_form(claim: Claim, browser: Client) -> None:
    response = browser.get(claim_url(claim, "journey/"))

    assert texts(section(response, "items"), "p") == [
        "No journeys yet. If you did not travel by car, motorcycle or bicycle, choose “Save and continue” with the "
        "form empty."
    ]
    [form] = find(main(response), "form")
    assert texts(form, "label") == [
        "Date *",
        "Postcode you travelled from",
        "Postcode you travelled to",
        "Miles, one way",
        "I came back the same way (a return trip)",
        "Vehicle",
        "Note",
    ]
    [date_input] = find(form, "input", name="date")
    assert (dict(date_input.attributes)["value"], dict(date_input.attributes)["type"]) == ("17/03/2026", "text")
    [miles_input] = find(form, "input", name="miles")
    assert dict(miles_input.attributes)["inputmode"] == "decimal"
    assert [(text_of(button), dict(button.attributes)["value"]) for button in find(form, "button")] == [
        ("Save and continue", "next"),
        ("Save and add another journey", "another"),
    ]


def test_journey_step_works_out_the_mileage_and_goes_on(world: World, claim: Claim, browser: Client) -> None:
    response = browser.post(claim_url(claim, "journey/"), journey_post(**JOURNEY, then="next"), follow=True)

    assert response.redirect_chain == [(claim_url(claim, "costs/"), 302)]
    assert messages_on(response) == ["Added mileage: 12.5 miles, £5.63."]
    item = ClaimItem.objects.get(claim=claim)
    assert (item.kind, item.amount, item.miles, item.vehicle, item.from_postcode, item.to_postcode, item.date) == (
        "mileage",
        Decimal("5.63"),
        Decimal("12.5"),
        "car",
        "LS1 4DY",
        "LS2 9JT",
        datetime.date(2026, 3, 17),
    )


def test_journey_step_counts_a_return_trip_both_ways_and_stays_for_another(claim: Claim, browser: Client) -> None:
    data = journey_post(**JOURNEY, return_trip="on", then="another")

    response = browser.post(claim_url(claim, "journey/"), data, follow=True)

    assert response.redirect_chain == [(claim_url(claim, "journey/") + "#items", 302)]
    assert messages_on(response) == ["Added mileage: 25.0 miles, £11.25."]
    assert rows(section(response, "items")) == [
        ["Tuesday 17 March 2026", "LS1 4DY to LS2 9JT, by car or van", "25.0", "£11.25", REMOVE_JOURNEY]
    ]
    assert texts(main(response), "legend") == ["Add another journey"]


def test_journey_step_left_empty_goes_on_without_adding_anything(claim: Claim, browser: Client) -> None:
    response = browser.post(claim_url(claim, "journey/"), journey_post(then="next"))

    assert (response.status_code, response["Location"]) == (302, claim_url(claim, "costs/"))
    assert item_rows(claim) == []


@pytest.mark.parametrize(
    ("fields", "field", "error"),
    [
        ({**JOURNEY, "miles": ""}, "miles", "Please give the number of miles, more than 0."),
        ({**JOURNEY, "miles": "0"}, "miles", "Please give the number of miles, more than 0."),
        ({**JOURNEY, "miles": "1200"}, "miles", "That is more than 1,000 miles. Please check the number."),
        (
            {**JOURNEY, "miles": "600", "return_trip": "on"},
            "miles",
            "That is more than 1,000 miles. Please check the number.",
        ),
        (
            {**JOURNEY, "miles": "12.55"},
            "miles",
            "Please give the miles to one decimal place at most, for example 12.5.",
        ),
        ({**JOURNEY, "vehicle": ""}, "vehicle", "Please choose the vehicle."),
        ({**JOURNEY, "from_postcode": "Leeds"}, "from_postcode", "Please enter a UK postcode, for example LS1 4DY."),
        ({**JOURNEY, "to_postcode": ""}, "to_postcode", "Please give the postcode you travelled to."),
        (
            {**JOURNEY, "date": "2026-03-01"},
            "date",
            "The date should be the day of the session, or within a week of it.",
        ),
        ({**JOURNEY, "date": "31/02/2026"}, "date", "Please enter a real date, for example 17/03/2026."),
    ],
)
def test_journey_step_refuses_bad_input_next_to_the_field_keeping_what_was_typed(
    claim: Claim, browser: Client, fields: dict[str, str], field: str, error: str
) -> None:
    response = browser.post(claim_url(claim, "journey/"), journey_post(**fields, then="next"))

    assert (response.status_code, h1(response)) == (400, "Your journey")
    assert error_of(response, field) == error
    assert texts(response, "div", id="error-summary") == [f"There is a problem {LABELS[field]}: {error}"]
    [to_input] = find(response, "input", name="to_postcode")
    assert dict(to_input.attributes).get("value") == (fields["to_postcode"] or None)
    assert item_rows(claim) == []


LABELS = {
    "miles": "Miles, one way",
    "vehicle": "Vehicle",
    "from_postcode": "Postcode you travelled from",
    "to_postcode": "Postcode you travelled to",
    "date": "Date",
    "kind": "What was it for?",
    "amount": "Amount (£)",
    "receipt": "Receipt",
    "choice": "What would you like to do with the fee?",
    "reduced_amount": "The reduced amount you would like (£)",
}


def test_journey_step_without_a_rate_card_shows_the_problem_at_the_top(
    world: World, profile: VolunteerProfile, browser: Client
) -> None:
    claim = open_claim(booking=attended(world, profile), actor=world.volunteer)

    response = browser.post(claim_url(claim, "journey/"), journey_post(**JOURNEY, then="next"))

    assert (response.status_code, texts(response, "div", id="form-errors")) == (
        400,
        ["The university has no rate card for this date yet. Please contact finance."],
    )
    assert item_rows(claim) == []


# Step 2: other costs


def cost_post(**fields: Any) -> dict[str, Any]:
    """The other-costs step's form as a browser sends it; tests set what they need."""
    return {"kind": "", "date": SESSION_DAY, "amount": "", "note": "", **fields}


def test_costs_step_shows_its_form(claim: Claim, browser: Client) -> None:
    response = browser.get(claim_url(claim, "costs/"))

    [form] = find(main(response), "form")
    assert texts(form, "label") == ["What was it for? *", "Date *", "Amount (£) *", "Description", "Receipt"]
    assert "mileage" not in [dict(option.attributes)["value"] for option in find(form, "option")]
    [receipt_input] = find(form, "input", name="receipt")
    assert dict(receipt_input.attributes)["accept"] == ".pdf,.jpg,.jpeg,.png"
    assert texts(response, "div", id="id_receipt_helptext") == [
        "You need one for: Public transport, Taxi (agreed in advance), Parking, Replacement carer or childcare, "
        "Support worker, Other. A photo or a scan: PDF, JPEG or PNG, at most 10 MB. "
        "We remove location and camera details."
    ]
    [amount_input] = find(form, "input", name="amount")
    assert dict(amount_input.attributes)["inputmode"] == "decimal"
    assert texts(form, "button") == ["Save and continue", "Save and add another cost"]


def test_costs_step_keeps_a_receipt_and_goes_on_to_the_fee(world: World, claim: Claim, browser: Client) -> None:
    data = cost_post(
        kind="parking",
        amount="£4.50",
        note="Hospital car park",
        receipt=upload(png(), "ticket.png", "image/png"),
        then="next",
    )

    response = browser.post(claim_url(claim, "costs/"), data, follow=True)

    assert response.redirect_chain == [(claim_url(claim, "fee/"), 302)]
    assert messages_on(response) == ["Added parking: £4.50."]
    item = ClaimItem.objects.select_related("receipt").get(claim=claim)
    assert (item.amount, item.note, item.receipt.content_type, item.receipt.original_name) == (
        Decimal("4.50"),
        "Hospital car park",
        "image/png",
        "ticket.png",
    )


def test_costs_step_reads_a_date_typed_the_uk_way_and_stays_for_another(claim: Claim, browser: Client) -> None:
    data = cost_post(kind="subsistence", amount="3.20", date="16/03/2026", then="another")

    response = browser.post(claim_url(claim, "costs/"), data, follow=True)

    assert response.redirect_chain == [(claim_url(claim, "costs/") + "#items", 302)]
    assert rows(section(response, "items")) == [
        [
            "Food and drink",
            "Monday 16 March 2026",
            "—",
            "£3.20",
            "None",
            "Remove food and drink on Monday 16 March 2026",
        ]
    ]
    assert list(ClaimItem.objects.values_list("date", "amount")) == [(datetime.date(2026, 3, 16), Decimal("3.20"))]


def test_costs_step_allows_a_taxi_agreed_in_advance(
    world: World, claim: Claim, booking: Booking, browser: Client
) -> None:
    set_taxi_preapproval(booking=booking, actor=world.coordinator, approved=True)

    browser.post(claim_url(claim, "costs/"), cost_post(kind="taxi", amount="18.00", receipt=upload(), then="next"))

    assert item_rows(claim) == [("taxi", Decimal("18.00"))]


def test_costs_step_left_empty_goes_on_without_adding_anything(claim: Claim, browser: Client) -> None:
    response = browser.post(claim_url(claim, "costs/"), cost_post(then="next"))

    assert (response.status_code, response["Location"]) == (302, claim_url(claim, "fee/"))
    assert item_rows(claim) == []


@pytest.mark.parametrize(
    ("fields", "field", "error"),
    [
        ({"kind": "subsistence", "amount": "-5"}, "amount", "The amount must be more than £0.00."),
        ({"kind": "subsistence", "amount": "0"}, "amount", "The amount must be more than £0.00."),
        (
            {"kind": "home_online", "amount": "600"},
            "amount",
            "£600.00 is more than the £500.00 a single item may be. Please check it.",
        ),
        (
            {"kind": "subsistence", "amount": "4.555"},
            "amount",
            "Please give the amount in pounds and pence, with at most two decimal places.",
        ),
        (
            {"kind": "subsistence", "amount": "99999999999"},
            "amount",
            "Please check the amount: it is far more than it could be.",
        ),
        (
            {"kind": "subsistence", "amount": "four pounds"},
            "amount",
            "Please enter the amount in pounds and pence, for example 4.50.",
        ),
        ({"kind": "subsistence"}, "amount", "Please give the amount, for example 4.50."),
        (
            {"kind": "subsistence", "amount": "16.00"},
            "amount",
            "Food and drink can be claimed up to £15.00 for a session.",
        ),
        (
            {"kind": "taxi", "amount": "18.00", "receipt": "pdf"},
            "kind",
            "A taxi can only be claimed when the university agreed it before the session. Please ask the coordinator.",
        ),
        (
            {"kind": "parking", "amount": "4.50"},
            "receipt",
            "Parking needs a receipt. Please add a photo or scan of it.",
        ),
        ({"kind": "", "amount": "4.50"}, "kind", "Please choose what the cost was for."),
        ({"kind": "mileage", "amount": "4.50"}, "kind", "Please choose what the cost was for."),
        (
            {"kind": "subsistence", "amount": "4.50", "date": "2026-03-01"},
            "date",
            "The date should be the day of the session, or within a week of it.",
        ),
    ],
)
def test_costs_step_refuses_bad_input_next_to_the_field(
    claim: Claim, browser: Client, fields: dict[str, str], field: str, error: str
) -> None:
    data = cost_post(**fields, then="next")
    if data.get("receipt") == "pdf":
        data["receipt"] = upload()

    response = browser.post(claim_url(claim, "costs/"), data)

    assert (response.status_code, h1(response)) == (400, "Other costs")
    assert error_of(response, field) == error
    assert texts(response, "div", id="error-summary") == [f"There is a problem {LABELS[field]}: {error}"]
    assert item_rows(claim) == []


@pytest.mark.parametrize(
    ("receipt", "error"),
    [
        (
            lambda: upload(b"Just some text, honestly a receipt.\n", "receipt.pdf"),
            "Please send a PDF, a JPEG or a PNG. This file is none of those, whatever its name says.",
        ),
        (
            lambda: upload(b"%PDF-" + b"0" * (50 * 1024 * 1024), "big-scan.pdf"),
            "This file is larger than 10 MB. Please send a smaller photo or scan.",
        ),
        (lambda: upload(b"", "empty.pdf"), "This file is empty. Please choose the photo or scan again."),
    ],
    ids=["text-named-pdf", "fifty-megabytes", "empty"],
)
def test_costs_step_refusing_a_receipt_loses_nothing_saved_or_typed(
    world: World, claim: Claim, browser: Client, receipt: Any, error: str
) -> None:
    add_journey(world, claim)
    data = cost_post(kind="parking", amount="4.50", note="Hospital car park", receipt=receipt(), then="next")

    response = browser.post(claim_url(claim, "costs/"), data)

    assert (response.status_code, error_of(response, "receipt")) == (400, error)
    [amount] = find(response, "input", name="amount")
    [note] = find(response, "input", name="note")
    assert (dict(amount.attributes)["value"], dict(note.attributes)["value"]) == ("4.50", "Hospital car park")
    assert item_rows(claim) == [("mileage", Decimal("5.63"))]
    assert claim.receipts.count() == 0


@pytest.mark.parametrize("action", ["journey/", "costs/", "fee/", "submit/"])
def test_the_steps_of_a_sent_claim_say_it_can_no_longer_change(
    world: World, claim: Claim, browser: Client, action: str
) -> None:
    submitted(claim, world.volunteer)

    shown = browser.get(claim_url(claim, action), follow=True)
    posted = browser.post(claim_url(claim, action), cost_post(kind="subsistence", amount="2.00"), follow=True)

    for response in (shown, posted):
        assert response.redirect_chain == [(claim_url(claim), 302)]
        assert messages_on(response) == [NOT_EDITABLE]
    assert item_rows(claim) == [("subsistence", Decimal("6.50"))]


def test_staff_can_enter_a_paper_claim_on_the_volunteers_behalf(world: World, booking: Booking) -> None:
    claim = open_claim(booking=booking, actor=world.coordinator)
    staff = signed_in(world.coordinator)

    added = staff.post(
        claim_url(claim, "costs/"), cost_post(kind="subsistence", amount="6.00", then="next"), follow=True
    )
    check = staff.get(claim_url(claim, "submit/"))
    sent = staff.post(claim_url(claim, "submit/"), follow=True)

    assert messages_on(added) == ["Added food and drink: £6.00."]
    assert h1(check) == "Check the claim and send it"
    assert text_by_id(check, "p", "claim-of") == f"Claim for “{TITLE}”, Tuesday 17 March 2026, for {NAME}"
    assert messages_on(sent) == ["The claim for £56.00 has been sent for approval."]
    claim.refresh_from_db()
    assert (claim.on_behalf, claim.status, item_rows(claim)) == (True, "submitted", [("subsistence", Decimal("6.00"))])


# Removing an item


@pytest.mark.parametrize(("kind", "step"), [("subsistence", "costs/"), ("mileage", "journey/")])
def test_item_remove_asks_then_removes_and_goes_back_to_its_step(
    world: World, claim: Claim, browser: Client, kind: str, step: str
) -> None:
    if kind == "mileage":
        item = add_journey(world, claim)
        summary = "Mileage on Tuesday 17 March 2026: £5.63."
    else:
        item = add_item(
            claim=claim,
            actor=world.volunteer,
            kind="subsistence",
            date=datetime.date(2026, 3, 17),
            amount=Decimal("6.50"),
            note="Lunch",
        )
        summary = "Food and drink on Tuesday 17 March 2026: £6.50 (Lunch)."
    url = claim_url(claim, f"items/{item.pk}/remove/")

    page = browser.get(url)
    response = browser.post(url, follow=True)

    assert (page.status_code, h1(page)) == (200, "Remove this expense?")
    assert text_by_id(page, "p", "item-summary") == summary
    assert texts(page, "a", href=claim_url(claim, step) + "#items") == ["Keep it"]
    assert response.redirect_chain == [(claim_url(claim, step) + "#items", 302)]
    assert messages_on(response) == [f"Removed {item.get_kind_display().lower()}: £{item.amount}."]
    assert item_rows(claim) == []


def test_item_remove_of_an_item_on_another_claim_is_not_found(
    world: World, card: Any, claim: Claim, profile: VolunteerProfile, browser: Client
) -> None:
    other = open_claim(booking=attended(world, profile, "Another", days_ago=4), actor=world.volunteer)
    item = add_item(
        claim=other, actor=world.volunteer, kind="subsistence", date=datetime.date(2026, 3, 16), amount=Decimal("2.00")
    )

    assert browser.post(claim_url(claim, f"items/{item.pk}/remove/")).status_code == 404
    assert item_rows(other) == [("subsistence", Decimal("2.00"))]


def test_item_remove_on_a_sent_claim_says_it_can_no_longer_change(world: World, claim: Claim, browser: Client) -> None:
    submitted(claim, world.volunteer)
    item = claim.items.get()

    response = browser.post(claim_url(claim, f"items/{item.pk}/remove/"), follow=True)

    assert messages_on(response) == [NOT_EDITABLE]
    assert item_rows(claim) == [("subsistence", Decimal("6.50"))]


# Step 3: the fee


@pytest.mark.parametrize(
    ("data", "choice", "requested", "message"),
    [
        (
            {"choice": "reduced", "reduced_amount": "20"},
            "reduced",
            "20.00",
            "Saved: you are taking £20.00 of the £50.00 fee.",
        ),
        ({"choice": "donate"}, "donate", "0.00", "Saved: you are donating the fee of £50.00 to your charity."),
        (
            {"choice": "decline", "reduced_amount": "20"},
            "decline",
            "0.00",
            "Saved: you are not taking a fee for this session.",
        ),
        ({"choice": "take"}, "take", "50.00", "Saved: you are taking the fee of £50.00."),
    ],
)
def test_fee_choice_is_saved_and_goes_on_to_the_check(
    claim: Claim, browser: Client, data: dict[str, str], choice: str, requested: str, message: str
) -> None:
    response = browser.post(claim_url(claim, "fee/"), data, follow=True)

    assert response.redirect_chain == [(claim_url(claim, "submit/"), 302)]
    assert messages_on(response) == [message]
    claim.refresh_from_db()
    assert (claim.fee_choice, claim.fee_requested) == (choice, Decimal(requested))
    assert texts(section(response, "totals"), "dd")[1] == f"£{requested}"


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({"choice": "reduced"}, "reduced_amount", "Please enter the reduced amount you would like, for example 20.00."),
        (
            {"choice": "reduced", "reduced_amount": "60"},
            "reduced_amount",
            "The reduced amount cannot be more than the fee of £50.00.",
        ),
        (
            {"choice": "reduced", "reduced_amount": "0"},
            "reduced_amount",
            "Please give the reduced amount in pounds and pence, more than £0.00.",
        ),
        (
            {"choice": "reduced", "reduced_amount": "10.001"},
            "reduced_amount",
            "Please give the reduced amount in pounds and pence, with at most two decimal places.",
        ),
        (
            {"choice": "reduced", "reduced_amount": "twenty"},
            "reduced_amount",
            "Please enter the reduced amount in pounds and pence, for example 20.00.",
        ),
        ({"choice": "everything"}, "choice", "Please choose what to do with the fee."),
        ({}, "choice", "Please choose what to do with the fee."),
    ],
)
def test_fee_choice_refuses_bad_input(
    claim: Claim, browser: Client, data: dict[str, str], field: str, error: str
) -> None:
    response = browser.post(claim_url(claim, "fee/"), data)

    assert (response.status_code, h1(response)) == (400, "Your fee")
    assert error_of(response, field) == error
    assert texts(response, "div", id="error-summary") == [f"There is a problem {LABELS[field]}: {error}"]
    claim.refresh_from_db()
    assert (claim.fee_choice, claim.fee_requested) == ("take", Decimal("50.00"))


def test_fee_choice_starts_from_the_volunteers_payment_preference(
    world: World, booking: Booking, profile: VolunteerProfile, browser: Client
) -> None:
    profile.payment_preference = VolunteerProfile.PaymentPreference.EXPENSES_ONLY
    profile.save()
    claim = open_claim(booking=booking, actor=world.volunteer)

    response = browser.get(claim_url(claim, "fee/"))

    assert [dict(radio.attributes)["value"] for radio in find(response, "input", name="choice", checked=None)] == [
        "decline"
    ]
    assert text_by_id(response, "p", "fee-due") == "The fee for this session, by University A's rates, is £50.00."


def test_fee_choice_shows_a_reduced_amount_already_chosen(world: World, claim: Claim, browser: Client) -> None:
    set_fee_choice(claim=claim, actor=world.volunteer, choice="reduced", reduced_amount=Decimal("12.50"))

    response = browser.get(claim_url(claim, "fee/"))

    [reduced] = find(response, "input", name="reduced_amount")
    assert dict(reduced.attributes)["value"] == "12.50"
    assert texts(main(response), "div", class_="form-check") == [
        "Take the fee You are paid the whole fee, as well as your expenses.",
        "Take a reduced amount You choose a smaller amount, for example to stay within a benefits limit. "
        "Enter it below.",
        "Donate the fee to my charity The fee is not paid to you: it is recorded as your gift to your charity. "
        "Your expenses are still paid.",
        "No fee, thank you No fee is paid. Your expenses are still paid back in full.",
    ]


# Step 4: check and send


def test_check_step_shows_everything_with_change_links_then_sends(
    world: World, claim: Claim, booking: Booking, browser: Client
) -> None:
    add_journey(world, claim)
    add_parking(world, claim)
    set_fee_choice(claim=claim, actor=world.volunteer, choice="reduced", reduced_amount=Decimal("20"))
    add_prepaid_cost(booking=booking, actor=world.coordinator, description="Train ticket", amount=Decimal("23.40"))

    page = browser.get(claim_url(claim, "submit/"))
    response = browser.post(claim_url(claim, "submit/"), follow=True)

    assert (page.status_code, h1(page)) == (200, "Check your claim and send it")
    assert rows(section(page, "check-journeys")) == [
        ["Tuesday 17 March 2026", "LS1 4DY to LS2 9JT, by car or van", "12.5", "£5.63"]
    ]
    assert rows(section(page, "check-costs")) == [
        [
            "Parking",
            "Tuesday 17 March 2026",
            "Car park at the hospital",
            "£4.50",
            "Receipt for parking on Tuesday 17 March 2026",
        ]
    ]
    assert text_by_id(page, "p", "fee-choice") == "Take a reduced amount: £20.00 of the £50.00 fee."
    assert texts(section(page, "prepaid"), "li") == ["Train ticket: £23.40"]
    assert texts(section(page, "totals"), "dd") == ["£10.13", "£20.00", "£30.13"]
    assert [
        (text_of(link), dict(link.attributes)["href"])
        for part in ("check-journeys", "check-costs", "check-fee")
        for link in find(section(page, part), "a")
        if text_of(link).startswith("Change")
    ] == [
        ("Change the journeys", claim_url(claim, "journey/")),
        ("Change the other costs", claim_url(claim, "costs/")),
        ("Change the choice about the fee", claim_url(claim, "fee/")),
    ]
    assert texts(section(page, "next"), "p") == [
        "We send the claim to University A to approve. Once it is sent it cannot be changed. "
        "We will email you when it has been looked at, and once it is approved it is paid in the university's "
        "next payment run."
    ]
    assert texts(main(page), "button") == ["Send my claim"]
    assert response.redirect_chain == [(claim_url(claim), 302)]
    assert messages_on(response) == [
        "Thank you. Your claim for £30.13 has been sent to University A. We will email you when it has been looked at."
    ]
    claim.refresh_from_db()
    assert (claim.status, claim.submitted_at) == ("submitted", NOW)
    assert text_by_id(response, "p", "claim-status") == "Where it is: Sent, waiting for approval"
    assert find(response, "section", id="continue") == []


def test_check_step_of_a_claim_with_nothing_to_pay_says_so_and_refuses_to_send(
    world: World, claim: Claim, browser: Client
) -> None:
    set_fee_choice(claim=claim, actor=world.volunteer, choice="decline")
    nothing = "There is nothing to pay on this claim yet: add an expense, or take the fee."

    page = browser.get(claim_url(claim, "submit/"))
    response = browser.post(claim_url(claim, "submit/"))

    assert (texts(page, "div", id="form-errors"), texts(main(page), "button")) == ([nothing], [])
    assert (response.status_code, texts(response, "div", id="form-errors")) == (400, [nothing])
    assert Claim.objects.get(pk=claim.pk).status == "draft"


def test_check_step_of_a_returned_claim_says_what_to_change_and_sends_it_again(
    world: World, claim: Claim, browser: Client
) -> None:
    return_claim(claim=submitted(claim, world.volunteer), actor=world.coordinator, note="Please add the parking.")

    page = browser.get(claim_url(claim, "submit/"))
    browser.post(claim_url(claim, "submit/"))

    assert texts(page, "div", id="decision-note") == [
        "What to change, from University A: Please add the parking. Please make the change and send the claim again."
    ]
    assert Claim.objects.get(pk=claim.pk).status == "submitted"
