"""The approvers' pages: the claims queue, reviewing a claim, approving, rejecting and returning
it, a paper claim on a volunteer's behalf, receipts and a booking's arrangements, through
django.test.Client.

The clock stands at Thursday 5 March 2026, 09:00 UK time. Sessions were three days before, on
Monday 2 March 2026, 10:00-12:00, unless a test says otherwise.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.http import FileResponse, HttpResponse
from django.test import Client
from django.test.html import Element

from accounts.models import Membership, Organisation, User
from expenses.models import BookingArrangement, Claim, ClaimItem, PrepaidCost, Receipt
from expenses.views.approver import download_name
from involvement.models import ActivityLog, Notification
from sessions_app.clock import LONDON
from sessions_app.models import Booking
from tests import factories
from tests.accounts.test_views import find, h1, table_rows, text_of, texts
from tests.conftest import World, signed_in
from tests.expenses.factories import ClaimFactory, ClaimItemFactory, attended_booking, rate_card_for
from tests.sessions_app.factories import BookingFactory, session_at
from volunteers.models import VolunteerProfile

ClaimStatus = Claim.Status
NOW = datetime.datetime(2026, 3, 5, 9, 0, tzinfo=LONDON)
PDF = factories.RECEIPT_PDF  # well-formed: receipts are parsed (expenses.receipts)
QUEUE = "/claims/"


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


# Arranging


def person(world: World, name: str, network: Organisation | None = None) -> VolunteerProfile:
    """A volunteer of Charity A (or ``network``) called ``name``."""
    volunteer = factories.VolunteerProfileFactory(user=factories.UserFactory(name=name))
    factories.NetworkMembershipFactory(volunteer=volunteer, network=network or world.charity)
    return volunteer


def claim_for(
    world: World,
    volunteer: VolunteerProfile,
    status: str = ClaimStatus.SUBMITTED,
    *,
    submitted_days_ago: int | None = 1,
    university: Organisation | None = None,
    title: str = "Breaking bad news",
    **fields: Any,
) -> Claim:
    """A claim for a session of University A (or ``university``) three days ago, with the £50.00 fee
    taken, submitted ``submitted_days_ago`` days ago (None: never)."""
    university = university or world.university
    owner = world.coordinator if university == world.university else world.other_coordinator
    booking = attended_booking(university, owner, volunteer)
    booking.session.title = title
    booking.session.save(update_fields=["title"])
    submitted_at = None if submitted_days_ago is None else NOW - datetime.timedelta(days=submitted_days_ago)
    return ClaimFactory(booking=booking, status=status, submitted_at=submitted_at, **fields)


def receipt_for(
    claim: Claim, *, name: str = "ticket.pdf", content: bytes = PDF, content_type: str = "application/pdf"
) -> Receipt:
    receipt = Receipt(claim=claim, content_type=content_type, original_name=name, size=len(content))
    receipt.file.save(f"claim-{claim.pk}.pdf", ContentFile(content), save=False)
    receipt.save()
    return receipt


def review_url(claim: Claim, page: str = "review") -> str:
    return f"/claims/{claim.pk}/{page}/"


# Reading pages


def flashed(response: HttpResponse) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def definitions(response: HttpResponse, list_id: str) -> dict[str, str]:
    [found] = find(response, "dl", id=list_id)
    return dict(zip(texts(found, "dt"), texts(found, "dd"), strict=True))


def error_of(response: HttpResponse, field: str) -> str:
    """The error under a field, checking the field points at it for screen readers."""
    [control] = find(response, "input", id=f"id_{field}") or find(response, "textarea", id=f"id_{field}")
    [error] = texts(response, "div", id=f"id_{field}_error")
    assert f"id_{field}_error" in (dict(control.attributes).get("aria-describedby") or "").split()
    return error


def main(response: HttpResponse) -> Element:
    """The page's own content, without the header's sign-out form."""
    [content] = find(response, "main")
    return content


def claim_rows(response: HttpResponse) -> list[list[str]]:
    """The rows of the queue's table of claims (not of its budgets)."""
    [table] = find(response, "table", id="claims")
    return [texts(row, "td") for row in find(find(table, "tbody")[0], "tr")]


def queue_names(response: HttpResponse) -> list[str]:
    return [row[1] for row in claim_rows(response)] if find(response, "table", id="claims") else []


def programme_of(claim: Claim) -> str:
    return claim.booking.session.module.programme.name


def notifications() -> list[tuple[str, User | None, str]]:
    return [
        (notification.template_key, notification.recipient, notification.context.get("note", ""))
        for notification in Notification.objects.order_by("pk")
    ]


def download(client: Client, url: str) -> tuple[FileResponse, bytes]:
    response = client.get(url)
    assert isinstance(response, FileResponse)
    content = b"".join(response.streaming_content)  # type: ignore[arg-type]
    response.close()
    return response, content


# The queue


def test_queue_lists_claims_waiting_for_a_decision_oldest_first(world: World) -> None:
    ann = claim_for(world, person(world, "Ann Able"), submitted_days_ago=2, title="Breaking bad news")
    ClaimItemFactory(claim=ann, amount=Decimal("6.50"))
    ClaimItemFactory(claim=ann, kind=ClaimItem.Kind.PARKING, amount=Decimal("12.30"))
    ben = claim_for(world, person(world, "Ben Bell"), submitted_days_ago=12, title="Living with lymphoedema")

    response = signed_in(world.finance).get(QUEUE)

    assert response.status_code == 200
    assert h1(response) == "Claims"
    assert texts(response, "h2", id="heading") == ["Waiting for a decision"]
    assert claim_rows(response) == [
        [
            f"{ben.reference} : review the claim from Ben Bell",
            "Ben Bell",
            programme_of(ben),
            "Living with lymphoedema, Monday 2 March 2026",
            "Saturday 21 February 2026",
            "£50.00",
            "Submitted",
            "12 (decision overdue)",
        ],
        [
            f"{ann.reference} : review the claim from Ann Able",
            "Ann Able",
            programme_of(ann),
            "Breaking bad news, Monday 2 March 2026",
            "Tuesday 3 March 2026",
            "£68.80",
            "Submitted",
            "2",
        ],
    ]
    links = [dict(link.attributes)["href"] for link in find(find(response, "tbody")[0], "a")]
    assert links == [review_url(ben), review_url(ann)]


@pytest.mark.parametrize(
    ("show", "heading", "names"),
    [
        ("submitted", "Waiting for a decision", ["Ben Bell", "Ann Able"]),
        ("overdue", "Overdue", ["Ben Bell"]),
        ("returned", "Returned for changes", ["Cy Cole"]),
        ("approved", "Approved, waiting for payment", ["Di Dee"]),
        ("all", "All claims", ["Gus Gray", "Fay Ford", "Ed Egan", "Di Dee", "Cy Cole", "Ben Bell", "Ann Able"]),
        ("nonsense", "Waiting for a decision", ["Ben Bell", "Ann Able"]),
    ],
)
def test_queue_shows_exactly_the_claims_of_each_view(world: World, show: str, heading: str, names: list[str]) -> None:
    claim_for(world, person(world, "Ann Able"), submitted_days_ago=2)
    claim_for(world, person(world, "Ben Bell"), submitted_days_ago=11)
    claim_for(world, person(world, "Cy Cole"), ClaimStatus.RETURNED, submitted_days_ago=12)
    claim_for(world, person(world, "Di Dee"), ClaimStatus.APPROVED, submitted_days_ago=13)
    claim_for(world, person(world, "Ed Egan"), ClaimStatus.REJECTED, submitted_days_ago=14)
    claim_for(world, person(world, "Fay Ford"), ClaimStatus.DRAFT, submitted_days_ago=None)
    claim_for(world, person(world, "Gus Gray"), ClaimStatus.PAID, submitted_days_ago=20, paid_at=NOW)
    # University B's claims never appear to University A's approvers.
    elsewhere = person(world, "Hal Hart", network=world.other_charity)
    claim_for(world, elsewhere, submitted_days_ago=30, university=world.other_university)

    response = signed_in(world.coordinator).get(f"{QUEUE}?show={show}")

    assert texts(response, "h2", id="heading") == [heading]
    assert queue_names(response) == names


def test_queue_counts_days_to_payment_for_submitted_approved_and_paid_claims_only(world: World) -> None:
    claim_for(world, person(world, "Cy Cole"), ClaimStatus.RETURNED, submitted_days_ago=12)
    claim_for(world, person(world, "Di Dee"), ClaimStatus.APPROVED, submitted_days_ago=13)
    claim_for(world, person(world, "Ed Egan"), ClaimStatus.REJECTED, submitted_days_ago=14)
    claim_for(world, person(world, "Fay Ford"), ClaimStatus.DRAFT, submitted_days_ago=None)
    paid_at = NOW - datetime.timedelta(days=2)
    claim_for(world, person(world, "Gus Gray"), ClaimStatus.PAID, submitted_days_ago=9, paid_at=paid_at)

    response = signed_in(world.finance).get(f"{QUEUE}?show=all")

    assert [(row[1], row[4], row[6], row[7]) for row in claim_rows(response)] == [
        ("Gus Gray", "Tuesday 24 February 2026", "Paid", "7 (paid)"),
        ("Fay Ford", "Not yet", "Draft", "—"),
        ("Ed Egan", "Thursday 19 February 2026", "Rejected", "—"),
        ("Di Dee", "Friday 20 February 2026", "Approved", "13"),
        ("Cy Cole", "Saturday 21 February 2026", "Returned for changes", "—"),
    ]


def test_queue_marks_a_paper_claim(world: World) -> None:
    claim_for(world, person(world, "Ann Able"), on_behalf=True, opened_by=world.coordinator)

    response = signed_in(world.finance).get(QUEUE)

    assert queue_names(response) == ["Ann Able (paper claim)"]


@pytest.mark.parametrize(
    ("show", "empty"),
    [
        ("submitted", "No claims are waiting for a decision."),
        ("overdue", "No claims are overdue. Well done."),
        ("returned", "No claims are waiting for volunteers to change them."),
        ("approved", "No approved claims are waiting for payment."),
        ("all", "There are no claims yet."),
    ],
)
def test_queue_says_when_a_view_is_empty(world: World, show: str, empty: str) -> None:
    response = signed_in(world.finance).get(f"{QUEUE}?show={show}")

    assert (find(response, "table"), empty in texts(response, "p")) == ([], True)


def test_queue_overdue_follows_the_rate_cards_target_days(world: World) -> None:
    rate_card_for(world.university, approval_target_days=3)
    claim = claim_for(world, person(world, "Ann Able"), submitted_days_ago=0)

    # Signed in each time: a staff sign-in lasts a working day (accounts.middleware).
    with time_machine.travel(NOW + datetime.timedelta(days=3, minutes=-1), tick=False):
        not_yet = queue_names(signed_in(world.finance).get(f"{QUEUE}?show=overdue"))
    with time_machine.travel(NOW + datetime.timedelta(days=3, minutes=1), tick=False):
        late = queue_names(signed_in(world.finance).get(f"{QUEUE}?show=overdue"))

    assert (not_yet, late) == ([], ["Ann Able"])
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.SUBMITTED


def test_queue_overdue_uses_each_universitys_card_in_force_today(world: World) -> None:
    rate_card_for(world.university, approval_target_days=3)
    rate_card_for(world.university, effective_from=datetime.date(2026, 4, 6), approval_target_days=30)
    rate_card_for(world.other_university, approval_target_days=7)
    factories.MembershipFactory(user=world.finance, organisation=world.other_university, role=Membership.Role.FINANCE)
    claim_for(world, person(world, "Ann Able"), submitted_days_ago=5)
    bea = person(world, "Bea Best", network=world.other_charity)
    claim_for(world, bea, submitted_days_ago=5, university=world.other_university)
    cy = person(world, "Cy Cole", network=world.other_charity)
    claim_for(world, cy, submitted_days_ago=8, university=world.other_university)

    response = signed_in(world.finance).get(f"{QUEUE}?show=overdue")

    assert queue_names(response) == ["Cy Cole", "Ann Able"]


def test_queue_overdue_without_a_rate_card_uses_ten_days(world: World) -> None:
    claim_for(world, person(world, "Ann Able"), submitted_days_ago=9)
    claim_for(world, person(world, "Ben Bell"), submitted_days_ago=11)

    response = signed_in(world.finance).get(f"{QUEUE}?show=overdue")

    assert queue_names(response) == ["Ben Bell"]


@pytest.mark.parametrize("count", [1, 3])
@pytest.mark.parametrize("show", ["submitted", "overdue", "all"])
@pytest.mark.parametrize("who", ["finance", "coordinator"])
def test_queue_query_count_does_not_grow(
    world: World, django_assert_num_queries, show: str, count: int, who: str
) -> None:
    for number in range(count):
        claim = claim_for(world, person(world, f"Volunteer {number}"), submitted_days_ago=12)
        ClaimItemFactory(claim=claim)
        ClaimItemFactory(claim=claim)
    client = signed_in(getattr(world, who))

    with django_assert_num_queries(9):
        response = client.get(f"{QUEUE}?show={show}")

    assert len(claim_rows(response)) == count


# Reviewing


def test_review_shows_items_receipts_prepaid_costs_fee_totals_and_history(world: World) -> None:
    ann = person(world, "Ann Able")
    claim = claim_for(world, ann, fee_due=Decimal("50.00"), fee_requested=Decimal("20.00"), fee_choice="reduced")
    receipt = receipt_for(claim)
    ClaimItemFactory(
        claim=claim,
        kind=ClaimItem.Kind.MILEAGE,
        amount=Decimal("10.80"),
        miles=Decimal("24.0"),
        vehicle="car",
        from_postcode="LS1 4AP",
        to_postcode="LS2 9JT",
    )
    ClaimItemFactory(
        claim=claim, kind=ClaimItem.Kind.PARKING, amount=Decimal("4.00"), note="Car park B", receipt=receipt
    )
    PrepaidCost.objects.create(booking=claim.booking, description="Hotel, one night", amount=Decimal("89.00"))

    response = signed_in(world.finance).get(review_url(claim))

    assert response.status_code == 200
    assert h1(response) == f"Claim {claim.reference} from Ann Able"
    assert definitions(response, "claim-summary") == {
        "Volunteer": "Ann Able",
        "Session": "Breaking bad news, Monday 2 March 2026, 10:00–12:00 (University A)",
        "Status": "Submitted",
        "Total to pay": "£34.80",
    }
    assert table_rows(response) == [
        ["Monday 2 March 2026", "Mileage", "24.0 miles by car or van, LS1 4AP to LS2 9JT.", "£10.80", "None"],
        [
            "Monday 2 March 2026",
            "Parking",
            "Car park B",
            "£4.00",
            "Download the receipt for parking on Monday 2 March 2026",
        ],
    ]
    [receipt_link] = find(find(response, "tbody")[0], "a")
    assert dict(receipt_link.attributes)["href"] == f"/receipts/{receipt.pk}/"
    assert texts(response, "ul", id="prepaid-costs") == ["Hotel, one night: £89.00"]
    assert definitions(response, "totals") == {
        "Fee due by the rate card": "£50.00",
        "The volunteer’s choice": "Take a reduced amount",
        "Fee to pay": "£20.00",
        "Expenses to pay": "£14.80",
        "Total to pay": "£34.80",
        "Paid by the university (not included)": "£89.00",
    }
    assert definitions(response, "history-list") == {
        "Opened": "Thursday 5 March 2026, 09:00 by the volunteer",
        "Submitted": "Wednesday 4 March 2026, 09:00",
        "Decided": "Not yet",
        "Paid": "Not yet",
        "Days to payment": "1 day since it was sent, not paid yet. The target is to pay within 30 days.",
    }
    assert find(response, "p", id="on-behalf") == []
    assert texts(response, "h3") == ["Approve", "Return for changes", "Reject"]
    forms = [dict(form.attributes)["action"] for form in find(main(response), "form", method="post")]
    assert forms == [review_url(claim, "approve"), review_url(claim, "return"), review_url(claim, "reject")]


@pytest.mark.parametrize("count", [1, 3])
def test_review_query_count_does_not_grow(world: World, django_assert_num_queries: Any, count: int) -> None:
    claim = claim_for(world, person(world, "Ann Able"))
    for number in range(count):
        ClaimItemFactory(
            claim=claim, kind=ClaimItem.Kind.PARKING, receipt=receipt_for(claim), note=f"Car park {number}"
        )
        PrepaidCost.objects.create(booking=claim.booking, description=f"Ticket {number}", amount=Decimal("9.00"))
    client = signed_in(world.finance)

    with django_assert_num_queries(11):
        response = client.get(review_url(claim))

    assert (len(table_rows(response)), len(texts(response, "ul", id="prepaid-costs"))) == (count, 1)


def test_review_offers_no_decision_on_ones_own_claim(world: World) -> None:
    own = factories.VolunteerProfileFactory(user=world.coordinator)
    claim = claim_for(world, own)

    response = signed_in(world.coordinator).get(review_url(claim))

    assert (texts(response, "h3"), find(main(response), "form", method="post")) == ([], [])


def test_a_decision_page_for_ones_own_claim_says_so(world: World) -> None:
    own = factories.VolunteerProfileFactory(user=world.finance)
    claim = claim_for(world, own)

    response = signed_in(world.finance).get(review_url(claim, "approve"))

    assert texts(response, "p", id="nothing-to-decide") == ["You cannot decide on your own claim. Go back to the claim"]
    assert find(main(response), "form", method="post") == []


def test_review_of_a_decided_claim_shows_who_decided_and_why_and_no_decision_forms(world: World) -> None:
    claim = claim_for(
        world,
        person(world, "Ann Able"),
        ClaimStatus.REJECTED,
        decided_at=NOW - datetime.timedelta(hours=2),
        decided_by=world.coordinator,
        decision_note="This session was paid for by the charity.",
    )

    response = signed_in(world.finance).get(review_url(claim))

    assert definitions(response, "history-list") == {
        "Opened": "Thursday 5 March 2026, 09:00 by the volunteer",
        "Submitted": "Wednesday 4 March 2026, 09:00",
        "Decided": f"Thursday 5 March 2026, 07:00 by {world.coordinator.name}",
        "Reason": "This session was paid for by the charity.",
        "Paid": "Not yet",
        "Days to payment": "Not counted: the claim was not approved.",
    }
    assert (texts(response, "h3"), find(main(response), "form", method="post")) == ([], [])
    assert "No expenses are claimed." in texts(response, "p")


def test_review_says_a_paper_claim_was_entered_on_the_volunteers_behalf(world: World) -> None:
    claim = claim_for(world, person(world, "Ann Able"), ClaimStatus.DRAFT, on_behalf=True, opened_by=world.coordinator)

    response = signed_in(world.finance).get(review_url(claim))

    assert texts(response, "p", id="on-behalf") == [
        f"Entered from a paper claim on Ann Able’s behalf by {world.coordinator.name}. Add or change its items"
    ]
    [link] = find(find(response, "p", id="on-behalf")[0], "a")
    assert dict(link.attributes)["href"] == f"/money/claims/{claim.pk}/"
    assert definitions(response, "history-list")["Opened"] == (
        f"Thursday 5 March 2026, 09:00 by {world.coordinator.name}, on the volunteer’s behalf"
    )


# Approving


def test_approve_page_asks_to_confirm(world: World) -> None:
    claim = claim_for(world, person(world, "Ann Able"))

    response = signed_in(world.finance).get(review_url(claim, "approve"))

    assert response.status_code == 200
    assert h1(response) == f"Approve claim {claim.reference} from Ann Able?"
    assert texts(main(response), "button") == ["Approve the claim"]
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.SUBMITTED


def test_approve_approves_emails_the_volunteer_and_returns_to_the_queue(world: World) -> None:
    ann = person(world, "Ann Able")
    claim = claim_for(world, ann)

    response = signed_in(world.finance).post(review_url(claim, "approve"))

    assert (response.status_code, response["Location"]) == (302, QUEUE)
    assert flashed(response) == [f"Claim {claim.reference} is approved. We have emailed Ann Able to let them know."]
    claim.refresh_from_db()
    assert (claim.status, claim.decided_at, claim.decided_by) == (ClaimStatus.APPROVED, NOW, world.finance)
    # Ann has no payee reference at University A yet: she is asked for its payee form, once.
    assert notifications() == [("expenses/claim_approved", ann.user, ""), ("expenses/payee_form", ann.user, "")]
    assert list(ActivityLog.objects.filter(action="claim.approved").values_list("actor", "object_id")) == [
        (world.finance.pk, str(claim.pk))
    ]


def test_approving_twice_says_so_and_changes_nothing(world: World) -> None:
    claim = claim_for(world, person(world, "Ann Able"))
    client = signed_in(world.finance)
    client.post(review_url(claim, "approve"))
    first = Claim.objects.get(pk=claim.pk)

    with time_machine.travel(NOW + datetime.timedelta(hours=1), tick=False):
        response = signed_in(world.coordinator).post(review_url(claim, "approve"))

    assert response.status_code == 400
    assert texts(response, "div", id="decision-error") == ["This claim is approved, so it cannot be approved now."]
    assert find(main(response), "button") == []
    again = Claim.objects.get(pk=claim.pk)
    assert (again.status, again.decided_at, again.decided_by) == (first.status, first.decided_at, world.finance)
    assert [key for key, _user, _note in notifications()] == ["expenses/claim_approved", "expenses/payee_form"]


def test_approving_ones_own_claim_is_refused(world: World) -> None:
    own = factories.VolunteerProfileFactory(user=world.coordinator)
    factories.NetworkMembershipFactory(volunteer=own, network=world.charity)
    claim = claim_for(world, own)

    response = signed_in(world.coordinator).post(review_url(claim, "approve"))

    assert response.status_code == 400
    assert texts(response, "div", id="decision-error") == ["You cannot decide on your own claim."]
    claim.refresh_from_db()
    assert (claim.status, claim.decided_at, claim.decided_by) == (ClaimStatus.SUBMITTED, None, None)
    assert notifications() == []


@pytest.mark.parametrize("page", ["approve", "reject", "return"])
def test_another_universitys_claim_is_missing_for_university_a_finance(world: World, page: str) -> None:
    bea = person(world, "Bea Best", network=world.other_charity)
    claim = claim_for(world, bea, university=world.other_university)
    client = signed_in(world.finance)

    reviewed = client.get(review_url(claim))
    seen = client.get(review_url(claim, page))
    decided = client.post(review_url(claim, page), {"reason": "No.", "note": "No."})

    assert (reviewed.status_code, seen.status_code, decided.status_code) == (404, 404, 404)
    claim.refresh_from_db()
    assert (claim.status, claim.decided_by, notifications()) == (ClaimStatus.SUBMITTED, None, [])


@pytest.mark.parametrize("page", ["approve", "reject", "return"])
def test_a_decision_page_for_a_claim_already_decided_says_there_is_nothing_to_decide(world: World, page: str) -> None:
    claim = claim_for(world, person(world, "Ann Able"), ClaimStatus.APPROVED)

    response = signed_in(world.finance).get(review_url(claim, page))

    assert response.status_code == 200
    assert texts(response, "p", id="nothing-to-decide") == [
        "This claim is approved, so there is nothing to decide now. Go back to the claim"
    ]
    assert find(main(response), "form", method="post") == []


# Rejecting a claim, or returning it for changes


def test_reject_page_shows_the_form_for_the_reason(world: World) -> None:
    claim = claim_for(world, person(world, "Ann Able"))

    response = signed_in(world.coordinator).get(review_url(claim, "reject"))

    assert h1(response) == f"Reject claim {claim.reference} from Ann Able?"
    assert texts(response, "label") == ["Why is the claim rejected? *"]
    assert texts(main(response), "button") == ["Reject the claim"]


def test_reject_records_the_reason_emails_the_volunteer_and_returns_to_the_queue(world: World) -> None:
    ann = person(world, "Ann Able")
    claim = claim_for(world, ann)

    response = signed_in(world.coordinator).post(
        review_url(claim, "reject"), {"reason": "  The charity paid for this session.  "}
    )

    assert (response.status_code, response["Location"]) == (302, QUEUE)
    assert flashed(response) == [f"Claim {claim.reference} is rejected. We have emailed Ann Able with your reason."]
    claim.refresh_from_db()
    assert (claim.status, claim.decided_at, claim.decided_by, claim.decision_note) == (
        ClaimStatus.REJECTED,
        NOW,
        world.coordinator,
        "The charity paid for this session.",
    )
    assert notifications() == [("expenses/claim_rejected", ann.user, "The charity paid for this session.")]


@pytest.mark.parametrize("reason", ["", "   "])
def test_rejecting_without_a_reason_asks_for_one_and_changes_nothing(world: World, reason: str) -> None:
    claim = claim_for(world, person(world, "Ann Able"))

    response = signed_in(world.coordinator).post(review_url(claim, "reject"), {"reason": reason})

    assert response.status_code == 400
    assert error_of(response, "reason") == "Please give the reason: the volunteer will read it."
    claim.refresh_from_db()
    assert (claim.status, claim.decision_note, notifications()) == (ClaimStatus.SUBMITTED, "", [])


def test_rejecting_ones_own_claim_is_refused(world: World) -> None:
    own = factories.VolunteerProfileFactory(user=world.finance)
    claim = claim_for(world, own)

    response = signed_in(world.finance).post(review_url(claim, "reject"), {"reason": "Testing."})

    assert response.status_code == 400
    assert texts(response, "div", id="decision-error") == ["You cannot decide on your own claim."]
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.SUBMITTED


def test_return_sends_the_claim_back_with_the_note_and_emails_the_volunteer(world: World) -> None:
    ann = person(world, "Ann Able")
    claim = claim_for(world, ann)

    response = signed_in(world.finance).post(review_url(claim, "return"), {"note": "Please add the parking receipt."})

    assert (response.status_code, response["Location"]) == (302, QUEUE)
    assert flashed(response) == [f"Claim {claim.reference} is returned to Ann Able. We have emailed them your note."]
    claim.refresh_from_db()
    assert (claim.status, claim.decided_by, claim.decision_note) == (
        ClaimStatus.RETURNED,
        world.finance,
        "Please add the parking receipt.",
    )
    assert notifications() == [("expenses/claim_returned", ann.user, "Please add the parking receipt.")]


def test_returning_without_a_note_asks_for_one_and_changes_nothing(world: World) -> None:
    claim = claim_for(world, person(world, "Ann Able"))

    response = signed_in(world.finance).post(review_url(claim, "return"), {"note": ""})

    assert response.status_code == 400
    assert h1(response) == f"Return claim {claim.reference} from Ann Able?"
    assert error_of(response, "note") == "Please say what needs changing: the volunteer will read it."
    assert (Claim.objects.get(pk=claim.pk).status, notifications()) == (ClaimStatus.SUBMITTED, [])


def test_rejecting_a_returned_claim_says_so(world: World) -> None:
    claim = claim_for(world, person(world, "Ann Able"), ClaimStatus.RETURNED)

    response = signed_in(world.finance).post(review_url(claim, "reject"), {"reason": "Too late."})

    assert response.status_code == 400
    assert texts(response, "div", id="decision-error") == [
        "This claim is returned for changes, so it cannot be rejected now."
    ]
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.RETURNED


# A paper claim on a volunteer's behalf


def test_claim_on_behalf_asks_to_confirm(world: World) -> None:
    booking = attended_booking(world.university, world.coordinator, person(world, "Ann Able"))
    booking.session.title = "Breaking bad news"
    booking.session.save(update_fields=["title"])

    response = signed_in(world.coordinator).get(f"/claims/on-behalf/{booking.pk}/")

    assert response.status_code == 200
    assert (h1(response), texts(response, "p", id="session-title")) == (
        "Enter a paper claim for Ann Able",
        ["Breaking bad news"],
    )
    assert texts(main(response), "button") == ["Start the claim"]
    assert Claim.objects.count() == 0


@pytest.mark.parametrize("staff", ["coordinator", "finance"])
def test_claim_on_behalf_opens_the_claim_recorded_as_such(world: World, staff: str) -> None:
    rate_card_for(world.university)
    ann = person(world, "Ann Able")
    booking = attended_booking(world.university, world.coordinator, ann)
    actor = getattr(world, staff)

    response = signed_in(actor).post(f"/claims/on-behalf/{booking.pk}/")

    claim = Claim.objects.get()
    assert (response.status_code, response["Location"]) == (302, f"/money/claims/{claim.pk}/")
    assert flashed(response) == ["The claim is open. Please add each item from the paper claim, then send it."]
    assert (claim.booking, claim.volunteer, claim.status, claim.on_behalf, claim.opened_by, claim.fee_due) == (
        booking,
        ann,
        ClaimStatus.DRAFT,
        True,
        actor,
        Decimal("50.00"),
    )
    assert list(ActivityLog.objects.filter(action="claim.opened_on_behalf").values_list("actor", flat=True)) == [
        actor.pk
    ]


def test_claim_on_behalf_for_a_session_not_attended_says_so(world: World) -> None:
    session = session_at(world.university, world.coordinator)
    booking = BookingFactory(session=session, volunteer=person(world, "Ann Able"), status=Booking.Status.ACCEPTED)

    response = signed_in(world.coordinator).post(f"/claims/on-behalf/{booking.pk}/")

    assert response.status_code == 400
    assert texts(response, "div", id="claim-error") == [
        "A claim can only be made for a session the volunteer attended."
    ]
    assert Claim.objects.count() == 0


def test_claim_on_behalf_for_a_session_not_attended_says_so_before_asking(world: World) -> None:
    session = session_at(world.university, world.coordinator)
    booking = BookingFactory(session=session, volunteer=person(world, "Ann Able"), status=Booking.Status.ACCEPTED)

    response = signed_in(world.coordinator).get(f"/claims/on-behalf/{booking.pk}/")

    assert (response.status_code, texts(response, "div", id="claim-error")) == (
        200,
        ["A claim can only be made for a session the volunteer attended."],
    )
    assert find(main(response), "form", method="post") == []


def test_claim_on_behalf_when_a_claim_exists_points_to_it(world: World) -> None:
    claim = claim_for(world, person(world, "Ann Able"))

    response = signed_in(world.coordinator).get(f"/claims/on-behalf/{claim.booking_id}/")

    assert texts(response, "p", id="existing") == [
        f"There is already a claim for this session ({claim.reference}, submitted). Look at the claim"
    ]
    assert find(main(response), "form", method="post") == []


def test_claim_on_behalf_for_another_universitys_booking_is_missing(world: World) -> None:
    booking = attended_booking(world.other_university, world.other_coordinator, person(world, "Bea Best"))

    seen = signed_in(world.coordinator).get(f"/claims/on-behalf/{booking.pk}/")
    opened = signed_in(world.finance).post(f"/claims/on-behalf/{booking.pk}/")

    assert (seen.status_code, opened.status_code, Claim.objects.count()) == (404, 404, 0)


# Receipts


@pytest.mark.parametrize("who", ["claimant", "coordinator", "finance"])
def test_receipt_downloads_as_an_attachment_that_is_not_sniffed_or_cached(world: World, who: str) -> None:
    ann = person(world, "Ann Able")
    receipt = receipt_for(claim_for(world, ann), name="Train ticket.pdf")
    user = ann.user if who == "claimant" else getattr(world, who)

    response, content = download(signed_in(user), f"/receipts/{receipt.pk}/")

    assert response.status_code == 200
    assert content == PDF
    assert (
        response["Content-Type"],
        response["Content-Disposition"],
        response["X-Content-Type-Options"],
        response["Cache-Control"],
        response["Content-Length"],
    ) == ("application/pdf", 'attachment; filename="Train ticket.pdf"', "nosniff", "private, no-store", str(len(PDF)))


@pytest.mark.parametrize(
    "who", ["outsider", "lead", "admin", "other_finance", "other_coordinator", "another volunteer"]
)
def test_receipt_is_missing_for_anyone_else(world: World, who: str) -> None:
    receipt = receipt_for(claim_for(world, person(world, "Ann Able")))
    user = person(world, "Bo Brown").user if who == "another volunteer" else getattr(world, who)

    response = signed_in(user).get(f"/receipts/{receipt.pk}/")

    assert response.status_code == 404


def test_receipt_needs_sign_in(world: World, client: Client) -> None:
    receipt = receipt_for(claim_for(world, person(world, "Ann Able")))

    response = client.get(f"/receipts/{receipt.pk}/")

    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next=/receipts/{receipt.pk}/")


def test_receipt_whose_file_is_gone_is_missing(world: World) -> None:
    receipt = receipt_for(claim_for(world, person(world, "Ann Able")))
    receipt.file.delete(save=False)

    response = signed_in(world.finance).get(f"/receipts/{receipt.pk}/")

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("original", "content_type", "expected"),
    [
        ("ticket.pdf", "application/pdf", "ticket.pdf"),
        ("Reçu café.JPG", "image/jpeg", "Recu cafe.jpg"),
        ("../../etc/passwd", "application/pdf", "passwd.pdf"),
        ("C:\\Users\\ann\\parking.png", "image/png", "parking.png"),
        ('bad"name;\r\nX-Evil: 1.exe', "image/png", "bad_name_X-Evil_ 1.png"),
        ("invoice.pdf.exe", "application/pdf", "invoice_pdf.pdf"),
        (".hidden", "image/png", "hidden.png"),
        ("...", "application/pdf", "receipt.pdf"),
        ("", "image/jpeg", "receipt.jpg"),
        ("出租车.png", "image/png", "receipt.png"),
    ],
)
def test_download_name_is_safe_and_ends_with_what_the_file_really_is(
    original: str, content_type: str, expected: str
) -> None:
    assert download_name(Receipt(original_name=original, content_type=content_type)) == expected


# Arrangements


def arrangements_url(booking: Booking, form: str = "") -> str:
    """The page, or the URL its taxi or prepaid-cost form posts to."""
    return f"/bookings/{booking.pk}/arrangements/{form + '/' if form else ''}"


def test_arrangements_page_shows_the_taxi_agreement_and_the_costs_paid(world: World) -> None:
    booking = attended_booking(world.university, world.coordinator, person(world, "Ann Able"))
    booking.session.title = "Breaking bad news"
    booking.session.save(update_fields=["title"])
    BookingArrangement.objects.create(booking=booking, taxi_preapproved=True, notes="Both ways.")
    PrepaidCost.objects.create(
        booking=booking, description="Train ticket", amount=Decimal("42.10"), recorded_by=world.coordinator
    )
    PrepaidCost.objects.create(booking=booking, description="Hotel", amount=Decimal("89.00"))

    response = signed_in(world.coordinator).get(arrangements_url(booking))

    assert response.status_code == 200
    assert (h1(response), texts(response, "p", id="session-title")) == (
        "Travel and costs for Ann Able",
        ["Breaking bad news"],
    )
    [taxi] = find(response, "input", id="id_taxi_preapproved")
    assert "checked" in dict(taxi.attributes)
    assert texts(response, "textarea", id="id_notes") == ["Both ways."]
    assert table_rows(response) == [
        ["Train ticket", "£42.10", f"Thursday 5 March 2026 by {world.coordinator.name}"],
        ["Hotel", "£89.00", "Thursday 5 March 2026"],
    ]
    assert texts(response, "p", id="prepaid-total") == ["Total paid by the university: £131.10"]
    [amount] = find(response, "input", id="id_amount")
    assert (dict(amount.attributes)["type"], dict(amount.attributes)["inputmode"]) == ("text", "decimal")
    assert [dict(form.attributes)["action"] for form in find(main(response), "form", method="post")] == [
        arrangements_url(booking, "taxi"),
        arrangements_url(booking, "prepaid"),
    ]


@pytest.mark.parametrize("count", [1, 3])
def test_arrangements_page_query_count_does_not_grow(world: World, django_assert_num_queries: Any, count: int) -> None:
    booking = attended_booking(world.university, world.coordinator, person(world, "Ann Able"))
    BookingArrangement.objects.create(booking=booking, taxi_preapproved=True)
    for number in range(count):
        PrepaidCost.objects.create(
            booking=booking, description=f"Ticket {number}", amount=Decimal("9.00"), recorded_by=world.coordinator
        )
    client = signed_in(world.coordinator)

    with django_assert_num_queries(8):
        response = client.get(arrangements_url(booking))

    assert len(table_rows(response)) == count


def test_arrangements_agree_a_taxi(world: World) -> None:
    booking = attended_booking(world.university, world.coordinator, person(world, "Ann Able"))

    response = signed_in(world.coordinator).post(
        arrangements_url(booking, "taxi"), {"taxi_preapproved": "on", "notes": " From home. "}
    )

    assert (response.status_code, response["Location"]) == (302, arrangements_url(booking))
    assert flashed(response) == ["Ann Able can claim a taxi for this session."]
    arrangement = BookingArrangement.objects.get(booking=booking)
    assert (arrangement.taxi_preapproved, arrangement.notes) == (True, "From home.")
    assert list(ActivityLog.objects.values_list("action", flat=True)) == ["booking.taxi_preapproved"]


def test_arrangements_withdraw_a_taxi(world: World) -> None:
    booking = attended_booking(world.university, world.coordinator, person(world, "Ann Able"))
    BookingArrangement.objects.create(booking=booking, taxi_preapproved=True)

    response = signed_in(world.coordinator).post(arrangements_url(booking, "taxi"), {"notes": ""})

    assert flashed(response) == ["No taxi is agreed for Ann Able."]
    assert BookingArrangement.objects.get(booking=booking).taxi_preapproved is False


@pytest.mark.parametrize(("typed", "amount"), [("42.10", "42.10"), ("£1,024.50", "1024.50"), (" 7 ", "7.00")])
def test_arrangements_record_a_cost_the_university_paid(world: World, typed: str, amount: str) -> None:
    booking = attended_booking(world.university, world.coordinator, person(world, "Ann Able"))

    response = signed_in(world.coordinator).post(
        arrangements_url(booking, "prepaid"), {"description": "Train ticket", "amount": typed}
    )

    assert (response.status_code, response["Location"]) == (302, arrangements_url(booking))
    assert flashed(response) == [f"Recorded Train ticket (£{Decimal(amount):.2f}), paid by the university."]
    assert list(PrepaidCost.objects.values_list("booking", "description", "amount", "recorded_by")) == [
        (booking.pk, "Train ticket", Decimal(amount), world.coordinator.pk)
    ]


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("", "Please enter the amount in pounds and pence, for example 24.50."),
        ("0", "The amount must be more than £0.00."),
        ("-5.00", "The amount must be more than £0.00."),
        ("12.345", "Please give the amount in pounds and pence, with at most two decimal places."),
        ("twelve", "Please enter the amount in pounds and pence, for example 24.50."),
        ("NaN", "Please enter the amount in pounds and pence, for example 24.50."),
        ("123456789012", "Please check the amount: it is far more than it could be."),
    ],
)
def test_arrangements_refuse_a_bad_amount_next_to_the_field(world: World, typed: str, error: str) -> None:
    booking = attended_booking(world.university, world.coordinator, person(world, "Ann Able"))

    response = signed_in(world.coordinator).post(
        arrangements_url(booking, "prepaid"), {"description": "Train ticket", "amount": typed}
    )

    assert response.status_code == 400
    assert (h1(response), error_of(response, "amount")) == ("Travel and costs for Ann Able", error)
    assert PrepaidCost.objects.count() == 0


def test_arrangements_ask_what_the_cost_was_for(world: World) -> None:
    booking = attended_booking(world.university, world.coordinator, person(world, "Ann Able"))

    response = signed_in(world.coordinator).post(
        arrangements_url(booking, "prepaid"), {"description": "  ", "amount": "10.00"}
    )

    assert response.status_code == 400
    assert error_of(response, "description") == "Please say what was paid for."
    assert PrepaidCost.objects.count() == 0


def test_arrangements_of_another_universitys_booking_are_missing(world: World) -> None:
    booking = attended_booking(world.other_university, world.other_coordinator, person(world, "Bea Best"))
    client = signed_in(world.coordinator)

    seen = client.get(arrangements_url(booking))
    taxi = client.post(arrangements_url(booking, "taxi"), {"taxi_preapproved": "on"})
    cost = client.post(arrangements_url(booking, "prepaid"), {"description": "Train ticket", "amount": "9.00"})

    assert (seen.status_code, taxi.status_code, cost.status_code) == (404, 404, 404)
    assert (BookingArrangement.objects.count(), PrepaidCost.objects.count()) == (0, 0)


def test_arrangements_page_itself_takes_no_post(world: World) -> None:
    booking = attended_booking(world.university, world.coordinator, person(world, "Ann Able"))
    BookingArrangement.objects.create(booking=booking, taxi_preapproved=True)

    response = signed_in(world.coordinator).post(arrangements_url(booking), {"taxi_preapproved": ""})

    assert response.status_code == 405
    assert (BookingArrangement.objects.get(booking=booking).taxi_preapproved, PrepaidCost.objects.count()) == (True, 0)


@pytest.mark.parametrize("form", ["taxi", "prepaid"])
def test_arrangements_forms_are_not_for_finance(world: World, form: str) -> None:
    booking = attended_booking(world.university, world.coordinator, person(world, "Ann Able"))

    response = signed_in(world.finance).post(
        arrangements_url(booking, form), {"taxi_preapproved": "on", "description": "Hotel", "amount": "80.00"}
    )

    assert response.status_code == 403
    assert (BookingArrangement.objects.count(), PrepaidCost.objects.count()) == (0, 0)


def test_arrangements_taxi_form_takes_no_get(world: World) -> None:
    booking = attended_booking(world.university, world.coordinator, person(world, "Ann Able"))

    assert signed_in(world.coordinator).get(arrangements_url(booking, "taxi")).status_code == 405


# The links from the coordinator's session page


def test_session_page_links_to_travel_and_costs_and_to_a_paper_claim(world: World) -> None:
    session = session_at(
        world.university,
        world.coordinator,
        starts_at=NOW - datetime.timedelta(days=2),
        ends_at=NOW - datetime.timedelta(days=2) - datetime.timedelta(hours=-2),
    )
    waiting = BookingFactory(session=session, volunteer=person(world, "Ann Able"), status=Booking.Status.ACCEPTED)
    came = BookingFactory(session=session, volunteer=person(world, "Ben Bell"), status=Booking.Status.ATTENDED)
    claimed = BookingFactory(session=session, volunteer=person(world, "Cy Cole"), status=Booking.Status.ATTENDED)
    ClaimFactory(booking=claimed)

    response = signed_in(world.coordinator).get(f"/sessions/{session.pk}/")

    links = [(text_of(link), dict(link.attributes)["href"]) for link in find(response, "a")]
    costs = [link for link in links if link[0].startswith(("Travel and costs", "Enter a paper claim"))]
    assert costs == [
        ("Travel and costs for Ann Able", f"/bookings/{waiting.pk}/arrangements/"),
        ("Travel and costs for Ben Bell", f"/bookings/{came.pk}/arrangements/"),
        ("Enter a paper claim for Ben Bell", f"/claims/on-behalf/{came.pk}/"),
        ("Travel and costs for Cy Cole", f"/bookings/{claimed.pk}/arrangements/"),
    ]
