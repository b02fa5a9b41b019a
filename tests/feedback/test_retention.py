"""The retention rule for wellbeing notes: a closed follow-up's notes go a year after closing."""

from __future__ import annotations

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from feedback.models import FollowUpNote, WellbeingFollowUp
from feedback.services import delete_old_follow_up_notes
from tests.conftest import World
from volunteers.models import VolunteerProfile

UTC = datetime.UTC
NOW = datetime.datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
MINUTE = datetime.timedelta(minutes=1)
DAY = datetime.timedelta(days=1)
FollowUpStatus = WellbeingFollowUp.Status


def follow_up(world: World, status: str, closed_at: datetime.datetime | None, notes: int = 2) -> WellbeingFollowUp:
    item = WellbeingFollowUp.objects.create(
        volunteer=VolunteerProfile.objects.get(user=world.volunteer),
        network=world.charity,
        source=WellbeingFollowUp.Source.CHECK_IN,
        asked_for_contact=True,
        status=status,
        contacted_at=closed_at,
        closed_at=closed_at,
    )
    FollowUpNote.objects.bulk_create(
        FollowUpNote(follow_up=item, author=world.lead, text=f"Spoke to her about her scan results ({n}).")
        for n in range(notes)
    )
    return item


def test_delete_old_follow_up_notes_a_year_after_closing(world: World) -> None:
    past = follow_up(world, FollowUpStatus.CLOSED, NOW - 365 * DAY - MINUTE)
    inside = follow_up(world, FollowUpStatus.CLOSED, NOW - 365 * DAY + MINUTE)
    # Reopened after being closed long ago, and never closed: still being looked after.
    reopened = follow_up(world, FollowUpStatus.OPEN, NOW - 900 * DAY)
    contacted = follow_up(world, FollowUpStatus.CONTACTED, None)

    assert delete_old_follow_up_notes(now=NOW) == 2
    assert delete_old_follow_up_notes(now=NOW) == 0

    remaining = {item.pk: item.notes.count() for item in WellbeingFollowUp.objects.all()}
    assert remaining == {past.pk: 0, inside.pk: 2, reopened.pk: 2, contacted.pk: 2}
    # The follow-up itself stays, as it was: it counts in the leads' and the annual reports.
    past.refresh_from_db()
    assert (past.status, past.closed_at, past.asked_for_contact) == (
        FollowUpStatus.CLOSED,
        NOW - 365 * DAY - MINUTE,
        True,
    )


def test_delete_old_follow_up_notes_follows_the_setting(world: World, settings: object) -> None:
    settings.RETENTION_FOLLOW_UP_NOTE_DAYS = 30  # type: ignore[attr-defined]
    follow_up(world, FollowUpStatus.CLOSED, NOW - 31 * DAY)

    assert delete_old_follow_up_notes(now=NOW) == 2


def test_delete_old_follow_up_notes_in_batches(world: World) -> None:
    follow_up(world, FollowUpStatus.CLOSED, NOW - 400 * DAY, notes=250)

    with CaptureQueriesContext(connection) as queries:
        assert delete_old_follow_up_notes(now=NOW, batch_size=200) == 250

    savepoints = sum(1 for query in queries.captured_queries if query["sql"].startswith("SAVEPOINT"))
    # Per batch: the ids, then savepoint, delete, release; and one last read.
    assert (savepoints, len(queries)) == (2, 9)
    assert FollowUpNote.objects.count() == 0
