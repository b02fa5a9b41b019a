"""The report pages: who sees what, the filters and their refusals, the figures shown, the strict
Content-Security-Policy of the pages and the charts' own, and free text shown escaped."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from reports.forms import ReportFilterForm
from tests.conftest import signed_in
from tests.reports.conftest import SCRIPT, Story
from tests.reports.factories import uk

NOW = uk(2026, 9, 15, 12)
STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
)
YEAR = {"start": "2025-09-01", "end": "2026-08-31"}


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def report_url(slug: str, name: str = "reports:report", **kwargs: Any) -> str:
    return reverse(name, kwargs={"slug": slug, **kwargs})


def csp_directives(header: str) -> list[str]:
    return sorted(part.strip() for part in header.split(";"))


def test_coordinator_sees_the_university_report_with_the_strict_policy(story: Story):
    response = signed_in(story.world.coordinator).get(report_url("university-a"), YEAR)

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.summary.sessions, report.summary.involvements, report.summary.hours) == (7, 10, 20.5)
    assert csp_directives(response["Content-Security-Policy"]) == csp_directives(STRICT_CSP)
    content = response.content.decode()
    assert content.count('<img src="/reports/university-a/charts/') == 3
    assert "<script>alert" not in content
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; Listening matters" in content


def test_the_report_defaults_to_the_current_academic_year(story: Story):
    with time_machine.travel(uk(2026, 6, 15, 12), tick=False):
        response = signed_in(story.world.coordinator).get(report_url("university-a"))

    assert response.status_code == 200
    period = response.context["report"].scope.period
    assert (period.start.isoformat(), period.end.isoformat()) == ("2025-09-01", "2026-08-31")


def test_finance_and_admins_of_the_university_see_it_too(story: Story):
    for user in (story.world.finance, story.world.admin):
        assert signed_in(user).get(report_url("university-a"), YEAR).context["report"].summary.sessions == 7


def test_lead_sees_how_many_were_left_out_and_never_who(story: Story):
    response = signed_in(story.world.lead).get(report_url("charity-a"), YEAR)

    content = response.content.decode()
    assert response.context["report"].left_out == 2
    assert (
        "2 volunteers who took part are not counted here, because they have not agreed "
        "to share their participation with Charity A."
    ) in " ".join(content.split())
    for name in ("Siân Ellis", "Tomás", "Dee Patel", "Eve Jones", "Zoë Carr"):
        assert name not in content


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            {"start": "2026-01-10", "end": "2026-01-09"},
            "end",
            "The end date is before the start date: please choose Saturday 10 January 2026 or later.",
        ),
        (
            {"start": "2020-09-01", "end": "2025-09-01"},
            "end",
            "A report can cover at most 5 years: please choose Sunday 31 August 2025 or earlier.",
        ),
        ({"start": "2026-01-10", "end": "not a date"}, "end", "Please give a real date: day, month and year."),
        ({"start": "", "end": "2026-01-10"}, "start", "Please fill this in."),
        ({**YEAR, "kind": "séance"}, "kind", "Please choose one of the options given."),
    ],
)
def test_bad_ranges_are_refused_by_their_field_and_no_report_runs(story: Story, query, field, message):
    response = signed_in(story.world.coordinator).get(report_url("university-a"), query)

    assert response.status_code == 400
    assert response.context["report"] is None
    assert response.context["form"].errors == {field: [message]}
    assert "Sessions held" not in response.content.decode()


def test_exactly_five_years_is_allowed(story: Story):
    response = signed_in(story.world.coordinator).get(
        report_url("university-a"), {"start": "2021-09-01", "end": "2026-08-31"}
    )

    assert response.status_code == 200
    assert response.context["report"].summary.sessions == 8  # S0 too


def test_a_lead_asking_for_a_university_outside_their_partnerships_is_refused(story: Story):
    response = signed_in(story.world.lead).get(
        report_url("charity-a"), {**YEAR, "university": story.world.other_university.pk}
    )

    assert response.status_code == 400
    assert response.context["report"] is None
    assert response.context["form"].errors == {
        "university": ["Please choose one of your network's partner universities."]
    }
    assert "University B" not in response.content.decode()


def test_a_lead_asking_for_another_universitys_programme_is_refused(story: Story):
    from tests.sessions_app.factories import ProgrammeFactory

    programme = ProgrammeFactory(university=story.world.other_university, name="Secret programme")
    response = signed_in(story.world.lead).get(report_url("charity-a"), {**YEAR, "programme": programme.pk})

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "programme": ["Please choose a programme of one of your network's partner universities."]
    }
    assert "Secret programme" not in response.content.decode()


def test_a_coordinator_asking_for_another_universitys_programme_is_refused(story: Story):
    from tests.sessions_app.factories import ProgrammeFactory

    programme = ProgrammeFactory(university=story.world.other_university, name="Secret programme")
    response = signed_in(story.world.coordinator).get(report_url("university-a"), {**YEAR, "programme": programme.pk})

    assert response.status_code == 400
    assert response.context["form"].errors == {"programme": ["Please choose one of the programmes of University A."]}
    assert "Secret programme" not in response.content.decode()


def test_a_module_of_another_programme_is_refused(story: Story):
    response = signed_in(story.world.coordinator).get(
        report_url("university-a"), {**YEAR, "programme": story.p1.pk, "module": story.m3.pk}
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {"module": ["That module is not part of the programme chosen."]}


def test_a_lead_narrowing_to_a_partner_sees_only_it(story: Story):
    response = signed_in(story.world.lead).get(report_url("charity-a"), {**YEAR, "university": story.university_c.pk})

    assert response.status_code == 200
    assert response.context["report"].summary.involvements == 1


def test_another_organisations_report_is_missing(story: Story):
    assert signed_in(story.world.other_coordinator).get(report_url("university-a")).status_code == 404
    assert signed_in(story.world.lead).get(report_url("university-a")).status_code == 404
    assert signed_in(story.world.coordinator).get(report_url("charity-a")).status_code == 404
    assert signed_in(story.world.coordinator).get(report_url("no-such-organisation")).status_code == 404


def test_the_filter_choices_are_only_what_the_user_may_see(story: Story):
    form = ReportFilterForm(organisation=story.world.charity)

    assert [university.name for university in form.fields["university"].queryset] == ["University A", "University C"]
    assert {programme.university.name for programme in form.fields["programme"].queryset} == {
        "University A",
        "University C",
    }
    assert "university" not in ReportFilterForm(organisation=story.world.university).fields


def test_chart_is_an_svg_with_its_own_policy_and_no_script(story: Story):
    response = signed_in(story.world.coordinator).get(report_url("university-a", "reports:chart", metric="hours"), YEAR)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert csp_directives(response["Content-Security-Policy"]) == [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "style-src 'unsafe-inline'",
    ]
    svg = response.content.decode()
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    assert "<script" not in svg
    assert "Hours of involvement by month" in svg
    assert "Oct 2025" in svg
    assert ">7.5<" in svg


def test_unknown_chart_is_missing_and_bad_filters_refused(story: Story):
    client = signed_in(story.world.coordinator)

    assert client.get(report_url("university-a", "reports:chart", metric="money"), YEAR).status_code == 404
    refused = client.get(
        report_url("university-a", "reports:chart", metric="hours"), {"start": "2026-01-02", "end": "2026-01-01"}
    )
    assert (refused.status_code, refused.content) == (400, b"These filters cannot be used.")


def test_index_lists_the_organisations_and_programmes(story: Story):
    response = signed_in(story.world.coordinator).get(reverse("reports:index"))

    assert [organisation.name for organisation in response.context["organisations"]] == ["University A"]
    assert [(programme.name, year) for programme, year in response.context["programmes"]] == [
        ("BSc Diagnostic Radiography", 2025),
        ("MSc Physiotherapy", 2025),
    ]


def test_index_refuses_someone_with_a_role_but_nothing_to_report(story: Story):
    from accounts.models import Membership
    from tests import factories

    charity_admin = factories.staff(Membership.Role.ADMIN, story.world.charity)

    assert signed_in(charity_admin).get(reverse("reports:index")).status_code == 403


def test_annual_report_is_set_out_by_the_4pi_standards(story: Story):
    response = signed_in(story.world.lead).get(report_url("charity-a", "reports:annual", year=2025))

    assert response.status_code == 200
    content = response.content.decode()
    headings = ["Principles", "Purpose", "Presence", "Process", "Impact"]
    assert [content.index(f'-heading">{heading}</h2>') for heading in headings] == sorted(
        content.index(f'-heading">{heading}</h2>') for heading in headings
    )
    assert "I agree that Charity A may see the sessions I take part in." in content
    assert "A carer&#x27;s perspective &lt;b&gt;now&lt;/b&gt; opens the module" in content
    assert "<b>now</b>" not in content
    assert (response.context["previous_year"], response.context["next_year"]) == (2024, 2026)
    assert 'href="/static/css/print.css" media="print"' in content


def test_annual_report_of_an_impossible_year_is_missing(story: Story):
    assert signed_in(story.world.lead).get(report_url("charity-a", "reports:annual", year=1999)).status_code == 404


def test_evidence_page_names_only_as_chosen(story: Story):
    url = reverse("reports:evidence", kwargs={"pk": story.p1.pk, "year": 2025})
    response = signed_in(story.world.coordinator).get(url)

    content = response.content.decode()
    assert response.status_code == 200
    assert "2: Siân Ellis, Tom" in content
    assert "Dee Patel" not in content
    assert "Tomás" not in content
    assert SCRIPT not in content


def test_evidence_of_another_universitys_programme_is_missing(story: Story):
    url = reverse("reports:evidence", kwargs={"pk": story.p1.pk, "year": 2025})

    assert signed_in(story.world.other_coordinator).get(url).status_code == 404
    assert signed_in(story.world.lead).get(url).status_code == 403


def test_reports_link_in_the_navigation(story: Story):
    for user, shown in [
        (story.world.lead, True),
        (story.world.coordinator, True),
        (story.world.finance, True),
        (story.world.volunteer, False),
    ]:
        content = signed_in(user).get("/", follow=True).content
        assert (b'href="/reports/"' in content) is shown


def test_volunteer_home_offers_the_certificate(story: Story):
    response = signed_in(story.ann.user).get(reverse("volunteers:my_volunteering"))

    assert b'href="/reports/certificate.pdf"' in response.content
