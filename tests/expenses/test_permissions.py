"""expenses.permissions: each rule's refusal (the exact message the services raise) and its
``can_`` predicate, for every kind of user; and the attendance-correction guard, with what a
"did not attend" correction does to a claim still open.

The clock stands at Wednesday 8 October 2025, 10:30 UK time; the session was a week before.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Membership
from expenses import permissions, services
from expenses.models import Claim, ClaimItem, RateCard, ReimbursementRun
from expenses.selectors import receipts_visible_to
from expenses.services import ClaimError
from sessions_app.models import Booking
from sessions_app.services import SessionError, correct_attendance
from tests import factories
from tests.accounts.test_views import find, messages_on, text_of
from tests.conftest import World, signed_in
from tests.expenses.factories import attended_on, payee, rate_card_for
from volunteers.models import VolunteerProfile

D = Decimal
Status = Claim.Status
SESSION_DAY = datetime.date(2025, 10, 1)
NOW = datetime.datetime(2025, 10, 8, 9, 30, tzinfo=datetime.UTC)
PDF = factories.RECEIPT_PDF  # well-formed: receipts are parsed (expenses.receipts)
NOT_ATTENDED = (
    "The coordinator has recorded that you did not attend this session, so this claim cannot be sent. "
    "If that is wrong, please contact them."
)
STAFF = ["admin", "coordinator", "finance", "lead", "other_admin", "other_coordinator", "other_finance", "outsider"]


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def card(world: World) -> RateCard:
    return rate_card_for(world.university)


@pytest.fixture
def profile(world: World) -> VolunteerProfile:
    profile = world.volunteer.volunteer_profile
    profile.preferred_name = "Siân"
    profile.save(update_fields=["preferred_name"])
    return profile


@pytest.fixture
def booking(world: World, card: RateCard, profile: VolunteerProfile) -> Booking:
    return attended_on(world.university, world.coordinator, profile, SESSION_DAY)


@pytest.fixture
def claim(world: World, booking: Booking) -> Claim:
    return services.open_claim(booking=booking, actor=world.volunteer)


def fresh(claim: Claim) -> Claim:
    return Claim.objects.select_related("booking__session__module__programme", "volunteer").get(pk=claim.pk)


def sent(world: World, claim: Claim, status: str) -> Claim:
    """The claim moved through the services to ``status`` (paid written as a run would)."""
    services.add_item(claim=claim, actor=world.volunteer, kind="home_online", date=SESSION_DAY, amount=D("6.50"))
    claim = services.submit_claim(claim=claim, actor=world.volunteer)
    if status == Status.SUBMITTED:
        return claim
    if status == Status.REJECTED:
        return services.reject_claim(claim=claim, actor=world.finance, reason="Claimed on paper.")
    if status == Status.RETURNED:
        return services.return_claim(claim=claim, actor=world.finance, note="Please add the receipt.")
    claim = services.approve_claim(claim=claim, actor=world.finance)
    if status == Status.PAID:
        Claim.objects.filter(pk=claim.pk).update(status=Status.PAID, paid_at=NOW)
    return fresh(claim)


# Opening a claim -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ("volunteer", None),
        ("coordinator", None),
        ("finance", None),
        ("admin", permissions.NOT_YOURS_TO_OPEN),
        ("lead", permissions.NOT_YOURS_TO_OPEN),
        ("other_coordinator", permissions.NOT_YOURS_TO_OPEN),
        ("outsider", permissions.NOT_YOURS_TO_OPEN),
    ],
)
def test_open_claim_refusal_names_who_may_open_it(world: World, booking: Booking, who: str, refusal: str | None):
    user = getattr(world, who)

    assert permissions.open_claim_refusal(booking, user) == refusal
    assert permissions.can_open_claim(booking, user) is (refusal is None)


def test_open_claim_refusal_for_a_session_not_attended_a_claim_made_or_the_window_closed(world, booking, claim):
    not_attended = factories.VolunteerProfileFactory()
    no_show = attended_on(world.university, world.coordinator, not_attended, SESSION_DAY)
    Booking.objects.filter(pk=no_show.pk).update(status=Booking.Status.NO_SHOW)
    no_show.refresh_from_db()

    assert permissions.open_claim_refusal(no_show, not_attended.user) == permissions.NOT_ATTENDED_TO_OPEN
    assert permissions.open_claim_refusal(booking, world.volunteer) == permissions.ALREADY_CLAIMED
    assert permissions.open_claim_refusal(
        booking, world.volunteer, has_claim=False, deadline=datetime.date(2025, 10, 7)
    ) == ("Claims for this session had to be made by Tuesday 7 October 2025. Please contact the coordinator.")


# Changing and sending ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", STAFF)
def test_edit_claim_refusal_lets_only_the_volunteer_change_their_own_claim(world, claim, who):
    claim = fresh(claim)

    assert (
        permissions.edit_claim_refusal(claim, world.volunteer),
        permissions.can_edit_claim(claim, world.volunteer),
    ) == (
        None,
        True,
    )
    assert permissions.edit_claim_refusal(claim, getattr(world, who)) == permissions.NOT_YOURS_TO_CHANGE
    assert permissions.can_edit_claim(claim, getattr(world, who)) is False


@pytest.mark.parametrize(("who", "allowed"), [(who, who in {"coordinator", "finance"}) for who in STAFF])
def test_edit_claim_refusal_lets_the_universitys_staff_change_a_paper_claim(world, booking, who, allowed):
    claim = fresh(services.open_claim(booking=booking, actor=world.coordinator))

    assert permissions.can_edit_claim(claim, getattr(world, who)) is allowed
    assert permissions.can_edit_claim(claim, world.volunteer) is True


@pytest.mark.parametrize(
    ("status", "refusal"),
    [
        (Status.SUBMITTED, "This claim is submitted and can no longer be changed."),
        (Status.APPROVED, "This claim is approved and can no longer be changed."),
        (Status.REJECTED, "This claim is rejected and can no longer be changed."),
        (Status.PAID, "This claim is paid and can no longer be changed."),
        (Status.RETURNED, None),
    ],
)
def test_edit_and_submit_refusal_follow_the_claims_status(world, claim, status, refusal):
    claim = sent(world, claim, status)

    assert permissions.edit_claim_refusal(claim, world.volunteer) == refusal
    assert permissions.submit_refusal(claim, world.volunteer) == refusal
    assert permissions.can_submit(claim, world.volunteer) is (refusal is None)


def test_submit_refusal_asks_for_something_to_pay(world, claim):
    claim = fresh(claim)

    assert permissions.submit_refusal(claim, world.volunteer, total=D("0.00")) == permissions.NOTHING_TO_PAY
    assert permissions.can_submit(claim, world.volunteer, total=D("0.01")) is True


# Deciding ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ("coordinator", None),
        ("finance", None),
        ("volunteer", permissions.OWN_CLAIM),
        ("admin", permissions.NOT_AN_APPROVER),
        ("lead", permissions.NOT_AN_APPROVER),
        ("other_finance", permissions.NOT_AN_APPROVER),
        ("outsider", permissions.NOT_AN_APPROVER),
    ],
)
def test_decide_refusal_names_who_decides(world, claim, who, refusal):
    claim = sent(world, claim, Status.SUBMITTED)

    assert permissions.decide_refusal(claim, getattr(world, who)) == refusal
    assert permissions.can_decide(claim, getattr(world, who)) is (refusal is None)


def test_decide_refusal_of_a_claim_not_waiting_words_it_for_the_page_and_for_the_service(world, claim):
    claim = sent(world, claim, Status.APPROVED)

    assert permissions.decide_refusal(claim, world.finance) == (
        "This claim is approved, so there is nothing to decide now."
    )
    assert permissions.decide_refusal(claim, world.finance, decision=Status.REJECTED) == (
        "This claim is approved, so it cannot be rejected now."
    )
    assert permissions.can_decide(claim, world.finance) is False


def test_a_coordinator_who_is_also_the_claimant_cannot_decide(world, claim):
    factories.MembershipFactory(user=world.volunteer, organisation=world.university, role=Membership.Role.COORDINATOR)
    claim = sent(world, claim, Status.SUBMITTED)

    assert permissions.decide_refusal(claim, world.volunteer) == permissions.OWN_CLAIM


# Receipts --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who", ["volunteer", "coordinator", "finance", "admin", "lead", "other_coordinator", "other_finance", "outsider"]
)
def test_can_see_receipt_agrees_with_the_receipts_each_user_is_given(world, claim, who):
    upload = SimpleUploadedFile("ticket.pdf", PDF, content_type="application/pdf")
    item = services.add_item(
        claim=claim, actor=world.volunteer, kind="parking", date=SESSION_DAY, amount=D("4.00"), receipt_file=upload
    )
    receipt = item.receipt
    assert receipt is not None
    user = getattr(world, who)

    allowed = who in {"volunteer", "coordinator", "finance"}
    assert permissions.can_see_receipt(receipt, user) is allowed
    assert list(receipts_visible_to(user)) == ([receipt] if allowed else [])


# Payment runs and rates ------------------------------------------------------------------------


def test_preview_run_refusal_finance_only_one_at_a_time_and_something_ready_to_pay(world, claim):
    assert permissions.preview_run_refusal(world.university, world.coordinator) == permissions.NOT_FINANCE
    assert permissions.preview_run_refusal(world.university, world.finance) == permissions.NOTHING_APPROVED
    sent(world, claim, Status.APPROVED)
    assert permissions.preview_run_refusal(world.university, world.finance) == permissions.nothing_ready(1)
    payee(claim.volunteer, world.university)
    assert (
        permissions.preview_run_refusal(world.university, world.finance),
        permissions.can_preview_run(world.university, world.finance),
    ) == (None, True)
    ReimbursementRun.objects.create(organisation=world.university, status=ReimbursementRun.Status.RUNNING)
    assert permissions.preview_run_refusal(world.university, world.finance) == permissions.RUN_IN_PROGRESS
    assert permissions.can_preview_run(world.other_university, world.finance) is False


def test_start_run_refusal_finance_once_not_stale_not_changed(world, claim):
    sent(world, claim, Status.APPROVED)
    payee(claim.volunteer, world.university)
    preview = services.preview_run(organisation=world.university, actor=world.finance)

    assert permissions.start_run_refusal(preview, world.coordinator) == permissions.NOT_FINANCE
    assert permissions.start_run_refusal(preview, world.other_finance) == permissions.NOT_FINANCE
    assert permissions.can_start_run(preview, world.finance) is True
    assert permissions.start_run_refusal(preview, world.finance, started=1) == permissions.STALE_PREVIEW
    assert permissions.start_run_refusal(preview, world.finance, changed=True) == permissions.PREVIEW_CHANGED
    assert permissions.start_run_refusal(preview, world.finance, in_progress=True) == permissions.RUN_IN_PROGRESS
    preview.status = ReimbursementRun.Status.QUEUED
    assert permissions.start_run_refusal(preview, world.finance) == permissions.ALREADY_STARTED


@pytest.mark.parametrize(
    ("who", "payees", "finance_settings", "codes"),
    [
        ("finance", True, True, True),
        ("admin", False, True, True),
        ("coordinator", False, False, False),
        ("other_finance", False, False, False),
        ("lead", False, False, False),
    ],
)
def test_who_sets_up_how_a_university_pays(world, who, payees, finance_settings, codes):
    user = getattr(world, who)

    assert (
        permissions.can_record_payee_reference(world.university, user),
        permissions.can_change_finance_settings(world.university, user),
        permissions.can_set_cost_codes(world.university, user),
    ) == (payees, finance_settings, codes)


def test_routes_cannot_change_while_a_run_is_queued_or_running(world):
    assert permissions.can_change_routes(world.university) is True
    ReimbursementRun.objects.create(organisation=world.university, status=ReimbursementRun.Status.PREVIEW)
    assert permissions.route_change_refusal(world.university) is None
    ReimbursementRun.objects.create(organisation=world.university, status=ReimbursementRun.Status.QUEUED)
    assert permissions.route_change_refusal(world.university) == permissions.ROUTES_DURING_RUN
    assert permissions.can_change_routes(world.other_university) is True


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("finance", True), ("admin", True), ("coordinator", False), ("lead", False), ("other_admin", False)],
)
def test_can_set_rates_is_for_finance_and_admins_of_the_university(world, who, allowed):
    user = getattr(world, who)

    assert permissions.can_set_rates(world.university, user) is allowed
    assert permissions.set_rates_refusal(world.university, user) == (None if allowed else permissions.NOT_RATE_SETTER)


# Attendance corrections ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "word"), [(Status.SUBMITTED, "sent"), (Status.APPROVED, "approved"), (Status.PAID, "paid")]
)
def test_did_not_attend_is_refused_while_the_claim_is_sent_approved_or_paid(world, booking, claim, status, word):
    claim = sent(world, claim, status)

    with pytest.raises(SessionError) as error:
        correct_attendance(booking=booking, actor=world.coordinator, status=Booking.Status.NO_SHOW)

    assert str(error.value) == (
        f"Siân's claim for this session has been {word} ({claim.reference}), so attendance cannot be changed "
        "to “did not attend”. Please talk to finance."
    )
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.ATTENDED


@pytest.mark.parametrize("status", [Status.DRAFT, Status.RETURNED, Status.REJECTED])
def test_did_not_attend_is_allowed_with_a_claim_not_sent_or_rejected(world, booking, claim, status):
    if status != Status.DRAFT:
        sent(world, claim, status)

    assert permissions.attendance_correction_refusal(booking, Booking.Status.NO_SHOW) is None
    correct_attendance(booking=booking, actor=world.coordinator, status=Booking.Status.NO_SHOW)

    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.NO_SHOW


def test_the_guard_never_refuses_attended(world, booking, claim):
    sent(world, claim, Status.PAID)

    assert permissions.attendance_correction_refusal(booking, Booking.Status.ATTENDED) is None


def test_a_draft_cannot_change_or_be_sent_while_the_session_is_not_attended_then_works_again(world, booking, claim):
    correct_attendance(booking=booking, actor=world.coordinator, status=Booking.Status.NO_SHOW)
    claim = fresh(claim)

    assert permissions.edit_claim_refusal(claim, world.volunteer) == NOT_ATTENDED
    for call, kwargs in (
        (services.add_item, {"kind": "home_online", "date": SESSION_DAY, "amount": D("6.50")}),
        (services.set_fee_choice, {"choice": Claim.FeeChoice.DECLINE}),
        (services.submit_claim, {}),
    ):
        with pytest.raises(ClaimError) as error:
            call(claim=claim, actor=world.volunteer, **kwargs)
        assert (str(error.value), error.value.field) == (NOT_ATTENDED, None)
    assert (Claim.objects.get(pk=claim.pk).status, ClaimItem.objects.count()) == (Status.DRAFT, 0)

    booking.refresh_from_db()
    correct_attendance(booking=booking, actor=world.coordinator, status=Booking.Status.ATTENDED)
    claim = services.submit_claim(claim=fresh(claim), actor=world.volunteer)

    assert claim.status == Status.SUBMITTED


def test_the_claim_page_says_why_a_draft_cannot_be_sent_after_a_correction(world, booking, claim):
    correct_attendance(booking=booking, actor=world.coordinator, status=Booking.Status.NO_SHOW)
    browser = signed_in(world.volunteer)

    page = browser.get(f"/money/claims/{claim.pk}/")
    add = browser.get(f"/money/claims/{claim.pk}/journey/", follow=True)
    send = browser.post(f"/money/claims/{claim.pk}/submit/", follow=True)

    [notice] = find(page, "div", id="not-attended")
    assert text_of(notice) == NOT_ATTENDED
    [main] = find(page, "main")
    assert (find(page, "section", id="continue"), find(main, "form")) == ([], [])
    assert (messages_on(add), messages_on(send)) == ([NOT_ATTENDED], [NOT_ATTENDED])
    assert Claim.objects.get(pk=claim.pk).status == Status.DRAFT
