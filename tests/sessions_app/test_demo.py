"""The demo programmes, modules, sessions and bookings (``manage.py seed_demo``, sessions_app/demo.py)."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone

from involvement.periods import academic_year_label, academic_year_start
from sessions_app.demo import HISTORY_TITLES, history_outcomes
from sessions_app.models import Booking, Module, Programme, TeachingSession
from volunteers.models import VolunteerProfile

Status = Booking.Status


@pytest.fixture
def seeded(db: None, settings: object) -> None:
    settings.DEBUG = True  # type: ignore[attr-defined]
    call_command("seed_demo", verbosity=0)


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in (Programme, Module, TeachingSession, Booking)}


def statuses(session: TeachingSession) -> list[str]:
    return sorted(session.bookings.values_list("status", flat=True))


def test_demo_programmes_and_modules_are_at_their_universities(seeded):
    today = timezone.localdate()
    this_year = academic_year_label(academic_year_start(today))
    last_year = academic_year_label(academic_year_start(today) - 1)
    programmes = sorted(
        Programme.objects.values_list("university__name", "name", "profession", "regulator", "academic_year")
    )
    modules = sorted(
        Module.objects.filter(programme__academic_year=this_year).values_list(
            "programme__university__name", "programme__name", "code", "title", "year_of_study"
        )
    )

    assert programmes == [
        ("Southgate University", "BSc (Hons) Mental Health Nursing", "Mental health nursing", "nmc", this_year),
        ("University of Northbridge", "BSc (Hons) Adult Nursing", "Adult nursing", "nmc", last_year),
        ("University of Northbridge", "BSc (Hons) Adult Nursing", "Adult nursing", "nmc", this_year),
        ("University of Northbridge", "BSc (Hons) Diagnostic Radiography", "Diagnostic radiography", "hcpc", last_year),
        ("University of Northbridge", "BSc (Hons) Diagnostic Radiography", "Diagnostic radiography", "hcpc", this_year),
    ]
    assert sorted(Module.objects.filter(programme__academic_year=last_year).values_list("code", flat=True)) == [
        "NUR110",
        "NUR220",
        "RAD101",
        "RAD204",
        "RAD305",
    ]
    assert modules == [
        ("Southgate University", "BSc (Hons) Mental Health Nursing", "MHN130", "Recovery and lived experience", 1),
        ("University of Northbridge", "BSc (Hons) Adult Nursing", "NUR110", "Communication and compassion", 1),
        ("University of Northbridge", "BSc (Hons) Adult Nursing", "NUR220", "Living with long-term conditions", 2),
        (
            "University of Northbridge",
            "BSc (Hons) Diagnostic Radiography",
            "RAD101",
            "Patient-centred care in imaging",
            1,
        ),
        (
            "University of Northbridge",
            "BSc (Hons) Diagnostic Radiography",
            "RAD204",
            "Breast imaging and mammography",
            2,
        ),
        (
            "University of Northbridge",
            "BSc (Hons) Diagnostic Radiography",
            "RAD305",
            "Radiotherapy and oncology pathways",
            3,
        ),
    ]


def test_demo_history_covers_two_academic_years_with_someone_at_every_session(seeded):
    today = timezone.localdate()
    history = TeachingSession.objects.filter(title__in=HISTORY_TITLES).annotate(
        came=Count("bookings", filter=Q(bookings__status=Status.ATTENDED))
    )
    earliest = history.order_by("starts_at").first()

    assert history.count() == len(history_outcomes(today))
    assert [session.title for session in history if session.came == 0] == []
    assert {session.status for session in history} == {TeachingSession.Status.COMPLETED}
    assert earliest.module.programme.academic_year == academic_year_label(academic_year_start(today) - 1)
    assert set(history.values_list("kind", flat=True)) == {
        "teaching",
        "simulated_patient",
        "assessment",
        "recruitment",
        "curriculum",
        "review",
    }


def test_demo_sessions_have_the_bookings_of_the_table(seeded):
    # expenses/demo.py adds past admissions interview days for its claims; the history is above.
    sessions = TeachingSession.objects.exclude(title="Admissions interview day").exclude(title__in=HISTORY_TITLES)
    by_title = {session.title: statuses(session) for session in sessions}

    assert by_title == {
        "What good care felt like": ["attended", "attended", "no_show"],
        "Mammography OSCE": ["attended", "attended", "attended", "attended"],
        "Breaking bad news: a patient's view": ["attended", "attended"],
        "Radiotherapy: the first day": ["accepted", "accepted"],
        "Breast screening: what patients wish we knew": ["accepted", "cancelled", "declined", "expired", "invited"],
        "Admissions interviews: service user panel": ["accepted", "accepted"],
        "Living with secondary breast cancer": ["accepted"],
        "Curriculum review panel": ["invited", "invited"],
        "Carers' perspectives on discharge": [],
        "Caring for someone through a crisis": ["accepted", "invited"],
    }
    assert sorted(
        TeachingSession.objects.filter(module__programme__university__slug="southgate").values_list("title", flat=True)
    ) == ["Caring for someone through a crisis"]


def test_demo_sessions_show_every_situation(seeded):
    now = timezone.now()
    sessions = TeachingSession.objects.with_booking_counts()

    full = [session.title for session in sessions.upcoming() if session.accepted_count == session.places]
    demanding = sessions.filter(emotionally_demanding=True, accepted_count__gt=0)
    drafts = sessions.filter(status=TeachingSession.Status.DRAFT)
    needing_attendance = sessions.filter(status=TeachingSession.Status.OPEN, ends_at__lte=now, accepted_count__gt=0)
    every_state = TeachingSession.objects.get(title="Breast screening: what patients wish we knew")

    assert full == ["Admissions interviews: service user panel"]
    assert [session.title for session in demanding] == ["Living with secondary breast cancer"]
    assert [session.title for session in drafts] == ["Carers' perspectives on discharge"]
    assert [session.title for session in needing_attendance] == ["Radiotherapy: the first day"]
    assert set(every_state.bookings.values_list("status", flat=True)) == {
        Status.INVITED,
        Status.ACCEPTED,
        Status.DECLINED,
        Status.EXPIRED,
        Status.CANCELLED,
    }
    assert (every_state.starts_at > now, demanding.get().starts_at > now) == (True, True)


def test_demo_volunteer_has_an_invitation_an_upcoming_place_and_a_past_one(seeded):
    now = timezone.now()
    bookings = Booking.objects.filter(volunteer__user__email="volunteer@example.org")

    to_answer = bookings.filter(status=Status.INVITED, invitation_expires_at__gt=now, session__starts_at__gt=now)
    upcoming = bookings.filter(status=Status.ACCEPTED, session__starts_at__gt=now)
    attended = bookings.filter(status=Status.ATTENDED, session__ends_at__lt=now).exclude(
        session__title="Admissions interview day"  # expenses/demo.py's, for its claims
    )

    assert [booking.session.title for booking in to_answer] == ["Breast screening: what patients wish we knew"]
    assert [booking.session.title for booking in upcoming] == ["Living with secondary breast cancer"]
    assert [(booking.session.title, booking.hours) for booking in attended] == [
        ("What good care felt like", Decimal("2.00"))
    ]


def test_demo_bookings_never_exceed_places(seeded):
    over = TeachingSession.objects.annotate(
        held=Count("bookings", filter=Q(bookings__status__in=[Status.ACCEPTED, Status.ATTENDED]))
    ).filter(held__gt=0)

    assert [session.title for session in over if session.held > session.places] == []
    # 8, expenses/demo.py's 7 admissions interview days, and the history.
    assert over.count() == 15 + len(history_outcomes(timezone.localdate()))


def test_demo_volunteers_are_never_accepted_into_overlapping_sessions(seeded):
    accepted = Booking.objects.filter(status=Status.ACCEPTED).select_related("session")
    clashes = [
        (first.pk, second.pk)
        for first, second in itertools.combinations(accepted, 2)
        if first.volunteer_id == second.volunteer_id
        and first.session.starts_at < second.session.ends_at
        and second.session.starts_at < first.session.ends_at
    ]

    assert clashes == []
    assert accepted.count() == 7


def test_demo_accepted_volunteers_hold_the_consents_their_sessions_need(seeded):
    checked = 0
    for session in TeachingSession.objects.prefetch_related("required_consents"):
        required = [purpose.code for purpose in session.required_consents.all()]
        accepted = set(session.bookings.filter(status=Status.ACCEPTED).values_list("volunteer_id", flat=True))
        if not required or not accepted:
            continue
        holding = set(
            VolunteerProfile.objects.filter(pk__in=accepted)
            .with_current_grants(required, university=session.university)
            .values_list("pk", flat=True)
        )
        assert holding == accepted, session.title
        checked += len(accepted)

    assert checked == 4


def test_seeding_the_demo_twice_creates_no_more_sessions(seeded, settings):
    before = counts()

    call_command("seed_demo", verbosity=0)

    assert counts() == before
    # With expenses/demo.py's 7 admissions interview days and their 9 bookings, and the history.
    history = history_outcomes(timezone.localdate())
    assert {name: before[name] for name in ("Programme", "Module", "TeachingSession")} == {
        "Programme": 5,
        "Module": 11,
        "TeachingSession": 17 + len(history),
    }
    assert Booking.objects.exclude(session__title__in=HISTORY_TITLES).count() == 32


def test_demo_invitations_keep_to_what_each_volunteer_told_us(seeded):
    """The availability page's promise: invited only when usually free, not away, under the monthly limit."""
    from sessions_app.matching import outside_what_they_said

    broken = []
    for session in TeachingSession.objects.select_related("module__programme__university"):
        bookings = {booking.volunteer_id: booking for booking in session.bookings.select_related("volunteer__user")}
        volunteers = [booking.volunteer for booking in bookings.values()]
        for volunteer_id, reasons in outside_what_they_said(session, volunteers).items():
            # The monthly limit counts the places held: one declined earlier in the month is no break.
            holding = bookings[volunteer_id].status in {Status.ACCEPTED, Status.ATTENDED}
            kept = [reason for reason in reasons if holding or "the most they asked for" not in reason]
            if kept:
                broken.append((session.title, volunteer_id, kept))

    assert broken == []


def test_demo_sessions_fall_on_teaching_days(seeded):
    assert {timezone.localtime(session.starts_at).weekday() for session in TeachingSession.objects.all()} <= {1, 2, 3}
