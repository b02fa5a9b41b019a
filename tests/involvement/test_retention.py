"""The retention schedule (involvement.retention): the registry, the nightly task that runs every
rule, the outbox's and the sign-ins' rules, and batching without a transaction per row."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.services import delete_expired_sign_ins
from expenses.models import Claim, Receipt
from feedback.models import FollowUpNote, WellbeingFollowUp
from involvement import retention
from involvement.celery import app
from involvement.models import ActivityLog, Notification
from involvement.notifications import remove_old_email_content
from involvement.retention import RetentionError, Rule, apply_retention, in_batches, rules
from involvement.tasks import task_apply_retention
from tests.conftest import World
from tests.expenses.factories import ClaimFactory
from volunteers.models import VolunteerProfile
from volunteers.services import apply_to_network

UTC = datetime.UTC
NOW = datetime.datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
MINUTE = datetime.timedelta(minutes=1)
DAY = datetime.timedelta(days=1)
Status = Notification.Status


@pytest.fixture
def frozen() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def email(key: str, *, status: str = Status.SENT, queued: datetime.datetime, **fields: Any) -> Notification:
    return Notification.objects.create(
        email="sian@example.org",
        template_key="sessions_app/reminder",
        unique_key=key,
        context={"name": "Siân", "title": "Living with cancer"},
        status=status,
        sent_at=queued if status == Status.SENT else None,
        created_at=queued,
        **fields,
    )


def audit(action: str) -> list[dict[str, Any]]:
    return list(ActivityLog.objects.filter(action=action).order_by("pk").values_list("data", flat=True))


# The registry ---------------------------------------------------------------------------------------


def test_rules_every_app_registers_its_own_in_order() -> None:
    assert [rule.name for rule in rules()] == [
        "volunteers.unverified_applications",
        "volunteers.data_views",
        "feedback.follow_up_notes",
        "expenses.receipt_files",
        "involvement.email_content",
        "accounts.expired_sign_ins",
    ]


def test_rules_each_says_what_how_long_why_and_names_real_settings() -> None:
    for rule in rules():
        assert (bool(rule.data), bool(rule.period), bool(rule.why)) == (True, True, True), rule.name
        for name in rule.setting.split(", "):
            assert hasattr(settings, name), (rule.name, name)


def test_apply_retention_runs_nightly_at_an_hour_that_happens_once_on_clock_change_nights() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["involvement.apply_retention"]
    schedule = entry["schedule"]

    assert entry["task"] == "involvement.apply_retention"
    assert app.tasks["involvement.apply_retention"].name == task_apply_retention.name == "involvement.apply_retention"
    assert isinstance(schedule, crontab)
    assert (schedule.hour, schedule.minute) == ({2}, {30})


def test_apply_retention_records_each_rule_with_its_count(monkeypatch: pytest.MonkeyPatch, db: None) -> None:
    monkeypatch.setattr(retention, "_RULES", {})
    seen: list[tuple[str, datetime.datetime]] = []

    def rule(name: str, count: int, order: int) -> Rule:
        def apply(now: datetime.datetime) -> int:
            seen.append((name, now))
            return count

        return Rule(name=name, data="d", period="p", why="w", setting="RETENTION_BATCH", apply=apply, order=order)

    retention.register_rule(rule("b.second", 0, 2))
    retention.register_rule(rule("a.first", 3, 1))

    counts = apply_retention(now=NOW)

    assert counts == {"a.first": 3, "b.second": 0}
    assert seen == [("a.first", NOW), ("b.second", NOW)]
    assert audit("retention.applied") == [{"rule": "a.first", "count": 3}, {"rule": "b.second", "count": 0}]


def test_apply_retention_one_rule_failing_does_not_stop_the_others(
    monkeypatch: pytest.MonkeyPatch, db: None, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(retention, "_RULES", {})

    def broken(now: datetime.datetime) -> int:
        raise ValueError("storage unavailable")

    retention.register_rule(Rule("a.broken", "d", "p", "w", "RETENTION_BATCH", broken, order=1))
    retention.register_rule(Rule("b.fine", "d", "p", "w", "RETENTION_BATCH", lambda now: 2, order=2))

    with pytest.raises(RetentionError) as raised:
        apply_retention(now=NOW)

    assert str(raised.value) == "Retention rules failed: a.broken."
    assert audit("retention.failed") == [{"rule": "a.broken"}]
    assert audit("retention.applied") == [{"rule": "b.fine", "count": 2}]
    assert [record.getMessage() for record in caplog.records if record.name == "involvement.retention"] == [
        "Retention rule a.broken failed",
        "Retention rule b.fine: 2 rows deleted or anonymised",
    ]


def test_the_nightly_task_runs_every_rule(
    world: World, frozen: time_machine.Traveller, django_capture_on_commit_callbacks: Any
) -> None:
    """One row just past each rule's period, one just inside; the task removes exactly the first."""
    # An application never confirmed, 30 days and a minute ago; another 30 days less a minute ago.
    for minutes, address in ((30 * 24 * 60 + 1, "gone@example.org"), (30 * 24 * 60 - 1, "stays@example.org")):
        frozen.move_to(NOW - minutes * MINUTE)
        apply_to_network(
            network=world.charity,
            applicant=None,
            name="Applicant",
            email=address,
            contact_channel="email",
            perspective="service_user",
            statement="I would like to help.",
        )
    frozen.move_to(NOW)
    # A showing of special-category data two years and a minute ago, and a minute inside.
    profile = VolunteerProfile.objects.get(user=world.volunteer)
    for age in (730 * DAY + MINUTE, 730 * DAY - MINUTE):
        ActivityLog.objects.create(
            actor=world.lead,
            action="volunteer.special_category_viewed",
            object_id=str(profile.pk),
            organisation=world.charity,
            data={"page": "network_volunteer"},
            created_at=NOW - age,
        )
    # Notes on follow-ups closed a year and a minute ago, and a minute inside the year.
    for age in (365 * DAY + MINUTE, 365 * DAY - MINUTE):
        follow_up = WellbeingFollowUp.objects.create(
            volunteer=profile,
            network=world.charity,
            source=WellbeingFollowUp.Source.FEEDBACK,
            status=WellbeingFollowUp.Status.CLOSED,
            closed_at=NOW - age,
        )
        FollowUpNote.objects.create(follow_up=follow_up, author=world.lead, text="She is well.")
    # Receipts of claims paid in the tax year that ended 5 April 2020 and in the next.
    for paid in (datetime.datetime(2020, 4, 5, 12, tzinfo=UTC), datetime.datetime(2020, 4, 6, 12, tzinfo=UTC)):
        Receipt.objects.create(
            claim=ClaimFactory(status=Claim.Status.PAID, paid_at=paid),
            file=ContentFile(b"%PDF-1.4", name="r.pdf"),
            content_type="application/pdf",
            original_name="receipt.pdf",
            size=8,
        )
    # Emails sent 90 days and a minute ago, and a minute inside.
    email("old", queued=NOW - 90 * DAY - MINUTE)
    email("recent", queued=NOW - 90 * DAY + MINUTE)
    # A session expired a minute ago, and one a minute from expiring.
    for expiry, key in ((NOW - MINUTE, "expired"), (NOW + MINUTE, "live")):
        Session.objects.create(session_key=key * 4, session_data="", expire_date=expiry)
    ActivityLog.objects.filter(action__startswith="retention.").delete()

    with django_capture_on_commit_callbacks(execute=True):
        task_apply_retention()

    assert audit("retention.applied") == [
        {"rule": "volunteers.unverified_applications", "count": 1},
        {"rule": "volunteers.data_views", "count": 1},
        {"rule": "feedback.follow_up_notes", "count": 1},
        {"rule": "expenses.receipt_files", "count": 1},
        # The lead's two "new application" emails were written at the time (not yet old), and the
        # deleted applicant's lost its content with them.
        {"rule": "involvement.email_content", "count": 1},
        {"rule": "accounts.expired_sign_ins", "count": 1},
    ]
    assert list(
        VolunteerProfile.objects.filter(user__email__in=["gone@example.org", "stays@example.org"]).values_list(
            "user__email", flat=True
        )
    ) == ["stays@example.org"]
    assert ActivityLog.objects.filter(action="volunteer.special_category_viewed").count() == 1
    assert FollowUpNote.objects.count() == 1
    assert Receipt.objects.filter(removed_at__isnull=True).count() == 1
    assert dict(Notification.objects.filter(unique_key__in=["old", "recent"]).values_list("unique_key", "context")) == {
        "old": {},
        "recent": {"name": "Siân", "title": "Living with cancer"},
    }
    assert list(Session.objects.values_list("session_key", flat=True)) == ["livelivelivelive"]


# The outbox -----------------------------------------------------------------------------------------


def test_remove_old_email_content_just_past_ninety_days(db: None) -> None:
    email("sent-old", queued=NOW - 90 * DAY - MINUTE, last_error="")
    email("sent-recent", queued=NOW - 90 * DAY + MINUTE)
    email("failed-old", status=Status.FAILED, queued=NOW - 200 * DAY, last_error="550 sian@example.org unknown")
    email("pending-old", status=Status.PENDING, queued=NOW - 200 * DAY)

    assert remove_old_email_content(now=NOW) == 2
    assert remove_old_email_content(now=NOW) == 0

    rows = {row.unique_key: row for row in Notification.objects.all()}
    assert {key: (row.context, row.last_error, row.status, row.email) for key, row in rows.items()} == {
        "sent-old": ({}, "", Status.SENT, "sian@example.org"),
        "sent-recent": ({"name": "Siân", "title": "Living with cancer"}, "", Status.SENT, "sian@example.org"),
        "failed-old": ({}, "", Status.FAILED, "sian@example.org"),
        # Still to be delivered: never touched, however old.
        "pending-old": ({"name": "Siân", "title": "Living with cancer"}, "", Status.PENDING, "sian@example.org"),
    }


def test_remove_old_email_content_follows_the_setting(db: None, settings: Any) -> None:
    settings.RETENTION_EMAIL_CONTENT_DAYS = 30
    email("a", queued=NOW - 31 * DAY)

    assert remove_old_email_content(now=NOW) == 1


# Sign-ins ---------------------------------------------------------------------------------------


def test_delete_expired_sign_ins_sessions_and_throttles(db: None, frozen: time_machine.Traveller) -> None:
    store = SessionStore()
    store["_auth_user_id"] = "1"
    store.set_expiry(60)
    store.create()
    live = SessionStore()
    live.set_expiry(3600)
    live.create()
    counters = caches["database"]
    counters.set("allauth:rl:allauth.account:login_failed:60/m/ip:ip:203.0.113.9", [NOW.timestamp()], 60)
    counters.set("allauth:rl:allauth.account:login_failed:20/1d/key:abc", [NOW.timestamp()], 86400)

    frozen.move_to(NOW + 61 * datetime.timedelta(seconds=1))
    deleted = delete_expired_sign_ins()

    assert deleted == 2
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
    with connection.cursor() as cursor:
        cursor.execute("SELECT cache_key FROM involvement_cache ORDER BY cache_key")
        keys = [row[0] for row in cursor.fetchall()]
    assert keys == [":1:allauth:rl:allauth.account:login_failed:20/1d/key:abc"]
    assert delete_expired_sign_ins() == 0


# Batches ----------------------------------------------------------------------------------------


def transactions(queries: CaptureQueriesContext) -> int:
    return sum(1 for query in queries.captured_queries if query["sql"].startswith("SAVEPOINT"))


@pytest.mark.parametrize("rows", [3, 250])
def test_in_batches_one_transaction_per_batch_not_per_row(db: None, rows: int) -> None:
    old = NOW - 365 * DAY
    Notification.objects.bulk_create(
        Notification(
            email="a@example.org",
            template_key="t",
            unique_key=f"k{n}",
            context={"n": n},
            status=Status.SENT,
            sent_at=old,
            created_at=old,
        )
        for n in range(rows)
    )

    with CaptureQueriesContext(connection) as queries:
        assert remove_old_email_content(now=NOW, batch_size=200) == rows

    batches = -(-rows // 200)
    # Per batch: read up to 200 ids, then one update in one transaction (savepoint, update, release);
    # then one read that finds nothing more.
    assert (transactions(queries), len(queries)) == (batches, 4 * batches + 1)
    assert Notification.objects.exclude(context={}).count() == 0


def test_in_batches_offers_each_row_once_even_when_work_leaves_it_matching(db: None) -> None:
    for n in range(5):
        email(f"k{n}", queued=NOW)
    offered: list[list[int]] = []

    total = in_batches(Notification.objects.all(), offered.append, batch_size=2)

    ids = sorted(Notification.objects.values_list("pk", flat=True))
    assert (total, offered) == (5, [ids[0:2], ids[2:4], ids[4:5]])
