"""Every email the outbox can send, rendered as the outbox renders it (``render_notification``),
with realistic context from the factories: a plain-text part and a simple, accessible HTML part, a
clear subject, and the one action it asks for.

The kinds are the templates on disk (``templates/emails/<app>/<name>.subject.txt``): a new kind
without a case here fails ``test_every_email_kind_has_a_case``.

The rule for the action: an email asks for at most one thing. Its links all lead to one page (an
email asking one question may offer its answers as links to that page, each answer chosen on
arrival: the check-in's "I'm fine" and "I'd like a call"); a notice that asks nothing has no link.
Every address linked in the HTML part is written out in the plain-text part.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import allauth
import pytest
from allauth.core.context import request_context
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.urls import Resolver404, resolve, reverse

from accounts.adapter import AccountAdapter
from accounts.models import Membership
from expenses.models import PayRoute
from expenses.services import HOW_PAID
from involvement import formatting
from involvement.links import absolute_url
from involvement.models import Notification
from involvement.notifications import render_notification
from sessions_app.covered import what_is_covered
from sessions_app.models import Booking, TeachingSession
from sessions_app.services import invitation_token, session_context
from tests.conftest import World
from tests.expenses.factories import attended_booking, rate_card_for
from volunteers.models import VolunteerProfile

EMAILS = Path(settings.BASE_DIR) / "templates" / "emails"
# The longest session title in the demo data, and names as long as real ones.
TITLE = "Breast screening: what patients wish we knew"
VOLUNTEER = "Oluwaseun Adebayo"
UNIVERSITY = "University of Northbridge"
NETWORK = "Breast Cancer Voices"
SUBJECT_LIMIT = 78
VAGUE = {"click here", "here", "click", "this", "this link", "link", "more", "read more", "go", "open"}


def kinds_on_disk() -> list[str]:
    return sorted(str(path.relative_to(EMAILS))[: -len(".subject.txt")] for path in EMAILS.rglob("*.subject.txt"))


@dataclass
class Case:
    """One email to render: its kind, the context its service gives it, and the context key of
    the address it asks the reader to go to (None: a notice, with no link)."""

    kind: str
    context: dict[str, Any]
    action: str | None


@dataclass
class Things:
    """Realistic objects from the factories, shared by the cases."""

    world: World
    booking: Booking
    session: TeachingSession
    volunteer: VolunteerProfile

    def session_facts(self) -> dict[str, Any]:
        return session_context(self.session)

    def url(self, name: str, **kwargs: Any) -> str:
        return absolute_url(reverse(name, kwargs=kwargs))


@pytest.fixture
def things(world: World) -> Things:
    world.university.name = UNIVERSITY
    world.university.save()
    world.charity.name = NETWORK
    world.charity.save()
    world.coordinator.name = "Priya Shah"
    world.coordinator.save()
    rate_card_for(world.university)
    volunteer = VolunteerProfile.objects.get(user=world.volunteer)
    volunteer.preferred_name = VOLUNTEER
    volunteer.phone = "07700 900123"
    volunteer.save()
    booking = attended_booking(world.university, world.coordinator, volunteer)
    session = booking.session
    session.title = TITLE
    session.venue = "Room 2.14, Allied Health Building, Northbridge campus"
    session.briefing = "Please arrive 15 minutes early; someone will meet you at the main reception."
    session.save()
    return Things(world=world, booking=booking, session=session, volunteer=volunteer)


def claim_context(things: Things, **extra: Any) -> dict[str, Any]:
    """What ``expenses.services._tell_volunteer`` gives the claim emails."""
    return {
        "name": VOLUNTEER,
        "reference": "CLM-000123",
        "session": TITLE,
        "note": "Please add the receipt for the car park.",
        "total": "81.25",
        "claim_url": absolute_url("/money/claims/123/"),
        **extra,
    }


def cases(things: Things) -> list[Case]:
    session = things.session_facts()
    s = things.session
    matching = things.url("sessions_app:matching", pk=s.pk)
    session_url = absolute_url(s.get_absolute_url())
    my_sessions = things.url("sessions_app:my_sessions")
    covered = [[item.text, item.url] for item in what_is_covered(s, things.booking, for_volunteer=things.volunteer)]
    feedback = {**session, "name": "Priya Shah"}
    return [
        Case(
            "accounts/member_invitation",
            {
                "organisation": UNIVERSITY,
                "role": Membership.Role.COORDINATOR.label,
                "invited_by": "Priya Shah",
                "accept_url": absolute_url("/accounts/invitations/Zm9vYmFy/"),
                "expires_in_days": 14,
            },
            "accept_url",
        ),
        Case("expenses/claim_approved", claim_context(things, payee_needed=False), "claim_url"),
        Case("expenses/claim_approved", claim_context(things, payee_needed=True), "claim_url"),
        Case("expenses/claim_rejected", claim_context(things, note="This was claimed on paper already."), "claim_url"),
        Case("expenses/claim_returned", claim_context(things), "claim_url"),
        Case(
            "expenses/payee_form",
            {
                **claim_context(things),
                "university": UNIVERSITY,
                "form_url": "https://finance.northbridge.example/new-payee-form",
            },
            "form_url",
        ),
        Case("expenses/payee_form", {**claim_context(things), "university": UNIVERSITY, "form_url": ""}, "claim_url"),
        Case(
            "expenses/remittance",
            {
                "name": VOLUNTEER,
                "reference": "CLM-000123",
                "session": TITLE,
                "university": UNIVERSITY,
                "lines": [
                    ["Expenses", "6.25", HOW_PAID[PayRoute.ACCOUNTS_PAYABLE]],
                    ["Involvement fee", "75.00", HOW_PAID[PayRoute.PAYROLL]],
                ],
                "total": "81.25",
                "money_url": things.url("expenses:money"),
            },
            "money_url",
        ),
        *(
            Case(
                "feedback/coordinator_request",
                {
                    **feedback,
                    "reminder": reminder,
                    "feedback_url": things.url("feedback:coordinator_feedback", pk=s.pk),
                },
                "feedback_url",
            )
            for reminder in (False, True)
        ),
        Case(
            "feedback/follow_up_raised",
            {
                **session,
                "volunteer": VOLUNTEER,
                "reason": "would like someone to contact them",
                "network": NETWORK,
                "follow_up_url": absolute_url(f"/networks/{things.world.charity.slug}/follow-ups/7/"),
            },
            "follow_up_url",
        ),
        *(
            Case(
                "feedback/volunteer_request",
                {
                    **session,
                    "name": VOLUNTEER,
                    "reminder": reminder,
                    "feedback_url": absolute_url("/feedback/volunteer/Zm9vYmFy/"),
                    "valid_until": "Friday 3 April 2026 at 10:00",
                },
                "feedback_url",
            )
            for reminder in (False, True)
        ),
        Case(
            "sessions_app/booking_accepted_owner",
            {**session, "volunteer": VOLUNTEER, "filled": 1, "places": 2, "session_url": session_url},
            "session_url",
        ),
        Case(
            "sessions_app/booking_cancelled_by_coordinator",
            {**session, "name": VOLUNTEER, "reason": "The module has been moved to the spring term."},
            None,
        ),
        *(
            Case(
                "sessions_app/booking_cancelled_by_volunteer",
                {
                    **session,
                    "volunteer": VOLUNTEER,
                    "reason": "Hospital appointment moved to that day.",
                    "next_suggestion": suggestion,
                    "matching_url": matching,
                },
                "matching_url",
            )
            for suggestion in ("Siân O'Brien", "")
        ),
        Case(
            "sessions_app/booking_confirmed",
            {
                **session,
                "name": VOLUNTEER,
                "booking": things.booking.pk,
                "briefing": s.briefing,
                "my_sessions_url": my_sessions,
            },
            "my_sessions_url",
        ),
        Case(
            "sessions_app/booking_declined_owner",
            {**session, "volunteer": VOLUNTEER, "filled": 1, "places": 2, "session_url": session_url},
            "session_url",
        ),
        Case("sessions_app/call_requested", {**session, "volunteer": VOLUNTEER, "contact": "07700 900123"}, None),
        Case(
            "sessions_app/check_in",
            {
                **session,
                "name": VOLUNTEER,
                "fine_url": things.url("sessions_app:check_in", token="Zm9vYmFy", answer="fine"),
                "call_url": things.url("sessions_app:check_in", token="Zm9vYmFy", answer="call"),
            },
            "fine_url",
        ),
        Case(
            "sessions_app/invitation",
            {
                **session,
                "name": VOLUNTEER,
                "kind": s.get_kind_display(),
                "expires": "Friday 27 March 2026 at 10:00",
                "answer_url": things.url("sessions_app:invitation", token=invitation_token(things.booking)),
                "covered": covered,
            },
            "answer_url",
        ),
        Case(
            "sessions_app/place_cancelled_consent",
            {**session, "name": VOLUNTEER, "purpose": "Sharing my story with students"},
            None,
        ),
        Case("sessions_app/place_freed", {**session, "matching_url": matching}, "matching_url"),
        *(
            Case(
                "sessions_app/reminder",
                {**session, "name": VOLUNTEER, "days": days, "briefing": s.briefing, "my_sessions_url": my_sessions},
                "my_sessions_url",
            )
            for days in (1, 7)
        ),
        Case(
            "sessions_app/session_cancelled",
            {**session, "name": VOLUNTEER, "reason": "The module has been moved to the spring term."},
            None,
        ),
        Case("sessions_app/session_changed", {**session, "name": VOLUNTEER}, "my_sessions"),
        Case(
            "sessions_app/session_message",
            {
                **session,
                "name": VOLUNTEER,
                "subject": "Parking on the day",
                "body": "The visitor car park is closed for works.\nPlease use the multi-storey on Park Lane.",
                "sender": "Priya Shah",
            },
            "my_sessions",
        ),
        Case(
            "volunteers/application_accepted",
            {
                "name": VOLUNTEER,
                "network": NETWORK,
                "message": "Welcome! I will call you next week.",
                "home_url": things.url("volunteers:my_volunteering"),
            },
            "home_url",
        ),
        Case(
            "volunteers/application_declined",
            {"name": VOLUNTEER, "network": NETWORK, "message": "We are not recruiting in your area just now."},
            None,
        ),
        Case(
            "volunteers/application_received",
            {"network": NETWORK, "applicant": VOLUNTEER, "review_url": absolute_url("/networks/applications/12/")},
            "review_url",
        ),
        Case(
            "volunteers/check_expiring",
            {
                "volunteer": VOLUNTEER,
                "check": "DBS check",
                "expires_on": formatting.day(datetime.date(2026, 3, 20) + datetime.timedelta(days=30)),
                "network": NETWORK,
                "volunteer_url": absolute_url("/networks/breast-cancer-voices/volunteers/12/"),
            },
            "volunteer_url",
        ),
    ]


# Some actions are a page named by the template itself rather than an address in the context.
ACTION_PAGES: dict[str, Callable[[], str]] = {
    "my_sessions": lambda: absolute_url(reverse("sessions_app:my_sessions")),
}


class EmailHTML(HTMLParser):
    """What the checks need from an email's HTML part."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.title = ""
        self.tags: list[str] = []
        self.images_without_alt = 0
        self.links: list[tuple[str, str]] = []
        self.text: list[str] = []
        self._in: list[str] = []
        self._link: list[str] | None = None
        self._href = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append(tag)
        self._in.append(tag)
        if tag == "html":
            self.lang = attributes.get("lang")
        if tag == "img" and not (attributes.get("alt") or "").strip():
            self.images_without_alt += 1
        if tag == "a":
            self._link, self._href = [], attributes.get("href") or ""

    def handle_endtag(self, tag: str) -> None:
        if self._in and self._in[-1] == tag:
            self._in.pop()
        if tag == "a" and self._link is not None:
            self.links.append((self._href, " ".join("".join(self._link).split())))
            self._link = None

    def handle_data(self, data: str) -> None:
        if "title" in self._in:
            self.title += data
        self.text.append(data)
        if self._link is not None:
            self._link.append(data)


def destination(href: str) -> str:
    """The page a link opens: this site's by its URL name, another site's by its address."""
    parts = urlsplit(href)
    if f"{parts.scheme}://{parts.netloc}" == settings.SITE_URL:
        try:
            return f"page:{resolve(parts.path).view_name}"
        except Resolver404:
            return f"page:{parts.path}"
    return href


def rendered(case: Case) -> tuple[str, str, str]:
    notification = Notification(
        template_key=case.kind, context=case.context, email="someone@example.org", unique_key="test"
    )
    message = render_notification(notification)
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    return str(message.subject), str(message.body), str(html)


def test_every_email_kind_has_a_case(things: Things) -> None:
    covered = {case.kind for case in cases(things)}

    assert kinds_on_disk() == sorted(covered)
    for kind in kinds_on_disk():
        assert (EMAILS / f"{kind}.txt").exists(), f"{kind} has no plain-text part"
        assert (EMAILS / f"{kind}.html").exists(), f"{kind} has no HTML part"


def test_every_email_is_clear_plain_and_accessible_with_one_action(things: Things) -> None:
    problems: list[str] = []
    for case in cases(things):
        subject, text, html = rendered(case)
        parsed = EmailHTML()
        parsed.feed(html)
        visible = " ".join(" ".join(parsed.text).split())
        found = [
            *check_subject(subject),
            *check_text(text),
            *check_html(parsed, subject, visible),
            *check_action(case, parsed, text),
        ]
        problems += [f"{case.kind} ({subject!r}): {problem}" for problem in found]

    assert problems == [], "\n".join(problems)


def check_subject(subject: str) -> list[str]:
    problems = []
    if not subject.strip():
        problems.append("the subject is empty")
    if len(subject) > SUBJECT_LIMIT:
        problems.append(f"the subject is {len(subject)} characters, more than {SUBJECT_LIMIT}")
    if re.search(r"{[{%#]|[%}]}|\bNone\b", subject) or subject != " ".join(subject.split()):
        problems.append("the subject has a template tag, None or stray spaces in it")
    return problems


def check_text(text: str) -> list[str]:
    problems = []
    if not text.strip():
        problems.append("the plain-text part is empty")
    if re.search(r"{[{%#]|[%}]}|\bNone\b", text):
        problems.append("the plain-text part has a template tag or None in it")
    if re.search(r"</?[a-z]+[ >]|&[a-z]+;|&#\d+;", text):
        problems.append("the plain-text part has HTML or an HTML entity in it")
    return problems


def check_html(parsed: EmailHTML, subject: str, visible: str) -> list[str]:
    problems = []
    if not re.fullmatch(r"en(-GB)?", parsed.lang or ""):
        problems.append(f"the HTML part's language is {parsed.lang!r}, not English")
    if " ".join(parsed.title.split()) != subject:
        problems.append(f"the HTML part's title is {parsed.title.strip()!r}, not the subject")
    if any(tag in parsed.tags for tag in ("script", "style", "iframe", "form", "object")):
        problems.append("the HTML part is not simple: a script, style, frame, form or object")
    if parsed.images_without_alt:
        problems.append("an image has no alt text")
    if re.search(r"{[{%#]|[%}]}|\bNone\b", visible):
        problems.append("the HTML part has a template tag or None in it")
    for href, words in parsed.links:
        if words.lower().strip(" .") in VAGUE or len(words.split()) < 2:
            problems.append(f"the link to {href} says only {words!r}")
    return problems


def check_action(case: Case, parsed: EmailHTML, text: str) -> list[str]:
    problems = []
    hrefs = [href for href, _ in parsed.links]
    pages = sorted({destination(href) for href in hrefs})
    if case.action is None:
        if hrefs:
            problems.append(f"a notice has links: {hrefs}")
        return problems
    action = case.context[case.action] if case.action in case.context else ACTION_PAGES[case.action]()
    if pages != [destination(action)]:
        problems.append(f"the links lead to {pages}, not only to the action {action}")
    problems += [f"{href} is not in the plain-text part" for href in hrefs if href not in text]
    return problems


# The account emails (allauth's: signing in, passwords, addresses, two-factor) ----------------------
#
# ``accounts.adapter.AccountAdapter`` renders allauth's message when it is sent and hands it to the
# outbox, whose HTML part is then the text (``emails/base_plain_html.html``). The kinds are
# allauth's templates and the project's own overrides on disk.


def account_kinds() -> list[str]:
    roots = [Path(allauth.__file__).parent / "templates", Path(settings.BASE_DIR) / "templates"]
    return sorted(
        {
            str(path.relative_to(root))[: -len("_subject.txt")]
            for root in roots
            for folder in ("account/email", "mfa/email")
            for path in (root / folder).glob("*_subject.txt")
        }
    )


def account_context(world: World) -> dict[str, Any]:
    """Everything any of allauth's emails is given, as allauth gives it."""
    return {
        "user": world.volunteer,
        "email": world.volunteer.email,
        "code": "7KQ2-9XPA",
        "activate_url": absolute_url("/accounts/confirm-email/Mg:1xYR:abc/"),
        "password_reset_url": absolute_url("/accounts/password/reset/key/2-set-password/"),
        "signup_url": absolute_url("/accounts/signup/"),
        "from_email": "old.address@example.org",
        "to_email": world.volunteer.email,
        "deleted_email": "old.address@example.org",
        "ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0",
        "timestamp": "20 March 2026, 09:30",
    }


def test_every_account_email_is_clear_plain_and_accessible(world: World, rf: Any) -> None:
    request = rf.get("/accounts/login/")
    request.user = AnonymousUser()
    request.session = {}
    with request_context(request):
        for prefix in account_kinds():
            AccountAdapter(request).send_mail(prefix, world.volunteer.email, account_context(world))
    problems: list[str] = []
    notifications = list(Notification.objects.filter(template_key__startswith="account.").order_by("pk"))
    for notification in notifications:
        message = render_notification(notification)
        [(html, _)] = message.alternatives
        subject, text = str(message.subject), str(message.body)
        parsed = EmailHTML()
        parsed.feed(str(html))
        visible = " ".join(" ".join(parsed.text).split())
        found = [*check_subject(subject), *check_text(text), *check_html(parsed, subject, visible)]
        found += [f"{url} is not in the HTML part" for url in re.findall(r"https?://\S+", text) if url not in visible]
        problems += [f"{notification.template_key} ({subject!r}): {problem}" for problem in found]

    assert len(notifications) == len(account_kinds())
    assert problems == [], "\n".join(problems)
