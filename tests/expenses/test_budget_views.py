"""Budgets on the pages: the budgets page and setting a programme's budget (finance officers and
org admins), the programme's position beside a claim under review, approving past the budget with
a reason, and the budgets of the programmes in the claims queue; through django.test.Client.

The clock stands at Friday 20 November 2026, 09:00 UK time, in the academic year 2026/27.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.http import HttpResponse

from accounts.models import Membership, Organisation
from expenses.models import Claim, Payment, ProgrammeBudget, ReimbursementRun
from involvement.models import ActivityLog
from sessions_app.clock import LONDON
from sessions_app.models import Booking, Programme, TeachingSession
from tests import factories
from tests.accounts.test_views import field_error, find, h1, text_of, texts
from tests.conftest import World, signed_in
from tests.expenses.factories import ClaimFactory, ClaimItemFactory
from tests.sessions_app.factories import BookingFactory, ModuleFactory, ProgrammeFactory, TeachingSessionFactory
from volunteers.models import VolunteerProfile

ClaimStatus = Claim.Status
NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=LONDON)
BUDGETS = "/budgets/"
QUEUE = "/claims/"
RADIOGRAPHY = "BSc (Hons) Diagnostic Radiography"
NURSING = "BSc (Hons) Adult Nursing"


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


# Arranging


def programme_of(university: Organisation, name: str, year: str = "2026/27") -> Programme:
    return ProgrammeFactory(university=university, name=name, academic_year=year)


def person(world: World, name: str) -> VolunteerProfile:
    volunteer = factories.VolunteerProfileFactory(user=factories.UserFactory(name=name))
    factories.NetworkMembershipFactory(volunteer=volunteer, network=world.charity)
    return volunteer


def claim_on(
    world: World,
    programme: Programme,
    status: str,
    *,
    fee: str = "0.00",
    items: tuple[str, ...] = (),
    name: str = "Ann Able",
    days_ago: int = 10,
) -> Claim:
    """A claim from ``name`` for a session of ``programme`` ``days_ago`` days ago, with the fee
    taken and these items; a paid one has its payment of the whole."""
    starts_at = NOW - datetime.timedelta(days=days_ago)
    session = TeachingSessionFactory(
        module=ModuleFactory(programme=programme),
        title="Breaking bad news",
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=2),
        owner=world.coordinator,
        status=TeachingSession.Status.COMPLETED,
    )
    booking = BookingFactory(
        session=session, volunteer=person(world, name), status=Booking.Status.ATTENDED, hours=Decimal("2.00")
    )
    claim = ClaimFactory(
        booking=booking,
        status=status,
        fee_due=Decimal(fee),
        fee_requested=Decimal(fee),
        submitted_at=starts_at + datetime.timedelta(days=1),
        paid_at=NOW if status == ClaimStatus.PAID else None,
    )
    for amount in items:
        ClaimItemFactory(claim=claim, amount=Decimal(amount))
    if status == ClaimStatus.PAID:
        run = ReimbursementRun.objects.filter(organisation=programme.university).first()
        Payment.objects.create(
            key=f"claim-{claim.pk}-fee",
            run=run or ReimbursementRun.objects.create(organisation=programme.university),
            claim=claim,
            volunteer=claim.volunteer,
            kind=Payment.Kind.FEE,
            amount=Decimal(fee) + sum((Decimal(amount) for amount in items), Decimal("0.00")),
        )
    return claim


def budget(programme: Programme, amount: str, year: int = 2026) -> ProgrammeBudget:
    return ProgrammeBudget.objects.create(programme=programme, academic_year=year, amount=Decimal(amount))


def budget_rows(response: HttpResponse, table_id: str = "budgets") -> list[list[str]]:
    [table] = find(response, "table", id=table_id)
    return [texts(row, "td") for row in find(find(table, "tbody")[0], "tr")]


def definitions(response: HttpResponse, list_id: str) -> dict[str, str]:
    [found] = find(response, "dl", id=list_id)
    return dict(zip(texts(found, "dt"), texts(found, "dd"), strict=True))


def flashed(response: HttpResponse) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def textarea_error(response: HttpResponse, field: str) -> str:
    [control] = find(response, "textarea", id=f"id_{field}")
    [error] = texts(response, "div", id=f"id_{field}_error")
    assert f"id_{field}_error" in (dict(control.attributes).get("aria-describedby") or "").split()
    return error


@pytest.fixture
def radiography(world: World) -> Programme:
    """University A's radiography programme: £1,200.00 this year, £1,000.00 spent (paid) and
    £150.00 committed (approved): £50.00 left."""
    programme = programme_of(world.university, RADIOGRAPHY)
    claim_on(world, programme, ClaimStatus.PAID, fee="900.00", items=("100.00",), name="Paid Person")
    claim_on(world, programme, ClaimStatus.APPROVED, fee="100.00", items=("45.50", "4.50"), name="Approved Person")
    budget(programme, "1200.00")
    return programme


# The budgets page


def test_budgets_page_lists_this_years_programmes_with_budget_spent_committed_and_remaining(
    world: World, radiography: Programme
) -> None:
    nursing = programme_of(world.university, NURSING)
    claim_on(world, nursing, ClaimStatus.APPROVED, fee="30.00", items=("0.01",))
    physio = programme_of(world.university, "BSc (Hons) Physiotherapy")
    budget(physio, "0.00")
    claim_on(world, physio, ClaimStatus.APPROVED, fee="12.50")
    programme_of(world.university, "BSc (Hons) Old Programme", "2024/25")
    programme_of(world.other_university, "BSc (Hons) Their Programme")

    response = signed_in(world.finance).get(BUDGETS)

    assert response.status_code == 200
    assert (h1(response), texts(response, "h2", id="heading")) == ("Programme budgets", ["2026/27"])
    assert budget_rows(response) == [
        [NURSING, "No budget set", "£0.00", "£30.01", "No limit", f"Set the budget of {NURSING} for 2026/27"],
        [RADIOGRAPHY, "£1,200.00", "£1,000.00", "£150.00", "£50.00", f"Set the budget of {RADIOGRAPHY} for 2026/27"],
        [
            "BSc (Hons) Physiotherapy",
            "£0.00",
            "£0.00",
            "£12.50",
            "£12.50 over budget",
            "Set the budget of BSc (Hons) Physiotherapy for 2026/27",
        ],
    ]
    links = [dict(link.attributes)["href"] for link in find(find(response, "tbody")[0], "a")]
    assert links == [f"/budgets/{nursing.pk}/2026/", f"/budgets/{radiography.pk}/2026/", f"/budgets/{physio.pk}/2026/"]
    [chooser] = find(response, "select", id="year")
    assert [(text_of(option), dict(option.attributes).get("value")) for option in find(chooser, "option")] == [
        ("2024/25", "2024"),
        ("2025/26", "2025"),
        ("2026/27", "2026"),
        ("2027/28", "2027"),
        ("2028/29", "2028"),
    ]
    assert [dict(option.attributes)["value"] for option in find(chooser, "option", selected=None)] == ["2026"]


def test_budgets_page_shows_another_academic_year(world: World, radiography: Programme) -> None:
    budget(radiography, "800.00", year=2027)

    response = signed_in(world.admin).get(f"{BUDGETS}?year=2027")

    assert texts(response, "h2", id="heading") == ["2027/28"]
    assert budget_rows(response) == [
        # The programme is named for 2026/27: the page says so.
        [
            f"{RADIOGRAPHY} (2026/27)",
            "£800.00",
            "£0.00",
            "£0.00",
            "£800.00",
            f"Set the budget of {RADIOGRAPHY} for 2027/28",
        ]
    ]


@pytest.mark.parametrize("year", ["nonsense", "1999", "2031", ""])
def test_budgets_page_for_a_year_not_offered_shows_this_one(world: World, year: str) -> None:
    response = signed_in(world.finance).get(f"{BUDGETS}?year={year}")

    assert texts(response, "h2", id="heading") == ["2026/27"]


def test_budgets_page_says_when_no_programme_runs_that_year(world: World) -> None:
    response = signed_in(world.finance).get(BUDGETS)

    assert (find(response, "table"), texts(response, "p", id="no-programmes")) == (
        [],
        ["No programmes run in 2026/27."],
    )


def test_budgets_page_names_the_university_for_someone_at_two(world: World) -> None:
    factories.MembershipFactory(user=world.finance, organisation=world.other_university, role=Membership.Role.FINANCE)
    programme_of(world.university, RADIOGRAPHY)
    programme_of(world.other_university, NURSING)

    response = signed_in(world.finance).get(BUDGETS)

    assert [row[:2] for row in budget_rows(response)] == [[RADIOGRAPHY, "University A"], [NURSING, "University B"]]


@pytest.mark.parametrize("count", [1, 3])
def test_budgets_page_query_count_does_not_grow(world: World, django_assert_num_queries: Any, count: int) -> None:
    for number in range(count):
        programme = programme_of(world.university, f"BSc (Hons) Programme {number}")
        budget(programme, "500.00")
        claim_on(world, programme, ClaimStatus.PAID, fee="25.00", name=f"Paid {number}")
        claim_on(world, programme, ClaimStatus.APPROVED, fee="25.00", items=("3.00",), name=f"Approved {number}")
    client = signed_in(world.finance)

    with django_assert_num_queries(8):
        response = client.get(BUDGETS)

    assert len(budget_rows(response)) == count


# Setting a budget


def test_budget_page_shows_the_position_and_the_budget_to_change(world: World, radiography: Programme) -> None:
    response = signed_in(world.finance).get(f"/budgets/{radiography.pk}/2026/")

    assert response.status_code == 200
    assert h1(response) == f"Budget of {RADIOGRAPHY} for 2026/27"
    assert definitions(response, "budget-position") == {
        "Budget now": "£1,200.00",
        "Spent (paid)": "£1,000.00",
        "Committed (approved, not paid yet)": "£150.00",
        "Remaining": "£50.00",
    }
    [amount] = find(response, "input", id="id_amount")
    assert dict(amount.attributes)["value"] == "1200.00"


def test_setting_a_budget_saves_it_and_returns_to_the_years_budgets(world: World) -> None:
    nursing = programme_of(world.university, NURSING)

    response = signed_in(world.admin).post(f"/budgets/{nursing.pk}/2027/", {"amount": "£4,500.5"})

    assert (response.status_code, response["Location"]) == (302, "/budgets/?year=2027")
    assert flashed(response) == [f"The budget of {NURSING} for 2027/28 is £4,500.50."]
    assert list(ProgrammeBudget.objects.values_list("programme", "academic_year", "amount", "set_by")) == [
        (nursing.pk, 2027, Decimal("4500.50"), world.admin.pk)
    ]
    assert ActivityLog.objects.filter(action="budget.set", actor=world.admin).count() == 1


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("-10.00", "A budget cannot be negative. Enter 0.00 for no money this year."),
        ("12.345", "Please give the budget in pounds and pence, with at most two decimal places."),
        ("lots", "Please enter the budget in pounds and pence, for example 2500.00."),
        ("", "Please enter the budget in pounds and pence, for example 2500.00."),
        ("123456789012", "Please check the budget: it is far more than it could be."),
    ],
)
def test_a_negative_or_malformed_budget_is_refused_by_the_field_and_nothing_is_saved(
    world: World, radiography: Programme, typed: str, error: str
) -> None:
    response = signed_in(world.finance).post(f"/budgets/{radiography.pk}/2026/", {"amount": typed})

    assert response.status_code == 400
    assert field_error(response, "amount") == error
    assert texts(response, "div", id="error-summary") == [
        f"There is a problem Budget for fees and expenses (£): {error}"
    ]
    assert list(ProgrammeBudget.objects.values_list("amount", flat=True)) == [Decimal("1200.00")]
    assert ActivityLog.objects.filter(action="budget.set").count() == 0


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_universitys_programme_is_missing(world: World, method: str) -> None:
    theirs = programme_of(world.other_university, RADIOGRAPHY)

    response = getattr(signed_in(world.finance), method)(f"/budgets/{theirs.pk}/2026/", {"amount": "10.00"})

    assert response.status_code == 404
    assert ProgrammeBudget.objects.count() == 0


@pytest.mark.parametrize("year", [2023, 2029])
def test_a_year_not_offered_is_missing(world: World, radiography: Programme, year: int) -> None:
    response = signed_in(world.finance).post(f"/budgets/{radiography.pk}/{year}/", {"amount": "10.00"})

    assert response.status_code == 404
    assert ProgrammeBudget.objects.filter(academic_year=year).count() == 0


@pytest.mark.parametrize("who", ["coordinator", "lead", "volunteer"])
def test_budgets_are_not_for_other_roles(world: World, radiography: Programme, who: str) -> None:
    client = signed_in(getattr(world, who))

    responses = [client.get(BUDGETS), client.post(f"/budgets/{radiography.pk}/2026/", {"amount": "1.00"})]

    assert [response.status_code for response in responses] == [403, 403]
    assert list(ProgrammeBudget.objects.values_list("amount", flat=True)) == [Decimal("1200.00")]


# Beside a claim


def test_review_shows_the_budget_and_what_the_claim_would_bring_it_to(world: World, radiography: Programme) -> None:
    claim = claim_on(world, radiography, ClaimStatus.SUBMITTED, fee="40.00", items=("9.99",))

    response = signed_in(world.finance).get(f"/claims/{claim.pk}/review/")

    assert definitions(response, "budget-position") == {
        "Programme": f"{RADIOGRAPHY}, 2026/27",
        "Budget": "£1,200.00",
        "Spent (paid)": "£1,000.00",
        "Committed (approved, not paid yet)": "£150.00",
        "With this claim approved": "£1,199.99 of £1,200.00",
    }
    assert find(response, "div", id="over-budget") == []
    assert find(response, "textarea", id="id_over_budget_reason") == []


def test_review_of_a_claim_over_budget_says_so_and_asks_for_a_reason(world: World, radiography: Programme) -> None:
    claim = claim_on(world, radiography, ClaimStatus.SUBMITTED, fee="50.00", items=("12.35",))

    response = signed_in(world.coordinator).get(f"/claims/{claim.pk}/review/")

    assert definitions(response, "budget-position")["With this claim approved"] == "£1,212.35 of £1,200.00"
    assert texts(response, "div", id="over-budget") == [
        f"Over budget: approving this claim takes {RADIOGRAPHY} £12.35 past its budget for 2026/27. "
        "To approve it, please give the reason for going over budget."
    ]
    [approve_form] = find(response, "form", action=f"/claims/{claim.pk}/approve/")
    assert [dict(field.attributes)["name"] for field in find(approve_form, "textarea")] == ["over_budget_reason"]
    assert texts(approve_form, "label") == ["Reason for going over budget"]


def test_review_of_an_approved_claim_shows_what_remains(world: World, radiography: Programme) -> None:
    claim = Claim.objects.get(status=ClaimStatus.APPROVED)

    response = signed_in(world.finance).get(f"/claims/{claim.pk}/review/")

    assert definitions(response, "budget-position")["Remaining"] == "£50.00"


def test_review_without_a_budget_says_there_is_no_limit(world: World) -> None:
    claim = claim_on(world, programme_of(world.university, NURSING), ClaimStatus.SUBMITTED, fee="5000.00")

    response = signed_in(world.finance).get(f"/claims/{claim.pk}/review/")

    assert definitions(response, "budget-position")["Budget"] == "No budget set, so there is no limit"
    assert definitions(response, "budget-position")["With this claim approved"] == "£5,000.00"
    assert find(response, "textarea", id="id_over_budget_reason") == []


def test_approving_over_budget_without_a_reason_asks_for_one_by_the_field(world: World, radiography: Programme) -> None:
    claim = claim_on(world, radiography, ClaimStatus.SUBMITTED, fee="50.01")

    response = signed_in(world.finance).post(f"/claims/{claim.pk}/approve/", {"over_budget_reason": " "})

    assert response.status_code == 400
    assert textarea_error(response, "over_budget_reason") == (
        f"Approving this claim brings {RADIOGRAPHY} to £1,200.01 of its £1,200.00 budget for 2026/27. "
        "Please give the reason for going over budget."
    )
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.SUBMITTED
    assert ActivityLog.objects.filter(action__startswith="claim.approved").count() == 0


def test_approving_over_budget_with_a_reason_approves_and_records_it(world: World, radiography: Programme) -> None:
    claim = claim_on(world, radiography, ClaimStatus.SUBMITTED, fee="50.01", name="Ben Bell")

    response = signed_in(world.finance).post(
        f"/claims/{claim.pk}/approve/", {"over_budget_reason": "Two extra OSCE days agreed with the head of school."}
    )

    assert (response.status_code, response["Location"]) == (302, QUEUE)
    assert flashed(response) == [
        f"Claim {claim.reference} is approved. We have emailed Ben Bell to let them know. "
        "Your reason for going over budget is recorded."
    ]
    assert Claim.objects.get(pk=claim.pk).status == ClaimStatus.APPROVED
    [log] = ActivityLog.objects.filter(action="claim.approved_over_budget")
    assert (log.actor, log.object_id, log.data["over_budget_reason"], log.data["claim_total"]) == (
        world.finance,
        str(claim.pk),
        "Two extra OSCE days agreed with the head of school.",
        "50.01",
    )


def test_approve_page_of_a_claim_over_budget_shows_the_budget_and_the_reason(
    world: World, radiography: Programme
) -> None:
    claim = claim_on(world, radiography, ClaimStatus.SUBMITTED, fee="60.00")
    within = claim_on(world, programme_of(world.university, NURSING), ClaimStatus.SUBMITTED, fee="60.00")
    client = signed_in(world.finance)

    over = client.get(f"/claims/{claim.pk}/approve/")
    fine = client.get(f"/claims/{within.pk}/approve/")

    assert definitions(over, "budget-position")["With this claim approved"] == "£1,210.00 of £1,200.00"
    assert [len(find(page, "textarea", id="id_over_budget_reason")) for page in (over, fine)] == [1, 0]


# The queue


def test_queue_shows_the_budgets_of_the_programmes_on_the_page(world: World, radiography: Programme) -> None:
    nursing = programme_of(world.university, NURSING)
    claim_on(world, radiography, ClaimStatus.SUBMITTED, fee="25.00", name="Ann Able")
    claim_on(world, nursing, ClaimStatus.SUBMITTED, fee="25.00", name="Ben Bell")
    claim_on(world, radiography, ClaimStatus.SUBMITTED, fee="25.00", name="Cy Cole")
    claim_on(world, programme_of(world.university, "BSc (Hons) Not Waiting"), ClaimStatus.APPROVED, fee="5.00")

    response = signed_in(world.finance).get(QUEUE)

    assert budget_rows(response) == [
        [NURSING, "2026/27", "No budget set", "£0.00", "£0.00", "No limit"],
        [RADIOGRAPHY, "2026/27", "£1,200.00", "£1,000.00", "£150.00", "£50.00"],
    ]
    [table] = find(response, "table", id="claims")
    assert [texts(row, "td")[2] for row in find(table, "tr")[1:]] == [RADIOGRAPHY, NURSING, RADIOGRAPHY]


@pytest.mark.parametrize("count", [1, 3])
def test_queue_with_budgets_query_count_does_not_grow(world: World, django_assert_num_queries: Any, count: int) -> None:
    for number in range(count):
        programme = programme_of(world.university, f"BSc (Hons) Programme {number}")
        budget(programme, "100.00")
        claim_on(world, programme, ClaimStatus.SUBMITTED, fee="25.00", items=("1.00",), name=f"Volunteer {number}")
    client = signed_in(world.finance)

    with django_assert_num_queries(9):
        response = client.get(QUEUE)

    assert len(budget_rows(response)) == count
