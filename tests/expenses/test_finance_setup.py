"""How a university pays, set through the services: payee references (their format, one person
each, who recorded them and when), the one email asking a volunteer for the payee form, the
finance settings (no route change while a run is in progress) and the cost codes of programmes.
Each bad input gets its message by its field and changes nothing."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
import time_machine
from django.template.loader import render_to_string

from expenses import codes, permissions, services
from expenses.models import Claim, FinanceSettings, PayeeReference, PayRoute, ReimbursementRun
from expenses.services import ClaimError
from involvement.models import ActivityLog, Notification
from sessions_app.models import Programme
from tests import factories
from tests.conftest import World
from tests.expenses.factories import ClaimFactory, attended_booking, payee
from tests.sessions_app.factories import ProgrammeFactory
from volunteers.models import VolunteerProfile

NOW = datetime.datetime(2025, 10, 20, 9, 30, tzinfo=datetime.UTC)
Status = Claim.Status


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def volunteer(world: World) -> VolunteerProfile:
    return VolunteerProfile.objects.get(user=world.volunteer)


def record(world: World, volunteer: VolunteerProfile, reference: str) -> PayeeReference:
    return services.record_payee_reference(
        organisation=world.university, volunteer=volunteer, reference=reference, actor=world.finance
    )


# Payee references --------------------------------------------------------------------------------


def test_record_payee_reference_records_who_and_when(world, volunteer):
    entry = record(world, volunteer, "  SUP-004187 ")

    assert (entry.organisation, entry.volunteer, entry.reference, entry.recorded_by, entry.created_at) == (
        world.university,
        volunteer,
        "SUP-004187",
        world.finance,
        NOW,
    )
    log = ActivityLog.objects.get(action="payee_reference.recorded")
    assert (log.actor, log.organisation, log.object_id, log.data, log.created_at) == (
        world.finance,
        world.university,
        str(entry.pk),
        {"volunteer": volunteer.pk, "old": "", "new": "SUP-004187"},
        NOW,
    )


def test_changing_a_payee_reference_records_old_and_new(world, volunteer):
    record(world, volunteer, "SUP-1")

    entry = record(world, volunteer, "PAY/2026_77.A")

    assert list(PayeeReference.objects.values_list("reference", flat=True)) == ["PAY/2026_77.A"]
    assert entry.recorded_by == world.finance
    assert ActivityLog.objects.get(action="payee_reference.changed").data == {
        "volunteer": volunteer.pk,
        "old": "SUP-1",
        "new": "PAY/2026_77.A",
    }


def test_recording_the_same_reference_again_changes_nothing(world, volunteer):
    record(world, volunteer, "SUP-1")

    record(world, volunteer, "SUP-1")

    assert ActivityLog.objects.filter(action__startswith="payee_reference.").count() == 1


@pytest.mark.parametrize(
    ("reference", "message"),
    [
        ("", "Please enter the volunteer’s payee reference from the university’s finance system."),
        ("   ", "Please enter the volunteer’s payee reference from the university’s finance system."),
        (
            "SUP 1001",
            "A payee reference has no spaces in it. Please enter it exactly as the finance system shows it, "
            "without spaces.",
        ),
        (
            "SUP\t1001",
            "A payee reference has no spaces in it. Please enter it exactly as the finance system shows it, "
            "without spaces.",
        ),
        (
            "SUP\u00a01001",
            "A payee reference has no spaces in it. Please enter it exactly as the finance system shows it, "
            "without spaces.",
        ),
        ("S" * 31, "A payee reference is at most 30 characters; this one has 31."),
        (
            "SUP-1001,",
            "A payee reference can only hold letters (A to Z), digits and the characters - / _ . (this one has “,”).",
        ),
        (
            "=HYPERLINK(1)",
            "A payee reference can only hold letters (A to Z), digits and the characters - / _ . (this one has “=”).",
        ),
        (
            "ŁÓDŹ-1",
            "A payee reference can only hold letters (A to Z), digits and the characters - / _ . (this one has “Ł”).",
        ),
    ],
)
def test_a_bad_payee_reference_is_refused_by_its_field_and_changes_nothing(world, volunteer, reference, message):
    record(world, volunteer, "SUP-1")

    with pytest.raises(ClaimError) as error:
        record(world, volunteer, reference)

    assert (str(error.value), error.value.field) == (message, "reference")
    assert list(PayeeReference.objects.values_list("reference", flat=True)) == ["SUP-1"]
    assert ActivityLog.objects.filter(action="payee_reference.changed").count() == 0


def test_a_reference_of_thirty_characters_is_fine(world, volunteer):
    assert record(world, volunteer, "A" * 30).reference == "A" * 30


@pytest.mark.parametrize("reference", ["SUP-1001", "sup-1001"])
def test_a_reference_already_used_for_another_person_at_the_university_is_refused(world, volunteer, reference):
    other = factories.VolunteerProfileFactory()
    record(world, other, "SUP-1001")

    with pytest.raises(ClaimError) as error:
        record(world, volunteer, reference)

    assert (str(error.value), error.value.field) == (
        f"{reference} is already the payee reference of another volunteer at University A. "
        "Please check it in the finance system.",
        "reference",
    )
    assert list(PayeeReference.objects.values_list("volunteer", "reference")) == [(other.pk, "SUP-1001")]


def test_the_same_reference_at_another_university_is_fine(world, volunteer):
    services.record_payee_reference(
        organisation=world.other_university,
        volunteer=factories.VolunteerProfileFactory(),
        reference="SUP-1001",
        actor=world.other_finance,
    )

    assert record(world, volunteer, "SUP-1001").organisation == world.university


@pytest.mark.parametrize("who", ["coordinator", "admin", "other_finance", "volunteer"])
def test_only_finance_of_the_university_records_payee_references(world, volunteer, who):
    with pytest.raises(ClaimError) as error:
        services.record_payee_reference(
            organisation=world.university, volunteer=volunteer, reference="SUP-1", actor=getattr(world, who)
        )

    assert (str(error.value), PayeeReference.objects.count()) == (permissions.NOT_PAYEE_RECORDER, 0)


def test_payee_reference_rules_accept_the_characters_finance_systems_use():
    assert [codes.payee_reference_problem(text) for text in ("SUP-004187", "PR/2026/77", "V_12.3", "12345")] == [
        None,
        None,
        None,
        None,
    ]


# The payee form, asked for once ------------------------------------------------------------------


def submitted(world: World, volunteer: VolunteerProfile, days_ago: int = 3) -> Claim:
    booking = attended_booking(world.university, world.coordinator, volunteer, days_ago=days_ago)
    return ClaimFactory(booking=booking, status=Status.SUBMITTED, submitted_at=NOW)


def test_approving_a_claim_asks_a_volunteer_without_a_reference_for_the_payee_form_once(world, volunteer):
    FinanceSettings.objects.create(organisation=world.university, payee_form_url="https://a.example/payee-form")
    first, second = submitted(world, volunteer), submitted(world, volunteer, days_ago=5)

    services.approve_claim(claim=first, actor=world.coordinator)
    services.approve_claim(claim=second, actor=world.coordinator)

    [email] = Notification.objects.filter(template_key="expenses/payee_form")
    assert (email.unique_key, email.recipient, email.context["form_url"], email.context["university"]) == (
        f"payee-form:{world.university.pk}:{volunteer.pk}",
        world.volunteer,
        "https://a.example/payee-form",
        "University A",
    )


def test_a_volunteer_with_a_reference_is_not_asked_for_the_payee_form(world, volunteer):
    payee(volunteer, world.university)

    services.approve_claim(claim=submitted(world, volunteer), actor=world.coordinator)

    assert Notification.objects.filter(template_key="expenses/payee_form").count() == 0


def test_a_volunteer_is_asked_once_per_university(world, volunteer):
    services.approve_claim(claim=submitted(world, volunteer), actor=world.coordinator)
    other_booking = attended_booking(world.other_university, world.other_coordinator, volunteer)
    other = ClaimFactory(booking=other_booking, status=Status.SUBMITTED, submitted_at=NOW)

    services.approve_claim(claim=other, actor=world.other_coordinator)

    assert sorted(
        Notification.objects.filter(template_key="expenses/payee_form").values_list("unique_key", flat=True)
    ) == sorted(
        [f"payee-form:{world.university.pk}:{volunteer.pk}", f"payee-form:{world.other_university.pk}:{volunteer.pk}"]
    )


def test_the_payee_form_email_links_the_form_and_never_asks_for_bank_details(world, volunteer):
    context = {
        "name": "Siân",
        "university": "University A",
        "session": "Living with cancer",
        "form_url": "https://a.example/payee-form",
        "claim_url": "https://involvement.example/money/claims/1/",
    }

    text = render_to_string("emails/expenses/payee_form.txt", context)
    html = render_to_string("emails/expenses/payee_form.html", context)

    assert (
        "Please fill in the university's payee form and send it back as it asks:\nhttps://a.example/payee-form" in text
    )
    assert '<a href="https://a.example/payee-form">the university\'s payee form</a>' in html
    for body in (text, html):
        assert "We never ask for them on Involvement, and we never keep them." in body
        assert "will contact you" not in body


def test_without_a_form_link_the_email_says_finance_will_contact_them(world, volunteer):
    context = {"name": "Siân", "university": "University A", "session": "S", "form_url": "", "claim_url": "u"}

    text = render_to_string("emails/expenses/payee_form.txt", context)
    html = render_to_string("emails/expenses/payee_form.html", context)

    for body in (text, html):
        assert "The university's finance team will contact you about this." in body
        assert "payee form</a>" not in body


# Finance settings --------------------------------------------------------------------------------


def save_settings(world: World, actor=None, **changes):  # type: ignore[no-untyped-def]
    fields = {
        "fee_route": PayRoute.PAYROLL,
        "expenses_route": PayRoute.ACCOUNTS_PAYABLE,
        "payee_form_url": "",
        "payment_target_days": 30,
        **changes,
    }
    return services.update_finance_settings(organisation=world.university, actor=actor or world.finance, **fields)


def test_finance_settings_are_saved_and_recorded_with_what_changed(world):
    settings = save_settings(
        world, fee_route=PayRoute.ACCOUNTS_PAYABLE, payee_form_url="https://a.example/form", payment_target_days=21
    )

    assert (settings.fee_route, settings.expenses_route, settings.payee_form_url, settings.payment_target_days) == (
        "accounts_payable",
        "accounts_payable",
        "https://a.example/form",
        21,
    )
    assert (settings.updated_by, FinanceSettings.objects.count()) == (world.finance, 1)
    assert ActivityLog.objects.get(action="finance_settings.changed").data == {
        "fee_route": ["payroll", "accounts_payable"],
        "payee_form_url": ["", "https://a.example/form"],
        "payment_target_days": [30, 21],
    }


def test_an_admin_may_change_the_finance_settings_but_a_coordinator_not(world):
    save_settings(world, actor=world.admin, payment_target_days=20)

    with pytest.raises(ClaimError) as error:
        save_settings(world, actor=world.coordinator, payment_target_days=10)

    assert (str(error.value), FinanceSettings.objects.get().payment_target_days) == (permissions.NOT_FINANCE_SETTER, 20)


@pytest.mark.parametrize("status", ["queued", "running"])
@pytest.mark.parametrize("field", ["fee_route", "expenses_route"])
def test_a_route_cannot_change_while_a_run_is_in_progress(world, status, field):
    save_settings(world)
    ReimbursementRun.objects.create(organisation=world.university, status=status, started_at=NOW)

    with pytest.raises(ClaimError) as error:
        save_settings(world, **{field: PayRoute.PAYROLL if field == "expenses_route" else PayRoute.ACCOUNTS_PAYABLE})

    assert (str(error.value), error.value.field) == (
        "A payment run is in progress, so the routes cannot change now: it pays by the routes it was previewed "
        "with. Please change them once it has finished.",
        field,
    )
    settings = FinanceSettings.objects.get()
    assert (settings.fee_route, settings.expenses_route) == ("payroll", "accounts_payable")


def test_other_settings_can_change_while_a_run_is_in_progress(world):
    ReimbursementRun.objects.create(organisation=world.university, status="running", started_at=NOW)

    assert save_settings(world, payment_target_days=14).payment_target_days == 14


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"fee_route": "cheque"}, "fee_route", "Please choose payroll or accounts payable."),
        ({"expenses_route": ""}, "expenses_route", "Please choose payroll or accounts payable."),
        (
            {"payee_form_url": "http://a.example/form"},
            "payee_form_url",
            "Please give the full address of the payee form, starting with https://.",
        ),
        (
            {"payee_form_url": "javascript:alert(1)"},
            "payee_form_url",
            "Please give the full address of the payee form, starting with https://.",
        ),
        (
            {"payee_form_url": "https://"},
            "payee_form_url",
            "Please give the full address of the payee form, starting with https://.",
        ),
        (
            {"payee_form_url": "https://a.example/" + "f" * 490},
            "payee_form_url",
            "The address can be at most 500 characters. Please use a shorter link to the form.",
        ),
        ({"payment_target_days": 0}, "payment_target_days", "Please enter a number of days from 1 to 365."),
        ({"payment_target_days": 366}, "payment_target_days", "Please enter a number of days from 1 to 365."),
    ],
)
def test_bad_finance_settings_are_refused_by_the_field(world, changes, field, message):
    with pytest.raises(ClaimError) as error:
        save_settings(world, **changes)

    assert (str(error.value), error.value.field, FinanceSettings.objects.count()) == (message, field, 0)


# Cost codes --------------------------------------------------------------------------------------


@pytest.fixture
def programme(world: World) -> Programme:
    return ProgrammeFactory(university=world.university)


def test_cost_codes_are_saved_in_capitals_and_recorded(world, programme):
    services.set_cost_codes(programme=programme, actor=world.finance, cost_centre=" rad-4410 ", nominal_code=" 5120")

    programme.refresh_from_db()
    assert (programme.cost_centre, programme.nominal_code) == ("RAD-4410", "5120")
    log = ActivityLog.objects.get(action="programme.cost_codes_changed")
    assert (log.actor, log.organisation, log.data) == (
        world.finance,
        world.university,
        {"cost_centre": ["", "RAD-4410"], "nominal_code": ["", "5120"]},
    )


def test_cost_codes_can_be_cleared(world, programme):
    Programme.objects.filter(pk=programme.pk).update(cost_centre="RAD", nominal_code="5120")

    services.set_cost_codes(programme=programme, actor=world.admin, cost_centre="", nominal_code="")

    programme.refresh_from_db()
    assert (programme.cost_centre, programme.nominal_code) == ("", "")


@pytest.mark.parametrize(
    ("cost_centre", "nominal_code", "field", "message"),
    [
        ("R", "5120", "cost_centre", "A cost centre is 2 to 12 characters, for example RAD-4410; this one has 1."),
        (
            "RADIOGRAPHY-44",
            "5120",
            "cost_centre",
            "A cost centre is 2 to 12 characters, for example RAD-4410; this one has 14.",
        ),
        (
            "RAD 4410",
            "5120",
            "cost_centre",
            "A cost centre can only hold letters (A to Z), digits and hyphens, for example RAD-4410.",
        ),
        (
            "RAD_4410",
            "5120",
            "cost_centre",
            "A cost centre can only hold letters (A to Z), digits and hyphens, for example RAD-4410.",
        ),
        (
            "=RAD",
            "5120",
            "cost_centre",
            "A cost centre can only hold letters (A to Z), digits and hyphens, for example RAD-4410.",
        ),
        (
            "-RAD",
            "5120",
            "cost_centre",
            "A cost centre starts and ends with a letter or a digit, for example RAD-4410.",
        ),
        (
            "RAD-4410",
            "512",
            "nominal_code",
            "A nominal code is 4 to 8 digits (0 to 9) and nothing else, for example 5120.",
        ),
        (
            "RAD-4410",
            "123456789",
            "nominal_code",
            "A nominal code is 4 to 8 digits (0 to 9) and nothing else, for example 5120.",
        ),
        (
            "RAD-4410",
            "51A0",
            "nominal_code",
            "A nominal code is 4 to 8 digits (0 to 9) and nothing else, for example 5120.",
        ),
        (
            "RAD-4410",
            "٥١٢٠",
            "nominal_code",
            "A nominal code is 4 to 8 digits (0 to 9) and nothing else, for example 5120.",
        ),
    ],
)
def test_bad_cost_codes_are_refused_by_the_field_and_nothing_is_saved(
    world, programme, cost_centre, nominal_code, field, message
):
    with pytest.raises(ClaimError) as error:
        services.set_cost_codes(
            programme=programme, actor=world.finance, cost_centre=cost_centre, nominal_code=nominal_code
        )

    programme.refresh_from_db()
    assert (str(error.value), error.value.field) == (message, field)
    assert (programme.cost_centre, programme.nominal_code) == ("", "")
    assert ActivityLog.objects.filter(action="programme.cost_codes_changed").count() == 0


@pytest.mark.parametrize("who", ["coordinator", "other_finance", "other_admin", "lead"])
def test_only_finance_and_admins_of_the_university_set_cost_codes(world, programme, who):
    with pytest.raises(ClaimError) as error:
        services.set_cost_codes(programme=programme, actor=getattr(world, who), cost_centre="RAD", nominal_code="5120")

    programme.refresh_from_db()
    assert (str(error.value), programme.cost_centre) == (permissions.NOT_CODE_SETTER, "")
