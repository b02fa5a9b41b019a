"""The Django half of ``make bench`` (scripts/bench.py runs it in a process of its own, in the
production profile, against the bench database): the fixtures the pages need, and the timings of
the background jobs. Each function returns a JSON-ready dict.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import statistics
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from accounts.models import Organisation, User
from expenses.models import Claim, ClaimItem, Payment, ReimbursementRun
from involvement import notifications
from involvement.celery import app as celery_app
from involvement.models import ActivityLog, Notification
from involvement.periods import academic_year, academic_year_label, academic_year_start
from sessions_app.models import Booking, Module, TeachingSession
from sessions_app.services import invitation_token, send_due_reminders
from volunteers.models import NetworkMembership, VolunteerProfile

NETWORK = "breast-cancer-voices"


def _counts() -> dict[str, int]:
    return {
        "volunteers": VolunteerProfile.objects.count(),
        "sessions": TeachingSession.objects.count(),
        "bookings": Booking.objects.count(),
        "claims": Claim.objects.count(),
        "claim items": ClaimItem.objects.count(),
        "payments": Payment.objects.count(),
        "runs": ReimbursementRun.objects.count(),
        "outbox rows": Notification.objects.count(),
        "audit rows": ActivityLog.objects.count(),
    }


def fixtures(requests: int) -> dict[str, Any]:
    """The objects the measured pages show, and one invitation for the demo volunteer per POST."""
    from expenses.services import preview_run

    northbridge = Organisation.objects.get(slug="northbridge")
    coordinator = User.objects.get(email="coordinator@example.org")
    finance = User.objects.get(email="finance@example.org")
    volunteer = VolunteerProfile.objects.get(user__email="volunteer@example.org")
    now = timezone.now()
    big_session = (
        TeachingSession.objects.for_university([northbridge.pk])
        .annotate(count=Count("bookings"))
        .order_by("-count", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    matching = (
        TeachingSession.objects.for_university([northbridge.pk])
        .filter(
            status=TeachingSession.Status.OPEN,
            starts_at__gte=now + datetime.timedelta(days=10),
            required_consents__code="share-story",
        )
        .order_by("starts_at", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    large_run = (
        ReimbursementRun.objects.filter(organisation=northbridge, status=ReimbursementRun.Status.COMPLETED)
        .annotate(count=Count("payments"))
        .order_by("-count", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    preview_id: int | None
    try:
        preview_id = preview_run(organisation=northbridge, actor=finance).pk
    except Exception:  # noqa: BLE001 -- nothing to preview (or the service changed): the latest run instead
        preview_id = large_run
    membership = NetworkMembership.objects.get(volunteer=volunteer, network__slug=NETWORK)
    # The POSTs answer invitations of another volunteer of the same network, signed in as them, so
    # the demo volunteer's own pages keep their real size.
    answering = (
        VolunteerProfile.objects.filter(
            user__email__endswith="@volunteers.scale.example.org",
            memberships__network__slug=NETWORK,
            memberships__status=NetworkMembership.Status.ACTIVE,
            erased_at__isnull=True,
        )
        .select_related("user")
        .order_by("pk")
        .first()
    )
    assert answering is not None, "seed_scale made no active volunteer in the demo network"
    tokens = [invitation_token(booking) for booking in _invitations(answering, coordinator, requests * 2 + 12)]
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        row = cursor.fetchone()
    version = row[0] if row else "?"
    return {
        "big_session": big_session,
        "matching_session": matching,
        "large_run": large_run,
        "preview_run": preview_id,
        "membership": membership.pk,
        "network_slug": NETWORK,
        "report_year": academic_year_start(timezone.localdate()) - 1,
        "invitation_tokens": tokens,
        "answering_email": answering.user.email,
        "postgres": f"PostgreSQL {version}",
        "counts": _counts(),
    }


def _invitations(volunteer: VolunteerProfile, coordinator: User, count: int) -> list[Booking]:
    """``count`` open sessions, each on a day of its own from a year ahead (when ``volunteer`` has
    no place), inviting them alone: each POST accepts one."""
    module = Module.objects.filter(programme__university__slug="northbridge").order_by("pk").first()
    first = timezone.localdate() + datetime.timedelta(days=400)
    sessions = TeachingSession.objects.bulk_create(
        TeachingSession(
            module=module,
            title="Benchmark invitation",
            starts_at=timezone.make_aware(
                datetime.datetime.combine(first + datetime.timedelta(days=day), datetime.time(9))
            ),
            ends_at=timezone.make_aware(
                datetime.datetime.combine(first + datetime.timedelta(days=day), datetime.time(11))
            ),
            venue="Room 2.14",
            places=2,
            owner=coordinator,
            status=TeachingSession.Status.OPEN,
        )
        for day in range(count)
    )
    now = timezone.now()
    return Booking.objects.bulk_create(
        Booking(
            session=session,
            volunteer=volunteer,
            invited_by=coordinator,
            invited_at=now,
            invitation_expires_at=now + datetime.timedelta(days=7),
        )
        for session in sessions
    )


# The jobs ---------------------------------------------------------------------------------------------


def _timed(function: Callable[[], Any]) -> tuple[float, int, Any]:
    """Seconds, queries and the result of one call."""
    queries = 0

    def count(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal queries
        queries += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        began = time.perf_counter()
        result = function()
        elapsed = time.perf_counter() - began
    return elapsed, queries, result


def jobs(volunteers: int) -> dict[str, Any]:
    factor = volunteers / 10_000
    if not settings.CELERY_BROKER_URL.startswith("redis"):
        # No Redis: an in-memory broker, so nothing lands in the project's filesystem queue.
        celery_app.conf.broker_url = "memory://"
    results: dict[str, Any] = {}
    try:
        results["matching, one session"] = _matching()
        results["largest annual report"] = _annual_report()
        results.update(_reminders(max(50, round(10_000 * factor))))
        results["outbox delivery"] = _delivery()
        results["pending sweep"] = _sweep(max(100, round(20_000 * factor)))
        results["reimbursement runs"] = _runs()
    finally:
        # An unreachable broker has nothing to purge.
        with contextlib.suppress(Exception):
            celery_app.control.purge()
    return results


def _matching() -> dict[str, str]:
    from sessions_app.matching import candidates, suggest

    now = timezone.now()
    session = (
        TeachingSession.objects.for_university([Organisation.objects.get(slug="northbridge").pk])
        .filter(status=TeachingSession.Status.OPEN, starts_at__gte=now + datetime.timedelta(days=10))
        .filter(required_consents__code="share-story")
        .select_related("module__programme__university")
        .order_by("starts_at", "pk")
        .first()
    )
    assert session is not None
    times = []
    queries = 0
    for _run in range(5):
        elapsed, queries, _found = _timed(lambda: suggest(session))
        times.append(elapsed)
    pool = VolunteerProfile.objects.count()
    found = candidates(session).count()
    return {
        "measured": f"{statistics.median(times) * 1000:,.0f} ms",
        "detail": f"median of 5 `suggest()` calls over {pool:,} volunteers ({found:,} candidates), {queries} queries",
    }


def _annual_report() -> dict[str, str]:
    from reports import selectors

    organisation = Organisation.objects.get(slug="northbridge")
    year = academic_year_start(timezone.localdate()) - 1
    scope = selectors.ReportScope(organisation=organisation, period=academic_year(year))
    times = []
    queries = 0
    for _run in range(3):
        elapsed, queries, _report = _timed(lambda: selectors.annual_report(scope, academic_year_label(year)))
        times.append(elapsed)
    return {
        "measured": f"{statistics.median(times) * 1000:,.0f} ms",
        "detail": f"median of 3: {organisation.name}, {academic_year_label(year)}, {queries} queries",
    }


def _reminders(count: int) -> dict[str, dict[str, str]]:
    """``count`` accepted places on sessions two to six days ahead, each due its 7-day reminder."""
    northbridge = Organisation.objects.get(slug="northbridge")
    module = Module.objects.filter(programme__university=northbridge).order_by("pk").first()
    owner = User.objects.get(email="coordinator@example.org")
    now = timezone.now()
    per_session = 20
    profiles = list(VolunteerProfile.objects.order_by("pk").values_list("pk", flat=True)[: per_session * 4])
    sessions = TeachingSession.objects.bulk_create(
        TeachingSession(
            module=module,
            title="Benchmark reminders",
            starts_at=now + datetime.timedelta(days=2 + index % 4, hours=index % 7),
            ends_at=now + datetime.timedelta(days=2 + index % 4, hours=index % 7 + 2),
            venue="Room 2.14",
            places=per_session,
            owner=owner,
            status=TeachingSession.Status.OPEN,
        )
        for index in range(math.ceil(count / per_session))
    )
    long_ago = now - datetime.timedelta(days=20)
    Booking.objects.bulk_create(
        (
            Booking(
                session=session,
                volunteer_id=profiles[(index + offset) % len(profiles)],
                status=Booking.Status.ACCEPTED,
                invited_at=long_ago,
                invitation_expires_at=long_ago + datetime.timedelta(days=7),
                responded_at=long_ago,
                created_at=long_ago,
            )
            for index, session in enumerate(sessions)
            for offset in range(per_session)
        ),
        batch_size=5000,
    )
    elapsed, queries, queued = _timed(send_due_reminders)
    idle = []
    for _run in range(3):
        idle_elapsed, idle_queries, _none = _timed(send_due_reminders)
        idle.append(idle_elapsed)
    return {
        "reminder sweep": {
            "measured": f"{queued / elapsed:,.0f} reminders/s",
            "detail": f"{queued:,} reminders queued in {elapsed:.2f} s, {queries:,} queries",
        },
        "reminder sweep, nothing due": {
            "measured": f"{statistics.median(idle) * 1000:,.0f} ms",
            "detail": f"median of 3 passes, {idle_queries} queries",
        },
    }


def _delivery() -> dict[str, str]:
    """Deliver the reminders just queued, as the worker's tasks would, to Django's dummy backend."""
    ids = list(
        Notification.objects.filter(status=Notification.Status.PENDING, template_key="sessions_app/reminder")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    batch = getattr(notifications, "deliver_notifications", None)

    def deliver() -> int:
        if batch is not None:
            for start in range(0, len(ids), notifications.DELIVERY_BATCH):
                batch(notification_ids=ids[start : start + notifications.DELIVERY_BATCH])
        else:
            for notification_id in ids:
                notifications.deliver_notification(notification_id=notification_id)
        return Notification.objects.filter(pk__in=ids, status=Notification.Status.SENT).count()

    elapsed, queries, sent = _timed(deliver)
    how = f"in batches of {notifications.DELIVERY_BATCH}" if batch is not None else "one task each"
    return {
        "measured": f"{sent / elapsed:,.0f} emails/s",
        "detail": f"{sent:,} of {len(ids):,} sent in {elapsed:.2f} s ({how}; {settings.EMAIL_BACKEND}), "
        f"{queries:,} queries",
    }


def _sweep(count: int) -> dict[str, str]:
    """``count`` rows left pending (their tasks lost while the broker was down), then one sweep."""
    ids = list(
        Notification.objects.filter(status=Notification.Status.SENT).order_by("pk").values_list("pk", flat=True)[:count]
    )
    stale = timezone.now() - datetime.timedelta(hours=1)
    Notification.objects.filter(pk__in=ids).update(
        status=Notification.Status.PENDING, sent_at=None, last_attempt_at=stale
    )
    pending = Notification.objects.due_for_sweep().count()
    elapsed, queries, queued = _timed(notifications.sweep_pending_notifications)
    detail = f"{queued:,} of {pending:,} re-queued in {elapsed:.2f} s, {queries} queries"
    if queued < pending:
        passes = math.ceil(pending / max(queued, 1))
        detail += f"; at that rate, with a pass every 5 minutes, all take {passes} passes, about {passes * 5} minutes"
        return {"measured": f"{passes * 5} min for all", "detail": detail}
    return {"measured": f"{elapsed:.2f} s for all", "detail": detail}


def _runs() -> dict[str, str]:
    """A run at each university over its approved claims: previewed, started, then executed here as
    the worker's task would."""
    from expenses.models import RunLine
    from expenses.services import execute_run, preview_run, start_run

    total_claims = 0
    total_seconds = 0.0
    total_queries = 0
    for organisation in Organisation.objects.filter(kind=Organisation.Kind.UNIVERSITY).order_by("pk"):
        finance = User.objects.filter(memberships__organisation=organisation, memberships__role="finance").first()
        if finance is None:
            continue
        ReimbursementRun.objects.filter(organisation=organisation, status=ReimbursementRun.Status.PREVIEW).delete()
        try:
            run = preview_run(organisation=organisation, actor=finance)
            run = start_run(run=run, actor=finance)
        except Exception:  # noqa: BLE001, S112 -- nothing to pay at this university
            continue
        claims = RunLine.objects.filter(run=run).values("claim").distinct().count()
        elapsed, queries, _run = _timed(lambda run=run: execute_run(run_id=run.pk))  # type: ignore[misc]
        total_claims += claims
        total_seconds += elapsed
        total_queries += queries
    duplicates = Payment.objects.values("claim", "kind").annotate(count=Count("pk")).filter(count__gt=1).count()
    unpaid = Claim.objects.filter(Q(status=Claim.Status.PAID) & Q(payments__isnull=True)).count()
    return {
        "measured": f"{total_claims / total_seconds:,.0f} claims/s" if total_seconds else "–",
        "detail": f"{total_claims:,} claims in {total_seconds:.1f} s over four runs, "
        f"{total_queries / max(total_claims, 1):.1f} queries a claim; {duplicates} duplicate, "
        f"{unpaid} paid without a payment",
    }
