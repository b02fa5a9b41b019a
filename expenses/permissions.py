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
from expenses.models import Claim, Receipt
from expenses.rates import claim_deadline
from expenses.selectors import APPROVER_ROLES, approved_claims, rate_card_for_session, run_in_progress
from sessions_app.models import Booking

if TYPE_CHECKING:
    from accounts.models import Organisation, User

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
NOT_RATE_SETTER = "Only finance officers and admins of the university can set its rates."


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
        return f"Claims for this session had to be made by {deadline:%-d %B %Y}. Please contact the coordinator."
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


def start_run_refusal(
    organisation: Organisation | int, user: User, *, waiting: int | None = None, in_progress: bool | None = None
) -> str | None:
    """Why ``user`` cannot start a payment run at ``organisation``: finance officers only, one run
    at a time, and only with approved claims ``waiting`` (looked up when not given)."""
    if not has_role(user, [FINANCE], organisation):
        return NOT_FINANCE
    if in_progress is None:
        in_progress = run_in_progress(organisation)
    if in_progress:
        return RUN_IN_PROGRESS
    if waiting is None:
        organisation_id = organisation if isinstance(organisation, int) else organisation.pk
        waiting = approved_claims([organisation_id]).count()
    if waiting == 0:
        return NOTHING_APPROVED
    return None


def can_start_run(
    organisation: Organisation | int, user: User, *, waiting: int | None = None, in_progress: bool | None = None
) -> bool:
    return start_run_refusal(organisation, user, waiting=waiting, in_progress=in_progress) is None


def set_rates_refusal(organisation: Organisation | int, user: User) -> str | None:
    if not has_role(user, [FINANCE, ADMIN], organisation):
        return NOT_RATE_SETTER
    return None


def can_set_rates(organisation: Organisation | int, user: User) -> bool:
    return set_rates_refusal(organisation, user) is None
