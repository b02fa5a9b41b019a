"""Every email the expenses services queue, delivered through the real services and the outbox:
subject, plain text and HTML, with the exact facts (reference, session, amounts, reasons, links)."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.template.loader import get_template
from django.test.html import Element, parse_html

from expenses.models import Claim, FinanceSettings, PayRoute, ReimbursementRun
from expenses.services import (
    add_item,
    approve_claim,
    execute_run,
    open_claim,
    preview_run,
    reject_claim,
    return_claim,
    set_fee_choice,
    start_run,
    submit_claim,
)
from tests.accounts.test_views import find, text_of, texts
from tests.conftest import World
from tests.expenses.factories import attended_booking, payee, rate_card_for
from volunteers.models import VolunteerProfile

NOW = datetime.datetime(2026, 3, 20, 9, 30, tzinfo=datetime.UTC)
SITE = settings.SITE_URL
NAME = "Siân O'Brien"
TITLE = "Storytelling"
SERVICES = Path(settings.BASE_DIR) / "expenses" / "services.py"
# Special-category data planted in the volunteer's profile: no email carries it.
MARKERS = ("ADJ-MARKER", "TOPIC-MARKER", "BIO-MARKER")


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def profile(world: World) -> VolunteerProfile:
    profile = VolunteerProfile.objects.get(user=world.volunteer)
    profile.preferred_name = NAME
    profile.other_adjustments = "ADJ-MARKER"
    profile.topics_to_avoid = "TOPIC-MARKER"
    profile.biography = "BIO-MARKER"
    profile.save()
    return profile


@pytest.fixture
def claim(world: World, profile: VolunteerProfile) -> Claim:
    """A submitted claim: 12.5 miles by car (£5.63), £6.50 food and drink and the £50.00 fee."""
    rate_card_for(world.university)
    booking = attended_booking(world.university, world.coordinator, profile)
    booking.session.title = TITLE
    booking.session.save()
    claim = open_claim(booking=booking, actor=world.volunteer)
    day = datetime.date(2026, 3, 17)
    add_item(
        claim=claim,
        actor=world.volunteer,
        kind="mileage",
        date=day,
        miles=Decimal("12.5"),
        vehicle="car",
        from_postcode="LS1 4DY",
        to_postcode="LS2 9JT",
    )
    add_item(claim=claim, actor=world.volunteer, kind="subsistence", date=day, amount=Decimal("6.50"))
    return submit_claim(claim=claim, actor=world.volunteer)


def deliver(django_capture_on_commit_callbacks: Any, action: Any, **kwargs: Any) -> list[EmailMultiAlternatives]:
    """Run ``action`` and deliver what it queued on commit; the emails it sent."""
    before = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        action(**kwargs)
    return mail.outbox[before:]  # type: ignore[return-value]  # the locmem backend keeps the messages


def html(message: EmailMultiAlternatives) -> Element:
    [(content, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return parse_html(str(content))


def links(message: EmailMultiAlternatives) -> list[tuple[str, str]]:
    return [(text_of(link), dict(link.attributes)["href"]) for link in find(html(message), "a")]


def title(message: EmailMultiAlternatives) -> str:
    return texts(html(message), "title")[0]


def no_markers(message: EmailMultiAlternatives) -> list[str]:
    everything = message.subject + message.body + str(message.alternatives[0][0])
    return [marker for marker in MARKERS if marker in everything]


def claim_link(claim: Claim) -> str:
    return f"{SITE}/money/claims/{claim.pk}/"


def test_every_expenses_email_has_its_three_templates() -> None:
    names = sorted(
        set(re.findall(r'template_key="expenses/(\w+)"', SERVICES.read_text()))
        | {f"claim_{what}" for what in re.findall(r'_tell_volunteer\(claim, "(\w+)"[,)]', SERVICES.read_text())}
    )

    assert names == ["claim_approved", "claim_rejected", "claim_returned", "payee_form", "remittance"]
    for name in names:
        for suffix in ("subject.txt", "txt"):
            get_template(f"emails/expenses/{name}.{suffix}", using="text")
        assert get_template(f"emails/expenses/{name}.html").template.source.startswith(
            '{% extends "emails/base.html" %}'
        )


def test_claim_approved_email(world: World, claim: Claim, django_capture_on_commit_callbacks: Any) -> None:
    payee(claim.volunteer, world.university)

    [message] = deliver(django_capture_on_commit_callbacks, approve_claim, claim=claim, actor=world.coordinator)

    assert (message.to, message.subject) == ([world.volunteer.email], "Your claim is approved: Storytelling")
    assert message.body == (
        f"Dear {NAME},\n\n"
        f"Good news: your claim {claim.reference} for “Storytelling” has been approved.\n\n"
        "To be paid: £62.13\n\n"
        "It will be paid in the university's next payment run, and we will email you when it has been paid. "
        "You do not need to do anything.\n\n"
        "See your claim:\n"
        f"{claim_link(claim)}\n"
    )
    assert title(message) == "Your claim is approved: Storytelling"
    assert texts(html(message), "p")[:3] == [
        f"Dear {NAME},",
        f"Good news: your claim {claim.reference} for “Storytelling” has been approved.",
        "To be paid: £62.13",
    ]
    assert links(message) == [("See your claim", claim_link(claim))]
    assert no_markers(message) == []


def test_claim_approved_email_without_a_payee_reference_says_the_payee_form_comes_first(
    world: World, claim: Claim, django_capture_on_commit_callbacks: Any
) -> None:
    approved, form = deliver(django_capture_on_commit_callbacks, approve_claim, claim=claim, actor=world.coordinator)

    assert (approved.subject, form.to) == ("Your claim is approved: Storytelling", [world.volunteer.email])
    assert (
        "Before the university can pay you, it needs to set you up in its finance system: we have emailed you "
        "about its payee form. Once that is done, it will be paid in the next payment run"
    ) in approved.body
    assert "You do not need to do anything" not in approved.body
    assert "You do not need to do anything" not in " ".join(texts(html(approved), "p"))


def test_claim_rejected_email_gives_the_reason(
    world: World, claim: Claim, django_capture_on_commit_callbacks: Any
) -> None:
    reason = "This session was paid for on a paper form in March.\nPlease ask Priya if unsure."

    [message] = deliver(
        django_capture_on_commit_callbacks, reject_claim, claim=claim, actor=world.finance, reason=reason
    )

    assert (message.to, message.subject) == ([world.volunteer.email], "About your claim: Storytelling")
    assert message.body == (
        f"Dear {NAME},\n\n"
        f"We are sorry: your claim {claim.reference} for “Storytelling” has not been approved.\n\n"
        "The reason given:\n"
        f"{reason}\n\n"
        "If you have a question, or think something has been misunderstood, please contact the coordinator of "
        "the session. They will be glad to help.\n\n"
        "See your claim:\n"
        f"{claim_link(claim)}\n"
    )
    assert texts(html(message), "blockquote") == [
        "This session was paid for on a paper form in March. Please ask Priya if unsure."
    ]
    assert len(find(html(message), "br")) == 1
    assert links(message) == [("See your claim", claim_link(claim))]
    assert no_markers(message) == []


def test_claim_returned_email_says_what_to_change(
    world: World, claim: Claim, django_capture_on_commit_callbacks: Any
) -> None:
    note = "Please add the receipt for parking <if you have it>."

    [message] = deliver(
        django_capture_on_commit_callbacks, return_claim, claim=claim, actor=world.coordinator, note=note
    )

    assert (message.to, message.subject) == ([world.volunteer.email], "Please check your claim: Storytelling")
    assert message.body == (
        f"Dear {NAME},\n\n"
        f"Your claim {claim.reference} for “Storytelling” needs a small change before it can be approved, "
        "so it has been sent back to you.\n\n"
        "What to change:\n"
        f"{note}\n\n"
        "Please open your claim, make the change and send it again:\n"
        f"{claim_link(claim)}\n\n"
        "If anything is unclear, the coordinator of the session will be glad to help.\n"
    )
    assert str(message.alternatives[0][0]).count("&lt;if you have it&gt;") == 1
    assert texts(html(message), "blockquote") == [note]
    assert links(message) == [("Open your claim, make the change and send it again", claim_link(claim))]
    assert no_markers(message) == []


def test_a_first_approval_asks_for_the_payee_form_kindly(
    world: World, claim: Claim, django_capture_on_commit_callbacks: Any
) -> None:
    FinanceSettings.objects.create(organisation=world.university, payee_form_url="https://a.example/payee-form")

    [approved, message] = deliver(
        django_capture_on_commit_callbacks, approve_claim, claim=claim, actor=world.coordinator
    )

    assert approved.subject == "Your claim is approved: Storytelling"
    assert (message.to, message.subject) == ([world.volunteer.email], "One thing before University A can pay you")
    assert message.body == (
        f"Dear {NAME},\n\n"
        "Thank you for taking part in “Storytelling”. Your claim has been approved.\n\n"
        "As this is the first time University A is paying you, its finance team needs to set you up in its payment "
        "system before the money can be sent. You only need to do this once.\n\n"
        "Please fill in the university's payee form and send it back as it asks:\n"
        "https://a.example/payee-form\n\n"
        "Your bank details go to the university on its own form. We never ask for them on Involvement, and we "
        "never keep them.\n\n"
        "Your claim will be paid in the first payment run after you are set up. Nothing is lost in the meantime.\n"
    )
    # The one thing it asks: the university's form (the claim is a link only when there is no form).
    assert links(message) == [("the university's payee form", "https://a.example/payee-form")]
    assert no_markers(message) == []


def paid_run(world: World, claim: Claim) -> ReimbursementRun:
    """Approve ``claim`` (its volunteer set up as a payee) and start a run of it, not yet run."""
    payee(claim.volunteer, world.university)
    approve_claim(claim=claim, actor=world.coordinator)
    return start_run(run=preview_run(organisation=world.university, actor=world.finance), actor=world.finance)


def test_remittance_email_says_per_line_how_the_money_comes(
    world: World, claim: Claim, django_capture_on_commit_callbacks: Any
) -> None:
    run = paid_run(world, claim)

    [message] = deliver(django_capture_on_commit_callbacks, execute_run, run_id=run.pk)

    assert (message.to, message.subject) == (
        [world.volunteer.email],
        "On its way: your money for Storytelling",
    )
    assert message.body == (
        f"Dear {NAME},\n\n"
        f"University A has sent your claim {claim.reference} for “Storytelling” for payment:\n\n"
        "Expenses: £12.13, by bank transfer from the university's accounts payable\n"
        "Involvement fee: £50.00, through the university's payroll in the next pay run\n"
        "Total: £62.13\n\n"
        "Your money page keeps a statement of everything you have been paid in each tax year, in case a benefits "
        "adviser or HMRC asks for it:\n"
        f"{SITE}/money/\n\n"
        "Thank you for taking part.\n"
    )
    assert title(message) == "On its way: your money for Storytelling"
    assert texts(html(message), "li") == [
        "Expenses: £12.13, by bank transfer from the university's accounts payable",
        "Involvement fee: £50.00, through the university's payroll in the next pay run",
    ]
    assert texts(html(message), "p")[2] == "Total: £62.13"
    assert links(message) == [("see your money page", f"{SITE}/money/")]
    assert "bank account" not in message.body
    assert no_markers(message) == []


def test_remittance_email_follows_the_route_recorded_on_each_payment(
    world: World, claim: Claim, django_capture_on_commit_callbacks: Any
) -> None:
    FinanceSettings.objects.create(
        organisation=world.university, fee_route=PayRoute.ACCOUNTS_PAYABLE, expenses_route=PayRoute.PAYROLL
    )
    run = paid_run(world, claim)

    [message] = deliver(django_capture_on_commit_callbacks, execute_run, run_id=run.pk)

    assert texts(html(message), "li") == [
        "Expenses: £12.13, through the university's payroll in the next pay run",
        "Involvement fee: £50.00, by bank transfer from the university's accounts payable",
    ]


def test_remittance_email_of_expenses_only_has_one_line(
    world: World, claim: Claim, django_capture_on_commit_callbacks: Any
) -> None:
    returned = return_claim(claim=claim, actor=world.coordinator, note="Please choose about the fee.")
    set_fee_choice(claim=returned, actor=world.volunteer, choice="decline")
    payee(claim.volunteer, world.university)
    approve_claim(claim=submit_claim(claim=returned, actor=world.volunteer), actor=world.finance)
    run = start_run(run=preview_run(organisation=world.university, actor=world.finance), actor=world.finance)

    [message] = deliver(django_capture_on_commit_callbacks, execute_run, run_id=run.pk)

    assert message.body.split("\n\n")[2] == (
        "Expenses: £12.13, by bank transfer from the university's accounts payable\nTotal: £12.13"
    )
    assert texts(html(message), "li") == ["Expenses: £12.13, by bank transfer from the university's accounts payable"]
