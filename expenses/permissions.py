"""The rules about claims, receipts, rates and payment runs, in one place.

Each rule is a ``..._refusal`` function returning the message that explains why something cannot
be done (None: it can), and a ``can_...`` predicate built on it. ``expenses.services`` raises
``ClaimError`` with these messages; views pass the predicates' answers to templates to show or
hide buttons and forms, so no page re-derives a rule. Which claims and receipts a user sees at
all is ``expenses.selectors`` (``claims_visible_to``, ``receipts_visible_to``); a claimant, and the
coordinators and finance officers of the session's university, see a claim and its receipts.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.utils import timezone

from accounts.models import Membership
from accounts.permissions import has_role
from expenses.models import Claim, Receipt, ReimbursementRun
from expenses.rates import claim_deadline
from expenses.selectors import (
    APPROVER_ROLES,
    approved_claims,
    preview_has_changed,
    rate_card_for_session,
    ready_to_pay,
    run_in_progress,
    started_run_count,
)
from involvement import formatting
from sessions_app.models import Booking

if TYPE_CHECKING:
    from accounts.models import Organisation, User
    from expenses.selectors import BudgetPosition

ClaimStatus = Claim.Status
FINANCE = Membership.Role.FINANCE
ADMIN = Membership.Role.ADMIN
EDITABLE = frozenset({ClaimStatus.DRAFT, ClaimStatus.RETURNED})
# A claim with money decided or on its way: attendance can no longer become "did not attend".
SENT = {ClaimStatus.SUBMITTED: "sent", ClaimStatus.APPROVED: "approved", ClaimStatus.PAID: "paid"}
VERBS = {
    ClaimStatus.DRAFT: "put back to draft",
    ClaimStatus.SUBMITTED: "submitted",
    ClaimStatus.APPROVED: "approved",
    ClaimStatus.REJECTED: "rejected",
    ClaimStatus.RETURNED: "returned for changes",
    ClaimStatus.PAID: "paid",
}

NOT_YOURS_TO_OPEN = "Only the volunteer, or a coordinator or finance officer of the university, can open this claim."
NOT_ATTENDED_TO_OPEN = "A claim can only be made for a session the volunteer attended."
ALREADY_CLAIMED = "There is already a claim for this session."
NOT_YOURS_TO_CHANGE = "Only the volunteer, or staff entering a paper claim, can change this claim."
NOT_ATTENDED = (
    "The coordinator has recorded that you did not attend this session, so this claim cannot be sent. "
    "If that is wrong, please contact them."
)
NOTHING_TO_PAY = "There is nothing to pay on this claim yet: add an expense, or take the fee."
OWN_CLAIM = "You cannot decide on your own claim."
NOT_AN_APPROVER = "Only coordinators and finance officers of the university can decide on claims."
NOT_FINANCE = "Only finance officers can start a reimbursement run."
RUN_IN_PROGRESS = "A run is already in progress. Please wait for it to finish."
NOTHING_APPROVED = "There are no approved claims waiting to be paid."
ALREADY_STARTED = (
    "This payment run has already been started, so it was not started again and nothing is paid twice. "
    "This page shows how it is going."
)
STALE_PREVIEW = (
    "Another payment run has started since this preview was made, so it may no longer be right. Please preview again."
)
PREVIEW_CHANGED = (
    "Something has changed since this preview was made (a claim, a payee reference, a cost code or a route), "
    "so it may no longer be right. Please preview again."
)
NOT_RATE_SETTER = "Only finance officers and admins of the university can set its rates."
NOT_BUDGET_SETTER = "Only finance officers and admins of the university can set its programmes’ budgets."
NOT_PAYEE_RECORDER = "Only finance officers of the university can record payee references."
NOT_FINANCE_SETTER = "Only finance officers and admins of the university can change its finance settings."
NOT_CODE_SETTER = "Only finance officers and admins of the university can set its cost codes."
ROUTES_DURING_RUN = (
    "A payment run is in progress, so the routes cannot change now: it pays by the routes it was previewed with. "
    "Please change them once it has finished."
)


def nothing_ready(held: int) -> str:
    """Why a preview would be empty: every approved claim waits for payee set-up."""
    claims = "The approved claim is" if held == 1 else f"All {held} approved claims are"
    return (
        f"{claims} waiting for payee set-up, so there is nothing to pay yet. Record the payee references "
        "on the payee set-up page, then preview again."
    )


def _university_id(claim: Claim) -> int:
    return claim.booking.session.module.programme.university_id


def is_claimant(claim: Claim, user: User) -> bool:
    return user.pk == claim.volunteer.user_id


def is_approver_at(user: User, university_id: int) -> bool:
    """Coordinates or does finance at the university."""
    return has_role(user, APPROVER_ROLES, university_id)


def status_change_refusal(claim: Claim, status: str) -> str:
    """Why ``claim`` cannot move to ``status`` from where it is (the state machine said no)."""
    return f"This claim is {claim.get_status_display().lower()}, so it cannot be {VERBS[ClaimStatus(status)]} now."


# Opening a claim ----------------------------------------------------------------------------------


def open_claim_refusal(
    booking: Booking,
    user: User,
    *,
    has_claim: bool | None = None,
    deadline: datetime.date | None = None,
    today: datetime.date | None = None,
) -> str | None:
    """Why ``user`` cannot open the claim for ``booking``: only its volunteer, or staff of the
    university entering a paper claim, for an attended session without a claim, within the claim
    window. ``has_claim`` and ``deadline`` are looked up when not given."""
    on_behalf = user.pk != booking.volunteer.user_id
    if on_behalf and not is_approver_at(user, booking.session.module.programme.university_id):
        return NOT_YOURS_TO_OPEN
    if booking.status != Booking.Status.ATTENDED:
        return NOT_ATTENDED_TO_OPEN
    if has_claim is None:
        has_claim = Claim.objects.filter(booking=booking).exists()
    if has_claim:
        return ALREADY_CLAIMED
    if deadline is None:
        deadline = claim_deadline(booking, rate_card_for_session(booking.session))
    if (today or timezone.localdate()) > deadline:
        return f"Claims for this session had to be made by {formatting.day(deadline)}. Please contact the coordinator."
    return None


def can_open_claim(
    booking: Booking, user: User, *, has_claim: bool | None = None, deadline: datetime.date | None = None
) -> bool:
    return open_claim_refusal(booking, user, has_claim=has_claim, deadline=deadline) is None


# Changing and sending a claim ---------------------------------------------------------------------


def status_refusal(claim: Claim) -> str | None:
    """Why the claim can no longer change because of where it is (sent, decided or paid)."""
    if claim.status not in EDITABLE:
        return f"This claim is {claim.get_status_display().lower()} and can no longer be changed."
    return None


def attendance_refusal(claim: Claim) -> str | None:
    """Why the claim cannot go on: the booking is no longer recorded as attended (a correction)."""
    if claim.booking.status != Booking.Status.ATTENDED:
        return NOT_ATTENDED
    return None


def edit_claim_refusal(claim: Claim, user: User) -> str | None:
    """Why ``user`` cannot change ``claim``: it must be a draft or returned, changed by its
    volunteer or by staff of the university entering a paper claim, for a booking still attended."""
    if refusal := status_refusal(claim):
        return refusal
    entering_paper_claim = claim.on_behalf and is_approver_at(user, _university_id(claim))
    if not (is_claimant(claim, user) or entering_paper_claim):
        return NOT_YOURS_TO_CHANGE
    return attendance_refusal(claim)


def can_edit_claim(claim: Claim, user: User) -> bool:
    return edit_claim_refusal(claim, user) is None


def submit_refusal(claim: Claim, user: User, *, total: Decimal | None = None) -> str | None:
    """Why ``user`` cannot send ``claim``: whoever may change it may send it, once it asks for
    something (``total``, when known: expenses and the fee, more than £0.00)."""
    if refusal := edit_claim_refusal(claim, user):
        return refusal
    if total is not None and total <= 0:
        return NOTHING_TO_PAY
    return None


def can_submit(claim: Claim, user: User, *, total: Decimal | None = None) -> bool:
    return submit_refusal(claim, user, total=total) is None


# Deciding -----------------------------------------------------------------------------------------


def decide_refusal(claim: Claim, user: User, *, decision: str | None = None) -> str | None:
    """Why ``user`` cannot decide on ``claim``: not their own, a coordinator or finance officer of
    the university, and the claim waiting for a decision. ``decision`` (the status it would move
    to) words the last refusal as the service does; without it, as the page does."""
    if is_claimant(claim, user):
        return OWN_CLAIM
    if not is_approver_at(user, _university_id(claim)):
        return NOT_AN_APPROVER
    if claim.status != ClaimStatus.SUBMITTED:
        if decision is not None:
            return status_change_refusal(claim, decision)
        return f"This claim is {claim.get_status_display().lower()}, so there is nothing to decide now."
    return None


def can_decide(claim: Claim, user: User) -> bool:
    return decide_refusal(claim, user) is None


# Attendance corrections (a guard registered with sessions_app.services) ----------------------------


def attendance_correction_refusal(booking: Booking, new_status: str) -> str | None:
    """Why attendance of ``booking`` cannot be corrected to ``new_status``: not to "did not
    attend" while its claim has been sent, approved or paid (a draft or a returned claim does not
    stand in the way; it cannot be sent while the booking is not attended)."""
    if new_status != Booking.Status.NO_SHOW:
        return None
    claim = Claim.objects.filter(booking=booking, status__in=list(SENT)).first()
    if claim is None:
        return None
    name = booking.volunteer.display_name
    return (
        f"{name}'s claim for this session has been {SENT[ClaimStatus(claim.status)]} ({claim.reference}), "
        "so attendance cannot be changed to “did not attend”. Please talk to finance."
    )


# Receipts -----------------------------------------------------------------------------------------


def can_see_receipt(receipt: Receipt, user: User) -> bool:
    """The claimant, and the coordinators and finance officers of the claim's university (as
    ``selectors.receipts_visible_to``)."""
    claim = receipt.claim
    return is_claimant(claim, user) or is_approver_at(user, _university_id(claim))


# Payment runs and rates ---------------------------------------------------------------------------


def preview_run_refusal(
    organisation: Organisation | int,
    user: User,
    *,
    waiting: int | None = None,
    ready: int | None = None,
    in_progress: bool | None = None,
) -> str | None:
    """Why ``user`` cannot preview a payment run at ``organisation``: finance officers only, not
    while a run is in progress, and only with approved claims ``waiting``, ``ready`` of them (with
    a payee reference) to pay. The counts are looked up when not given."""
    if not has_role(user, [FINANCE], organisation):
        return NOT_FINANCE
    if in_progress is None:
        in_progress = run_in_progress(organisation)
    if in_progress:
        return RUN_IN_PROGRESS
    organisation_id = organisation if isinstance(organisation, int) else organisation.pk
    if waiting is None:
        waiting = approved_claims([organisation_id]).count()
    if waiting == 0:
        return NOTHING_APPROVED
    if ready is None:
        ready = ready_to_pay([organisation_id]).count()
    if ready == 0:
        return nothing_ready(waiting)
    return None


def can_preview_run(
    organisation: Organisation | int,
    user: User,
    *,
    waiting: int | None = None,
    ready: int | None = None,
    in_progress: bool | None = None,
) -> bool:
    return preview_run_refusal(organisation, user, waiting=waiting, ready=ready, in_progress=in_progress) is None


def start_run_refusal(
    run: ReimbursementRun,
    user: User,
    *,
    in_progress: bool | None = None,
    started: int | None = None,
    changed: bool | None = None,
) -> str | None:
    """Why ``user`` cannot start ``run`` (a preview), paying exactly what it shows: finance officers
    of its university only; a preview starts once; not while another run is in progress; not when
    another run has started since it was made (``started``: how many runs of the university have
    started), nor when what it would pay has ``changed`` since. Looked up when not given."""
    if not has_role(user, [FINANCE], run.organisation_id):
        return NOT_FINANCE
    if run.status != ReimbursementRun.Status.PREVIEW:
        return ALREADY_STARTED
    if in_progress is None:
        in_progress = run_in_progress(run.organisation_id)
    if in_progress:
        return RUN_IN_PROGRESS
    if started is None:
        started = started_run_count(run.organisation_id)
    if started != run.runs_started_before:
        return STALE_PREVIEW
    if changed is None:
        changed = preview_has_changed(run)
    if changed:
        return PREVIEW_CHANGED
    return None


def can_start_run(
    run: ReimbursementRun,
    user: User,
    *,
    in_progress: bool | None = None,
    started: int | None = None,
    changed: bool | None = None,
) -> bool:
    return start_run_refusal(run, user, in_progress=in_progress, started=started, changed=changed) is None


def set_rates_refusal(organisation: Organisation | int, user: User) -> str | None:
    if not has_role(user, [FINANCE, ADMIN], organisation):
        return NOT_RATE_SETTER
    return None


def can_set_rates(organisation: Organisation | int, user: User) -> bool:
    return set_rates_refusal(organisation, user) is None


# Payee references, finance settings and cost codes -------------------------------------------------


def payee_reference_refusal(organisation: Organisation | int, user: User) -> str | None:
    """Finance officers of the university record its payee references (never bank details)."""
    if not has_role(user, [FINANCE], organisation):
        return NOT_PAYEE_RECORDER
    return None


def can_record_payee_reference(organisation: Organisation | int, user: User) -> bool:
    return payee_reference_refusal(organisation, user) is None


def finance_settings_refusal(organisation: Organisation | int, user: User) -> str | None:
    """Finance officers and admins of the university change its finance settings."""
    if not has_role(user, [FINANCE, ADMIN], organisation):
        return NOT_FINANCE_SETTER
    return None


def can_change_finance_settings(organisation: Organisation | int, user: User) -> bool:
    return finance_settings_refusal(organisation, user) is None


def route_change_refusal(organisation: Organisation | int, *, in_progress: bool | None = None) -> str | None:
    """Why the routes of ``organisation`` cannot change now: a run is queued or running (it pays by
    the routes it was previewed with). Looked up when not given."""
    if in_progress is None:
        in_progress = run_in_progress(organisation)
    if in_progress:
        return ROUTES_DURING_RUN
    return None


def can_change_routes(organisation: Organisation | int, *, in_progress: bool | None = None) -> bool:
    return route_change_refusal(organisation, in_progress=in_progress) is None


def cost_codes_refusal(organisation: Organisation | int, user: User) -> str | None:
    """Finance officers and admins of the university set its programmes' cost codes."""
    if not has_role(user, [FINANCE, ADMIN], organisation):
        return NOT_CODE_SETTER
    return None


def can_set_cost_codes(organisation: Organisation | int, user: User) -> bool:
    return cost_codes_refusal(organisation, user) is None


# Budgets --------------------------------------------------------------------------------------------


def set_budget_refusal(organisation: Organisation | int, user: User) -> str | None:
    """Why ``user`` cannot set the budgets of ``organisation``'s programmes: finance officers and
    org admins of the university only."""
    if not has_role(user, [FINANCE, ADMIN], organisation):
        return NOT_BUDGET_SETTER
    return None


def can_set_budget(organisation: Organisation | int, user: User) -> bool:
    return set_budget_refusal(organisation, user) is None


def is_over_budget(position: BudgetPosition) -> bool:
    """Whether spent and committed are already past the budget (never, without a budget)."""
    return position.budget is not None and position.used > position.budget


def approval_goes_over_budget(position: BudgetPosition, amount: Decimal) -> bool:
    """Whether approving a claim for ``amount`` takes spent and committed past the budget.
    Reaching it exactly is within it; without a budget there is no limit."""
    return position.budget is not None and position.after(amount) > position.budget


def over_budget_refusal(position: BudgetPosition, amount: Decimal, *, reason: str) -> str | None:
    """Why a claim for ``amount`` cannot be approved as it stands: approving it takes the
    programme past its budget for the year, and no reason for going over budget was given."""
    if not approval_goes_over_budget(position, amount) or reason.strip():
        return None
    return (
        f"Approving this claim brings {position.programme} to £{position.after(amount):,.2f} "
        f"of its £{position.budget:,.2f} budget for {position.year_label}. "
        "Please give the reason for going over budget."
    )
