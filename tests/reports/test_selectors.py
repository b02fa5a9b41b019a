"""Every report figure against the story in ``conftest.py``, worked out by hand."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from involvement.periods import Period, academic_year
from reports import selectors
from reports.selectors import CountRow, MonthRow, ReportScope
from tests.conftest import World
from tests.reports.conftest import Story
from tests.reports.factories import held, uk
from tests.sessions_app.factories import ModuleFactory, ProgrammeFactory

D = Decimal
YEAR = academic_year(2025)
ZERO = D("0.00")


def month(year: int, number: int, sessions: int = 0, involvements: int = 0, hours: str = "0.00") -> MonthRow:
    return MonthRow(datetime.date(year, number, 1), sessions, involvements, D(hours))


def quiet_months(year: int, *numbers: int) -> list[MonthRow]:
    return [month(year, number) for number in numbers]


@pytest.fixture
def university_report(story: Story) -> selectors.Report:
    return selectors.build_report(ReportScope(organisation=story.world.university, period=YEAR))


@pytest.fixture
def network_report(story: Story) -> selectors.Report:
    return selectors.build_report(ReportScope(organisation=story.world.charity, period=YEAR))


def test_university_summary(university_report: selectors.Report):
    assert university_report.summary == selectors.Summary(
        sessions=7,
        involvements=10,
        volunteers=3,
        hours=D("20.50"),
        no_shows=2,
        no_show_rate=D("16.7"),
        new_volunteers=1,
        returning_volunteers=2,
        one_session=0,
        two_to_five=2,
        more_than_five=1,
    )
    assert university_report.left_out is None


def test_university_reach_counts_every_network_tag(university_report: selectors.Report):
    assert university_report.reach == selectors.Reach(
        perspectives=[CountRow("Carer", 1, 2), CountRow("Patient or service user", 2, 8)],
        tags=[CountRow("Breast cancer", 2), CountRow("Lymphoedema", 1), CountRow("Radiotherapy", 1)],
        untagged=1,
    )


def test_university_money_and_median_days(university_report: selectors.Report):
    assert university_report.money == selectors.Money(
        fees=D("200.00"), expenses=D("29.00"), payments=7, claims_paid=5, median_days_to_payment=D("10.0")
    )
    assert university_report.money.total == D("229.00")


def test_university_feedback(university_report: selectors.Report, story: Story):
    feedback = university_report.feedback

    assert (
        feedback.student_responses,
        feedback.student_average,
        feedback.students_changing_practice,
        feedback.chosen_comments,
    ) == (3, D("4.0"), 2, 2)
    assert (feedback.coordinator_responses, feedback.coordinator_average) == (2, D("4.5"))
    assert feedback.volunteer_answers == 3
    assert feedback.how_it_went == [
        CountRow("It went well", 1),
        CountRow("Some of it went well, some did not", 1),
        CountRow("I found it hard", 1),
    ]
    assert (feedback.felt_prepared, feedback.felt_supported, feedback.asked_for_contact) == (2, 2, 1)
    assert [response.session for response in feedback.comments] == [story.sessions["S2"], story.sessions["S1"]]


def test_university_months_in_uk_time(university_report: selectors.Report):
    assert university_report.months == [
        month(2025, 9, 1, 2, "4.00"),
        month(2025, 10, 2, 3, "7.50"),
        *quiet_months(2025, 11, 12),
        *quiet_months(2026, 1, 2),
        month(2026, 3, 2, 3, "6.00"),
        *quiet_months(2026, 4),
        month(2026, 5, 1, 1, "2.00"),
        *quiet_months(2026, 6, 7),
        # S8 starts at 23:00 on 31 August, UK time (22:00 UTC): still August, still this year.
        month(2026, 8, 1, 1, "1.00"),
    ]


def test_network_counts_only_consenting_volunteers_at_partners_on_the_day(network_report: selectors.Report):
    assert network_report.summary == selectors.Summary(
        sessions=7,
        involvements=9,
        volunteers=2,
        hours=D("18.50"),
        no_shows=1,
        no_show_rate=D("10.0"),
        new_volunteers=1,
        returning_volunteers=1,
        one_session=0,
        two_to_five=1,
        more_than_five=1,
    )
    # Dee never agreed to share, Eve withdrew: counted, never named.
    assert network_report.left_out == 2


def test_network_reach_shows_only_its_own_tags(network_report: selectors.Report):
    assert network_report.reach == selectors.Reach(
        perspectives=[CountRow("Carer", 1, 3), CountRow("Patient or service user", 1, 6)],
        tags=[CountRow("Breast cancer", 2), CountRow("Radiotherapy", 1)],
        untagged=0,
    )


def test_network_money_feedback_and_months(network_report: selectors.Report):
    assert network_report.money == selectors.Money(
        fees=D("125.00"), expenses=D("24.00"), payments=5, claims_paid=3, median_days_to_payment=D("10.0")
    )
    feedback = network_report.feedback
    assert (feedback.student_responses, feedback.student_average, feedback.coordinator_average) == (
        3,
        D("4.0"),
        D("4.5"),
    )
    assert feedback.volunteer_answers == 2
    assert [row.volunteers for row in feedback.how_it_went] == [1, 0, 1]
    assert (feedback.felt_prepared, feedback.felt_supported, feedback.asked_for_contact) == (1, 2, 1)
    assert network_report.months == [
        month(2025, 9, 1, 2, "4.00"),
        month(2025, 10, 2, 2, "4.50"),
        *quiet_months(2025, 11, 12),
        *quiet_months(2026, 1),
        month(2026, 2, 1, 1, "2.00"),
        month(2026, 3, 2, 3, "6.00"),
        *quiet_months(2026, 4),
        month(2026, 5, 1, 1, "2.00"),
        *quiet_months(2026, 6, 7, 8),
    ]


def test_programme_filter_takes_an_even_median(story: Story):
    report = selectors.build_report(ReportScope(organisation=story.world.university, period=YEAR, programme=story.p1))

    assert (report.summary.sessions, report.summary.involvements, report.summary.hours) == (6, 9, D("19.00"))
    # Days 4, 7, 10 and 25: the median is the mean of 7 and 10.
    assert report.money == selectors.Money(
        fees=D("200.00"), expenses=D("24.00"), payments=6, claims_paid=4, median_days_to_payment=D("8.5")
    )


def test_kind_and_module_filters(story: Story):
    university = story.world.university
    assessment = selectors.build_report(ReportScope(organisation=university, period=YEAR, kind="assessment"))
    module = selectors.build_report(ReportScope(organisation=university, period=YEAR, module=story.m3))

    assert (assessment.summary.sessions, assessment.summary.involvements, assessment.summary.hours) == (1, 2, D("6.00"))
    assert (module.summary.sessions, module.summary.involvements, module.summary.hours) == (1, 1, D("1.50"))
    # Ann took part in M3 before (S0), so she returns to it.
    assert (module.summary.new_volunteers, module.summary.returning_volunteers) == (0, 1)


def test_network_narrowed_to_one_partner(story: Story):
    report = selectors.build_report(
        ReportScope(organisation=story.world.charity, period=YEAR, university=story.university_c)
    )

    # C1 happened before the partnership began: only C2 counts.
    assert (report.summary.sessions, report.summary.involvements, report.summary.hours) == (1, 1, D("2.00"))
    assert report.left_out == 1


def test_an_empty_period_has_noughts_and_no_rates(story: Story):
    report = selectors.build_report(
        ReportScope(
            organisation=story.world.university, period=Period(datetime.date(2030, 1, 1), datetime.date(2030, 2, 28))
        )
    )

    assert report.summary == selectors.Summary(0, 0, 0, ZERO, 0, None, 0, 0, 0, 0, 0)
    assert report.money == selectors.Money(ZERO, ZERO, 0, 0, None)
    assert (report.feedback.student_average, report.feedback.coordinator_average) == (None, None)
    assert report.months == [month(2030, 1), month(2030, 2)]


def test_median_of_sorted_values():
    assert selectors.median_of([]) is None
    assert selectors.median_of([3]) == D("3.0")
    assert selectors.median_of([1, 2, 10]) == D("2.0")
    assert selectors.median_of([1, 2, 3, 10]) == D("2.5")


def test_annual_support_purpose_and_impact_for_the_university(story: Story):
    annual = selectors.annual_report(ReportScope(organisation=story.world.university, period=YEAR), "2025/26")

    assert annual.support == selectors.Support(
        volunteers=4,
        adjustments=[
            CountRow("Step-free access", 1),
            CountRow("A parking space", 0),
            CountRow("An interpreter (BSL or spoken)", 1),
            CountRow("A hearing loop", 0),
            CountRow("Large print or easy read materials", 0),
            CountRow("A companion or carer comes too", 0),
            CountRow("Rest breaks", 0),
            CountRow("Dietary needs", 1),
            CountRow("A longest session length", 0),
            CountRow("Only in person, or only online", 0),
            CountRow("Something else", 0),
        ],
        with_any_adjustment=3,
        sessions=7,
        briefed_sessions=6,
        check_ins_sent=3,
        check_ins_fine=1,
        check_ins_call=1,
        follow_ups=2,
        follow_ups_open=1,
        follow_ups_contacted=0,
        follow_ups_closed=1,
    )
    assert [(row.kind, row.sessions, row.involvements, row.volunteers, row.hours) for row in annual.by_kind] == [
        ("teaching", 3, 5, 2, D("9.50")),
        ("simulated_patient", 0, 0, 0, ZERO),
        ("assessment", 1, 2, 2, D("6.00")),
        ("recruitment", 1, 1, 1, D("2.00")),
        ("curriculum", 1, 1, 1, D("2.00")),
        ("review", 1, 1, 1, D("1.00")),
        ("other", 0, 0, 0, ZERO),
    ]
    assert annual.purposes == [CountRow("Students hear what good care feels like.", 7)]
    assert [entry.title for entry in annual.impact] == [
        "Physiotherapy change",
        "A carer's perspective <b>now</b> opens the module",
    ]
    assert annual.wording == []


def test_annual_for_the_network(story: Story):
    annual = selectors.annual_report(ReportScope(organisation=story.world.charity, period=YEAR), "2025/26")

    support = annual.support
    assert (support.volunteers, support.with_any_adjustment, support.sessions, support.briefed_sessions) == (2, 2, 7, 6)
    assert (support.check_ins_sent, support.follow_ups, support.follow_ups_open) == (2, 1, 1)
    assert [entry.title for entry in annual.impact] == [
        "Physiotherapy change",
        "A carer's perspective <b>now</b> opens the module",
    ]
    assert [(text.purpose.code, text.version) for text in annual.wording] == [("share-with-charity", 1)]


def test_wording_in_force_is_the_newest_published_by_then(story: Story):
    from tests.factories import ConsentTextFactory
    from tests.reports.factories import uk

    charity, university = story.world.charity, story.world.university
    first = ConsentTextFactory(network=charity, organisations=[charity, university])
    first.published_at = uk(2024, 3, 1)
    first.save()
    second = ConsentTextFactory(network=charity, organisations=[charity, university])
    second.published_at = uk(2026, 10, 1)
    second.save()

    assert selectors.wording_in_force(university, uk(2026, 9, 1)) == [first]
    assert selectors.wording_in_force(university, uk(2026, 10, 2)) == [second]


def test_evidence_names_only_as_chosen(story: Story):
    evidence = selectors.evidence(
        ReportScope(organisation=story.world.university, period=YEAR, programme=story.p1), "2025/26"
    )

    assert [(item.session.pk, item.named, item.unnamed) for item in evidence.sessions] == [
        (story.sessions["S1"].pk, ["Siân Ellis", "Tom"], 0),
        (story.sessions["S2"].pk, ["Siân Ellis"], 1),
        (story.sessions["S4"].pk, ["Siân Ellis"], 0),
        (story.sessions["S5"].pk, ["Siân Ellis", "Tom"], 0),
        (story.sessions["S6"].pk, ["Siân Ellis"], 0),
        (story.sessions["S8"].pk, [], 1),
    ]
    assert [item.described for item in evidence.sessions] == [
        "2: Siân Ellis, Tom",
        "2: Siân Ellis and 1 not named",
        "1: Siân Ellis",
        "2: Siân Ellis, Tom",
        "1: Siân Ellis",
        "1 (not named)",
    ]
    assert [(row.kind, row.sessions, row.involvements, row.volunteers) for row in evidence.by_kind] == [
        ("teaching", 2, 4, 2),
        ("simulated_patient", 0, 0, 0),
        ("assessment", 1, 2, 2),
        ("recruitment", 1, 1, 1),
        ("curriculum", 1, 1, 1),
        ("review", 1, 1, 1),
        ("other", 0, 0, 0),
    ]
    assert [entry.title for entry in evidence.impact] == ["A carer's perspective <b>now</b> opens the module"]


def test_certificate_lists_every_attended_session(story: Story):
    certificate = selectors.certificate(story.ann, datetime.date(2026, 9, 15))

    assert certificate.name == "Siân Ellis"
    # S0 to S6 at University A and B1 at University B; not the cancelled X1.
    assert [booking.session.title for booking in certificate.bookings] == [
        story.sessions[key].title for key in ["S0", "S1", "S2", "S3", "B1", "S4", "S5", "S6"]
    ]
    assert (certificate.totals.sessions, certificate.totals.hours, certificate.totals.universities) == (
        8,
        D("16.50"),
        2,
    )
    assert certificate.reference.startswith(f"INV-20260915-{story.ann.pk}-")


def test_purposes_and_kinds_are_counted_over_every_month_most_used_first(world: World):
    module = ModuleFactory(programme=ProgrammeFactory(university=world.university))
    for purpose, kind, starts_at in [
        ("Hear a carer", "teaching", uk(2025, 9, 10, 10)),
        ("Hear a carer", "assessment", uk(2025, 11, 3, 10)),
        ("Hear a carer", "teaching", uk(2026, 2, 4, 10)),
        ("Breaking bad news", "teaching", uk(2025, 10, 1, 10)),
        ("Breaking bad news", "review", uk(2026, 3, 1, 10)),
        ("", "teaching", uk(2025, 12, 1, 10)),
        ("", "curriculum", uk(2026, 1, 5, 10)),
        ("Anatomy", "other", uk(2026, 4, 1, 10)),
    ]:
        held(module, world.coordinator, starts_at, purpose=purpose, kind=kind)

    annual = selectors.annual_report(ReportScope(organisation=world.university, period=YEAR), "2025/26")

    # Two purposes with two sessions each: in the database's order of purposes (none first).
    assert annual.purposes == [
        CountRow("Hear a carer", 3),
        CountRow("No purpose recorded", 2),
        CountRow("Breaking bad news", 2),
        CountRow("Anatomy", 1),
    ]
    assert [(row.kind, row.sessions) for row in annual.by_kind] == [
        ("teaching", 4),
        ("simulated_patient", 0),
        ("assessment", 1),
        ("recruitment", 0),
        ("curriculum", 1),
        ("review", 1),
        ("other", 1),
    ]
    assert (annual.report.summary.sessions, annual.support.sessions) == (8, 8)
    assert [row.sessions for row in annual.report.months] == [1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]
