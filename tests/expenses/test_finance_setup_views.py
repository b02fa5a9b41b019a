"""The finance set-up pages, through django.test.Client: the set-up page, payee set-up (who is
waiting, recording a reference, the references recorded), the finance settings and the cost codes.
Bad input is shown by its field with status 400 and nothing changed; another university's page,
volunteer or programme is 404.

The clock stands at Friday 20 November 2026, 09:00 UK time.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.http import HttpResponse

from expenses.models import Claim, FinanceSettings, PayeeReference, ReimbursementRun
from involvement.notifications import queue_notification
from sessions_app.clock import LONDON
from sessions_app.models import Programme
from tests import factories
from tests.accounts.test_views import field_error, find, h1, table_rows, texts
from tests.conftest import World, signed_in
from tests.expenses.factories import ClaimFactory, attended_booking, payee
from tests.sessions_app.factories import ProgrammeFactory
from volunteers.models import VolunteerProfile

NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=LONDON)
PAYEES_URL = "/finance/university-a/payees/"
SETTINGS_URL = "/finance/university-a/settings/"
CODES_URL = "/finance/university-a/cost-codes/"
NO_BANK_DETAILS = (
    "Involvement never asks for bank details and never keeps them: they stay in the university’s finance system. "
    "Record only the payee reference."
)
Status = Claim.Status


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def claim_of(world: World, volunteer: VolunteerProfile, *, days_ago: int, status: str = Status.APPROVED) -> Claim:
    booking = attended_booking(world.university, world.coordinator, volunteer, days_ago=days_ago)
    return ClaimFactory(
        booking=booking, status=status, submitted_at=booking.session.ends_at + datetime.timedelta(days=1)
    )


def flashed(response: HttpResponse) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def reference_url(volunteer: VolunteerProfile, slug: str = "university-a") -> str:
    return f"/finance/{slug}/payees/{volunteer.pk}/"


# The finance set-up page


def test_finance_setup_shows_each_university_with_what_needs_doing(world: World) -> None:
    FinanceSettings.objects.create(organisation=world.university, payee_form_url="https://a.example/form")
    claim_of(world, factories.VolunteerProfileFactory(), days_ago=3)
    ProgrammeFactory(university=world.university)
    ProgrammeFactory(university=world.university, cost_centre="RAD", nominal_code="5120")

    response = signed_in(world.finance).get("/finance/")

    assert (response.status_code, h1(response)) == (200, "Finance set-up")
    assert texts(response, "h2") == ["University A"]
    assert texts(response, "dd") == [
        "Paid through payroll",
        "Paid through accounts payable",
        "https://a.example/form",
        "30",
    ]
    assert texts(response, "span", id=f"waiting-{world.university.pk}") == ["1 volunteer waiting"]
    assert texts(response, "span", id=f"uncoded-{world.university.pk}") == [
        "2 programmes without a cost centre or nominal code"
    ]


def test_finance_setup_for_an_admin_leaves_payee_set_up_to_finance(world: World) -> None:
    response = signed_in(world.admin).get("/finance/")

    assert find(response, "a", href=PAYEES_URL) == []
    assert find(response, "a", href=SETTINGS_URL) != []


# Payee set-up


def test_payee_setup_lists_who_waits_oldest_claim_first_and_what_to_do(world: World) -> None:
    newer = factories.VolunteerProfileFactory(user__name="Zoë Newer")
    older = factories.VolunteerProfileFactory(user__name="Aled Older")
    claim_of(world, newer, days_ago=3)
    claim_of(world, older, days_ago=20, status=Status.SUBMITTED)
    claim_of(world, older, days_ago=10)
    set_up = factories.VolunteerProfileFactory()
    claim_of(world, set_up, days_ago=30)
    payee(set_up, world.university)
    claim_of(world, factories.VolunteerProfileFactory(), days_ago=40, status=Status.DRAFT)
    queue_notification(
        template_key="expenses/payee_form",
        unique_key=f"payee-form:{world.university.pk}:{newer.pk}",
        recipient=newer.user,
    )

    response = signed_in(world.finance).get(PAYEES_URL)

    assert (response.status_code, h1(response)) == (200, "Payee set-up at University A")
    assert table_rows(response) == [
        [
            "Aled Older",
            "2 (1 approved)",
            "Sunday 1 November 2026",
            "Not asked yet",
            "Record Aled Older’s payee reference",
        ],
        [
            "Zoë Newer",
            "1 (1 approved)",
            "Wednesday 18 November 2026",
            "Asked Friday 20 November 2026",
            "Record Zoë Newer’s payee reference",
        ],
    ]
    assert texts(response, "p", class_="alert") == [NO_BANK_DETAILS]
    assert find(response, "a", href=reference_url(older)) != []


def test_payee_setup_with_nobody_waiting_says_so(world: World) -> None:
    response = signed_in(world.finance).get(PAYEES_URL)

    assert texts(response, "p", id="nobody-waiting") == ["Nobody is waiting for payee set-up."]


def test_payee_setup_of_another_university_is_not_found(world: World) -> None:
    assert signed_in(world.finance).get("/finance/university-b/payees/").status_code == 404


@pytest.mark.parametrize("count", [1, 3])
def test_payee_setup_query_count_does_not_grow(world: World, django_assert_num_queries, count: int) -> None:
    for number in range(count):
        volunteer = factories.VolunteerProfileFactory()
        claim_of(world, volunteer, days_ago=3 + number)
        claim_of(world, volunteer, days_ago=20 + number, status=Status.SUBMITTED)
    client = signed_in(world.finance)

    with django_assert_num_queries(12):
        response = client.get(PAYEES_URL)

    assert len(table_rows(response)) == count


# Recording a reference


def test_recording_a_reference_saves_it_and_takes_the_volunteer_off_the_list(world: World) -> None:
    volunteer = factories.VolunteerProfileFactory(user__name="Siân O'Brien")
    claim_of(world, volunteer, days_ago=3)
    client = signed_in(world.finance)

    page = client.get(reference_url(volunteer))
    response = client.post(reference_url(volunteer), {"reference": "SUP-004187"})

    assert (h1(page), texts(page, "p")[0]) == (
        "Payee reference of Siân O'Brien",
        "At University A. None recorded yet: their approved claims wait for it.",
    )
    assert (response.status_code, response["Location"]) == (302, PAYEES_URL)
    assert flashed(response) == [
        "Siân O'Brien’s payee reference at University A is SUP-004187. Their approved claims will be in the next "
        "payment run."
    ]
    assert list(PayeeReference.objects.values_list("volunteer", "reference", "recorded_by")) == [
        (volunteer.pk, "SUP-004187", world.finance.pk)
    ]
    assert texts(client.get(PAYEES_URL), "p", id="nobody-waiting") == ["Nobody is waiting for payee set-up."]


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        (
            "SUP 1001",
            "A payee reference has no spaces in it. Please enter it exactly as the finance system shows it, "
            "without spaces.",
        ),
        ("S" * 31, "A payee reference is at most 30 characters; this one has 31."),
        ("", "Please enter the volunteer’s payee reference from the university’s finance system."),
        (
            "TAKEN-1",
            "TAKEN-1 is already the payee reference of another volunteer at University A. "
            "Please check it in the finance system.",
        ),
    ],
)
def test_a_bad_reference_is_shown_by_the_field_and_nothing_changes(world: World, reference: str, message: str) -> None:
    payee(factories.VolunteerProfileFactory(), world.university, "TAKEN-1")
    volunteer = factories.VolunteerProfileFactory()
    claim_of(world, volunteer, days_ago=3)

    response = signed_in(world.finance).post(reference_url(volunteer), {"reference": reference})

    assert response.status_code == 400
    assert field_error(response, "reference") == message
    assert texts(response, "a", href="#div_id_reference") == [f"Payee reference: {message}"]
    assert PayeeReference.objects.filter(volunteer=volunteer).count() == 0


def test_changing_a_reference_starts_from_the_one_recorded(world: World) -> None:
    volunteer = factories.VolunteerProfileFactory()
    claim_of(world, volunteer, days_ago=3, status=Status.REJECTED)
    payee(volunteer, world.university, "SUP-1")
    client = signed_in(world.finance)

    page = client.get(reference_url(volunteer))
    client.post(reference_url(volunteer), {"reference": "SUP-2"})

    [field] = find(page, "input", id="id_reference")
    assert dict(field.attributes)["value"] == "SUP-1"
    assert PayeeReference.objects.get(volunteer=volunteer).reference == "SUP-2"


def test_the_reference_of_another_universitys_volunteer_is_not_found(world: World) -> None:
    stranger = factories.VolunteerProfileFactory()
    booking = attended_booking(world.other_university, world.other_coordinator, stranger)
    ClaimFactory(booking=booking, status=Status.APPROVED, submitted_at=NOW)
    client = signed_in(world.finance)

    assert (
        client.get(reference_url(stranger)).status_code,
        client.post(reference_url(stranger), {"reference": "X1"}).status_code,
    ) == (404, 404)
    assert PayeeReference.objects.count() == 0


def test_the_reference_page_of_another_university_is_not_found(world: World) -> None:
    volunteer = factories.VolunteerProfileFactory()
    claim_of(world, volunteer, days_ago=3)

    assert signed_in(world.other_finance).get(reference_url(volunteer)).status_code == 404
    assert signed_in(world.finance).get(reference_url(volunteer, "university-b")).status_code == 404


@pytest.mark.parametrize("count", [1, 3])
def test_references_recorded_query_count_does_not_grow(world: World, django_assert_num_queries, count: int) -> None:
    for _number in range(count):
        payee(factories.VolunteerProfileFactory(), world.university)
    client = signed_in(world.finance)

    with django_assert_num_queries(9):
        response = client.get(f"{PAYEES_URL}recorded/")

    assert len(table_rows(response)) == count


# Finance settings


def test_finance_settings_are_saved_from_the_page(world: World) -> None:
    response = signed_in(world.admin).post(
        SETTINGS_URL,
        {
            "fee_route": "payroll",
            "expenses_route": "payroll",
            "payee_form_url": "https://a.example/payee",
            "payment_target_days": "21",
        },
    )

    settings = FinanceSettings.objects.get()
    assert (response.status_code, response["Location"]) == (302, "/finance/")
    assert flashed(response) == ["The finance settings of University A are saved."]
    assert (settings.expenses_route, settings.payee_form_url, settings.payment_target_days) == (
        "payroll",
        "https://a.example/payee",
        21,
    )


def test_a_route_change_during_a_run_is_shown_by_the_field_and_nothing_changes(world: World) -> None:
    ReimbursementRun.objects.create(organisation=world.university, status="running", started_at=NOW)
    client = signed_in(world.finance)

    page = client.get(SETTINGS_URL)
    response = client.post(
        SETTINGS_URL,
        {
            "fee_route": "accounts_payable",
            "expenses_route": "accounts_payable",
            "payee_form_url": "",
            "payment_target_days": "30",
        },
    )

    message = (
        "A payment run is in progress, so the routes cannot change now: it pays by the routes it was previewed "
        "with. Please change them once it has finished."
    )
    assert texts(page, "div", id="route-refusal") == [message]
    assert response.status_code == 400
    assert texts(response, "a", href="#div_id_fee_route") == [f"Involvement fees are paid through: {message}"]
    assert FinanceSettings.objects.count() == 0


def test_a_payee_form_address_that_is_not_https_is_shown_by_the_field(world: World) -> None:
    response = signed_in(world.finance).post(
        SETTINGS_URL,
        {
            "fee_route": "payroll",
            "expenses_route": "accounts_payable",
            "payee_form_url": "http://a.example",
            "payment_target_days": "30",
        },
    )

    assert response.status_code == 400
    assert field_error(response, "payee_form_url") == (
        "Please give the full address of the payee form, starting with https://."
    )


def test_finance_settings_of_another_university_are_not_found(world: World) -> None:
    assert signed_in(world.admin).get("/finance/university-b/settings/").status_code == 404


# Cost codes


def test_cost_codes_list_the_programmes_newest_year_first(world: World) -> None:
    ProgrammeFactory(university=world.university, name="Radiography", academic_year="2025/26")
    ProgrammeFactory(
        university=world.university,
        name="Radiography",
        academic_year="2026/27",
        cost_centre="RAD-4410",
        nominal_code="5120",
    )
    ProgrammeFactory(university=world.other_university, name="Elsewhere")

    response = signed_in(world.finance).get(CODES_URL)

    assert (response.status_code, h1(response)) == (200, "Cost codes at University A")
    assert table_rows(response) == [
        ["Radiography", "2026/27", "RAD-4410", "5120", "Change the cost codes of Radiography (2026/27)"],
        ["Radiography", "2025/26", "None yet", "None yet", "Change the cost codes of Radiography (2025/26)"],
    ]


@pytest.mark.parametrize("count", [1, 3])
def test_cost_codes_query_count_does_not_grow(world: World, django_assert_num_queries, count: int) -> None:
    for _number in range(count):
        ProgrammeFactory(university=world.university)
    client = signed_in(world.admin)

    with django_assert_num_queries(9):
        response = client.get(CODES_URL)

    assert len(table_rows(response)) == count


def test_cost_codes_are_saved_from_the_page(world: World) -> None:
    programme = ProgrammeFactory(university=world.university, name="Radiography", academic_year="2026/27")

    response = signed_in(world.admin).post(
        f"{CODES_URL}{programme.pk}/", {"cost_centre": "rad-4410", "nominal_code": "5120"}
    )

    programme.refresh_from_db()
    assert (response.status_code, response["Location"]) == (302, CODES_URL)
    assert flashed(response) == ["Radiography (2026/27) is saved: cost centre RAD-4410, nominal code 5120."]
    assert (programme.cost_centre, programme.nominal_code) == ("RAD-4410", "5120")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (
            {"cost_centre": "RAD 4410", "nominal_code": "5120"},
            "cost_centre",
            "A cost centre can only hold letters (A to Z), digits and hyphens, for example RAD-4410.",
        ),
        (
            {"cost_centre": "RAD-4410", "nominal_code": "51"},
            "nominal_code",
            "A nominal code is 4 to 8 digits (0 to 9) and nothing else, for example 5120.",
        ),
    ],
)
def test_bad_cost_codes_are_shown_by_the_field_and_nothing_is_saved(world: World, data, field, message) -> None:
    programme = ProgrammeFactory(university=world.university)

    response = signed_in(world.finance).post(f"{CODES_URL}{programme.pk}/", data)

    programme.refresh_from_db()
    assert (response.status_code, field_error(response, field)) == (400, message)
    assert (programme.cost_centre, programme.nominal_code) == ("", "")
    assert Programme.objects.filter(cost_centre="RAD-4410").count() == 0


def test_the_cost_codes_of_another_universitys_programme_are_not_found(world: World) -> None:
    theirs = ProgrammeFactory(university=world.other_university)

    response = signed_in(world.finance).post(f"{CODES_URL}{theirs.pk}/", {"cost_centre": "X1", "nominal_code": "1234"})

    theirs.refresh_from_db()
    assert (response.status_code, theirs.cost_centre) == (404, "")
