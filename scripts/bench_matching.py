"""How fast matching answers with many volunteers: times ``sessions_app.matching.suggest``.

Run it against a database of its own (its name must contain "bench": the script empties it first)::

    DJANGO_SETTINGS_MODULE=involvement.settings DEBUG=true \\
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/involvement_bench \\
    .venv/bin/python scripts/bench_matching.py --volunteers 10000

It creates the database with ``createdb`` when it is missing and migrates it, then builds (with
``bulk_create``) a university partnered with three charities (and one charity that is not a
partner), N volunteers with weekly availability, time away, monthly caps, experience tags and
consents, and a history of past sessions with attended bookings. It then times ``suggest()`` for
a session ahead over several runs and prints the median and the slowest wall time and the number
of queries. ``--explain`` also prints PostgreSQL's EXPLAIN ANALYZE of the ranking query.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "involvement.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402 -- the project is imported once Django is set up
from django.contrib.auth.hashers import make_password  # noqa: E402 -- after django.setup()
from django.core.management import call_command  # noqa: E402 -- after django.setup()
from django.db import OperationalError, connection, transaction  # noqa: E402 -- after django.setup()
from django.test.utils import CaptureQueriesContext  # noqa: E402 -- after django.setup()
from django.utils import timezone  # noqa: E402 -- after django.setup()

from accounts.models import Organisation, Partnership, User  # noqa: E402 -- after django.setup()
from sessions_app.clock import london_datetime  # noqa: E402 -- after django.setup()
from sessions_app.matching import candidates, suggest  # noqa: E402 -- after django.setup()
from sessions_app.models import Booking, Module, Programme, TeachingSession  # noqa: E402 -- after django.setup()
from volunteers.models import (  # noqa: E402 -- after django.setup()
    ConsentRecord,
    ConsentText,
    ExperienceTag,
    NetworkMembership,
    PartOfDay,
    TimeAway,
    VolunteerProfile,
    WeeklyAvailability,
)
from volunteers.services import ensure_consent_purposes  # noqa: E402 -- after django.setup()

BATCH = 2000
TAGS_PER_NETWORK = 20
PAST_SESSIONS = 300
PARTS = list(PartOfDay.values)
NO_PASSWORD = make_password(None)  # nobody signs in as these people


def ensure_database() -> None:
    """Create the benchmark database when it is missing, refuse any other, then migrate."""
    database = settings.DATABASES["default"]
    name = str(database["NAME"])
    if "bench" not in Path(name).name:
        sys.exit(f"Refusing to use {name!r}: the benchmark empties its database, so its name must contain 'bench'.")
    if database["ENGINE"] == "django.db.backends.postgresql":
        try:
            connection.ensure_connection()
        except OperationalError:
            command = ["createdb", "-h", str(database["HOST"]), "-p", str(database["PORT"] or 5432)]
            if database["USER"]:
                command += ["-U", str(database["USER"])]
            subprocess.run([*command, name], check=True)  # noqa: S603 -- fixed program, our own arguments
    call_command("migrate", verbosity=0, interactive=False)
    call_command("flush", verbosity=0, interactive=False)


def next_tuesday_morning() -> datetime.datetime:
    """10:00 UK time on a Tuesday two to three weeks ahead."""
    day = timezone.localdate() + datetime.timedelta(days=14)
    day += datetime.timedelta(days=(1 - day.weekday()) % 7)
    return london_datetime(day, datetime.time(10))


@transaction.atomic
def build(volunteer_count: int, rng: random.Random) -> TeachingSession:
    """The data set, and the session to match for."""
    now = timezone.now()
    university = Organisation.objects.create(name="Bench University", slug="bench-university", kind="university")
    charities = [
        Organisation.objects.create(name=f"Bench Charity {n}", slug=f"bench-charity-{n}", kind="charity")
        for n in range(4)
    ]
    for charity in charities[:3]:  # the fourth is not a partner
        Partnership.objects.create(network=charity, university=university, starts_on=datetime.date(2024, 1, 1))
    tags = ExperienceTag.objects.bulk_create(
        ExperienceTag(network=charity, name=f"Experience {n}") for charity in charities for n in range(TAGS_PER_NETWORK)
    )
    tags_by_network: dict[int, list[ExperienceTag]] = {}
    for tag in tags:
        tags_by_network.setdefault(tag.network_id, []).append(tag)

    purposes = {purpose.code: purpose for purpose in ensure_consent_purposes()}
    story = purposes["share-story"]
    # Each charity words its own consent, naming itself and (when partnered) the university.
    texts = {}
    for index, charity in enumerate(charities):
        texts[charity.pk] = ConsentText.objects.create(
            purpose=story, network=charity, version=1, text="I agree that my story may be shared."
        )
        texts[charity.pk].organisations.set([charity, university] if index < 3 else [charity])
    owner = User.objects.create(email="bench-coordinator@example.org", name="Bench Coordinator", password=NO_PASSWORD)

    users = User.objects.bulk_create(
        (
            User(email=f"bench-volunteer-{n}@example.org", name=f"Volunteer {n:05d}", password=NO_PASSWORD)
            for n in range(volunteer_count)
        ),
        batch_size=BATCH,
    )
    modes = [VolunteerProfile.AttendanceMode.EITHER] * 8 + [
        VolunteerProfile.AttendanceMode.IN_PERSON,
        VolunteerProfile.AttendanceMode.ONLINE,
    ]
    profiles = VolunteerProfile.objects.bulk_create(
        (
            VolunteerProfile(
                user=user,
                perspective=rng.choice(VolunteerProfile.Perspective.values),
                monthly_session_cap=rng.choice([None, None, 1, 2, 3, 4]),
                longest_session_minutes=rng.choice([None, None, None, 60, 120, 180]),
                attendance_mode=rng.choice(modes),
            )
            for user in users
        ),
        batch_size=BATCH,
    )

    memberships, slots, away, tag_links, grants = [], [], [], [], []
    statuses = (
        [NetworkMembership.Status.ACTIVE] * 17
        + [NetworkMembership.Status.PAUSED] * 2
        + [NetworkMembership.Status.APPLICANT]
    )
    tag_through = VolunteerProfile.experience_tags.through
    for profile in profiles:
        network = rng.choice(charities)
        memberships.append(NetworkMembership(volunteer=profile, network=network, status=rng.choice(statuses)))
        for weekday, part in rng.sample([(day, part) for day in range(5) for part in PARTS], k=rng.randint(1, 7)):
            slots.append(WeeklyAvailability(volunteer=profile, weekday=weekday, part_of_day=part))
        if rng.random() < 0.05:
            start = timezone.localdate() + datetime.timedelta(days=rng.randint(0, 40))
            away.append(TimeAway(volunteer=profile, starts_on=start, ends_on=start + datetime.timedelta(days=10)))
        for tag in rng.sample(tags_by_network[network.pk], k=rng.randint(1, 4)):
            tag_links.append(tag_through(volunteerprofile_id=profile.pk, experiencetag_id=tag.pk))
        if rng.random() < 0.8:
            grants.append(
                ConsentRecord(
                    volunteer=profile,
                    purpose=story,
                    text=texts[network.pk],
                    action=ConsentRecord.Action.GRANTED,
                    created_at=now,
                )
            )
    NetworkMembership.objects.bulk_create(memberships, batch_size=BATCH)
    WeeklyAvailability.objects.bulk_create(slots, batch_size=BATCH)
    TimeAway.objects.bulk_create(away, batch_size=BATCH)
    tag_through.objects.bulk_create(tag_links, batch_size=BATCH)
    ConsentRecord.objects.bulk_create(grants, batch_size=BATCH)

    programme = Programme.objects.create(
        university=university, name="BSc Diagnostic Radiography", profession="Radiography", regulator="hcpc",
        academic_year="2025/26",
    )  # fmt: skip
    module = Module.objects.create(programme=programme, code="RAD101", title="Patient care")
    target_start = next_tuesday_morning()

    # A history: past sessions with attended bookings, and sessions this month with accepted places.
    sessions = TeachingSession.objects.bulk_create(
        TeachingSession(
            module=module,
            title=f"Past session {n}",
            starts_at=(start := now - datetime.timedelta(days=rng.randint(1, 700), hours=rng.randint(0, 8))),
            ends_at=start + datetime.timedelta(hours=2),
            venue="Room 1",
            places=20,
            owner=owner,
            status=TeachingSession.Status.COMPLETED,
        )
        for n in range(PAST_SESSIONS)
    )
    sessions += TeachingSession.objects.bulk_create(
        TeachingSession(
            module=module,
            title=f"Session this month {n}",
            starts_at=(start := target_start + datetime.timedelta(days=rng.randint(-10, 10), hours=rng.randint(-2, 6))),
            ends_at=start + datetime.timedelta(hours=2),
            venue="Room 2",
            places=20,
            owner=owner,
            status=TeachingSession.Status.OPEN,
        )
        for n in range(40)
    )
    bookings = []
    for profile in rng.sample(profiles, k=min(len(profiles), volunteer_count // 2)):
        for session in rng.sample(sessions, k=rng.randint(1, 4)):
            past = session.status == TeachingSession.Status.COMPLETED
            bookings.append(
                Booking(
                    session=session,
                    volunteer=profile,
                    status=Booking.Status.ATTENDED if past else Booking.Status.ACCEPTED,
                    invitation_expires_at=session.starts_at,
                )
            )
    Booking.objects.bulk_create(bookings, batch_size=BATCH)

    session = TeachingSession.objects.create(
        module=module,
        title="Breaking bad news",
        starts_at=target_start,
        ends_at=target_start + datetime.timedelta(hours=2),
        venue="Room 3",
        places=4,
        owner=owner,
        status=TeachingSession.Status.OPEN,
    )
    session.preferred_tags.set(rng.sample(tags_by_network[charities[0].pk], k=3))
    session.required_consents.set([story])
    return session


def time_suggest(session: TeachingSession, runs: int) -> tuple[list[float], list[int], int]:
    durations, queries = [], []
    count = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            count = len(suggest(session))
            durations.append(time.perf_counter() - started)
        queries.append(len(captured.captured_queries))
    return durations, queries, count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--volunteers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the ranking query")
    options = parser.parse_args(argv)

    ensure_database()
    started = time.perf_counter()
    session = build(options.volunteers, random.Random(options.seed))  # noqa: S311 -- a repeatable data set, not a secret
    print(f"Built {options.volunteers} volunteers in {time.perf_counter() - started:.1f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"Database: {connection.vendor}; bookings: {Booking.objects.count()}")
    print(f"Candidates for the session: {candidates(session).count()}")

    durations, queries, shown = time_suggest(session, options.runs)
    print(f"suggest() over {options.runs} runs, {shown} suggestions each:")
    print(f"  median {statistics.median(durations) * 1000:.1f} ms, max {max(durations) * 1000:.1f} ms")
    print(f"  runs (ms): {', '.join(f'{d * 1000:.1f}' for d in durations)}")
    print(f"  queries per run: {sorted(set(queries))}")
    if options.explain:
        explain_options: dict[str, Any] = (
            {"analyze": True, "buffers": True} if connection.vendor == "postgresql" else {}
        )
        print(candidates(session)[:50].explain(**explain_options))


if __name__ == "__main__":
    main()
