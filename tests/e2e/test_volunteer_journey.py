"""A new volunteer's journey through the real pages: apply, be accepted, then say when they are
free and what they agree to."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from tests.e2e.conftest import sign_in
from volunteers.models import ConsentRecord, NetworkMembership, VolunteerProfile

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NAME = "Eira Ó Súilleabháin"
EMAIL = "eira.osuilleabhain@example.org"
STATEMENT = "I had a mastectomy two years ago and want radiography students to hear what helped."


def emailed_code(to: str) -> str:
    [message] = [m for m in mail.outbox if m.to == [to] and m.subject == "Involvement: Sign-In Code"]
    [code] = re.findall(r"^([A-Z0-9]{4}-[A-Z0-9]{4})$", message.body, re.MULTILINE)
    return code


def test_apply_then_lead_accepts_then_volunteer_sets_availability_and_consents(live_server, page, settings):
    settings.DEBUG = True
    call_command("seed_demo", verbosity=0)
    base = live_server.url
    applicant = page.context.browser.new_context(locale="en-GB", timezone_id="Europe/London").new_page()
    applicant.set_default_timeout(15_000)

    # Someone signed out reads the network's page and applies.
    applicant.goto(f"{base}/networks/breast-cancer-voices/")
    applicant.get_by_role("link", name="Apply to join", exact=True).click()
    applicant.get_by_label("Your full name").fill(NAME)
    applicant.get_by_label("Email address").fill(EMAIL)
    applicant.get_by_label("Text message (SMS)").check()
    applicant.get_by_label("Phone number").fill("07700 900123")
    applicant.get_by_label("Patient or service user").check()
    applicant.get_by_label("Why would you like to be involved?").fill(STATEMENT)
    applicant.get_by_label("How did you hear about us? (optional)").select_option(label="At a hospital or clinic")
    applicant.get_by_role("button", name="Send my application").click()

    assert applicant.locator("h1").inner_text() == "Thank you for applying to Breast Cancer Voices"
    membership = NetworkMembership.objects.get(volunteer__user__email=EMAIL)
    assert (membership.status, membership.volunteer.user.name, membership.statement) == ("applicant", NAME, STATEMENT)

    # The lead signs in with their code, opens the application from the network list, records the
    # induction and the confidentiality agreement, and accepts.
    sign_in(page, base, "lead@example.org", totp=True)
    assert page.locator("h1").inner_text() == "Volunteers of Breast Cancer Voices"
    page.get_by_role("button", name=re.compile(r"^Applications waiting")).click()
    page.get_by_role("link", name=NAME).click()
    assert page.locator("h1").inner_text() == NAME
    today = timezone.localdate().isoformat()
    for kind in ("Induction", "Confidentiality agreement"):
        page.get_by_role("link", name="Add a check").click()
        page.get_by_label(kind, exact=True).check()
        page.get_by_label("Completed on").fill(today)
        page.get_by_role("button", name="Save").click()
        assert page.locator("h1").inner_text() == NAME
    page.get_by_role("link", name="Accept", exact=True).click()
    page.get_by_role("button", name="Accept", exact=True).click()

    membership.refresh_from_db()
    assert membership.status == "active"

    # The new volunteer signs in with a code emailed to them, which also confirms their address.
    applicant.goto(f"{base}/accounts/login/code/")
    applicant.get_by_label("Email").fill(EMAIL)
    applicant.get_by_role("button", name="Request Code").click()
    applicant.get_by_label("Code").fill(emailed_code(EMAIL))
    with applicant.expect_navigation():
        applicant.get_by_role("button", name="Confirm").click()

    # They say when they are usually free...
    applicant.goto(f"{base}/me/")
    applicant.get_by_role("link", name="Availability").click()
    applicant.get_by_label("Tuesday morning", exact=True).check()
    applicant.get_by_label("Thursday afternoon", exact=True).check()
    applicant.get_by_role("button", name="Save my availability").click()

    # ...and agree to share their story with students.
    applicant.get_by_role("link", name="Consent", exact=True).click()
    applicant.locator("#purpose-breast-cancer-voices-share-story").get_by_role("button", name="I agree").click()
    consent_state = applicant.locator("#purpose-breast-cancer-voices-share-story .consent-state")
    assert consent_state.inner_text().startswith("Agreed on ")

    profile = VolunteerProfile.objects.get(user__email=EMAIL)
    [grant] = ConsentRecord.objects.filter(volunteer=profile)
    assert sorted(profile.weekly_availability.values_list("weekday", "part_of_day")) == [
        (1, "morning"),
        (3, "afternoon"),
    ]
    northbridge = membership.network.partnerships_as_network.get().university
    assert list(
        VolunteerProfile.objects.with_current_grants(["share-story"], university=northbridge).filter(pk=profile.pk)
    ) == [profile]
    assert (grant.purpose.code, grant.action, grant.method, grant.text.version) == (
        "share-story",
        "granted",
        "online",
        2,
    )
    assert profile.user.emailaddress_set.get().verified is True
    applicant.context.close()
