"""Special-category data stays where DESIGN.md allows, over the whole demo site.

The demo data (``seed_demo``) gets a unique marker (``SCMARK-<field>-<n>``) in every
special-category field of four volunteers: the demo volunteer, who holds an accepted place on a
Northbridge session; a Breast Cancer Voices volunteer with no accepted place anywhere; a Carers'
Circle volunteer; and the volunteer who belongs to both networks. The fields are their experience
(a tag of their own) and short biography, their adjustments and topics to avoid, their support
contact, the reason for their payment preference (benefits), a note on time away, their
application statement and a lead's note on a wellbeing follow-up. Invitations, answers and a
coordinator's message then make emails about them (``stir``), and a session at each partner
university asks for their experience, so that matching suggests them.

Then every demo account, those volunteers and an anonymous visitor each walk the site with
Django's test client from the home page, following links (``Walk``), reading every page, export
(CSV and spreadsheet cells), PDF (pypdf's text), chart and calendar feed met on the way; every
email in the outbox is rendered (subject, text, HTML, attachments) after the periodic jobs have run
and the delivery tasks have sent them (eagerly); and every log record is captured, from the root
logger and every project logger, for the whole walk.

A marker may appear only (DESIGN.md, "Special-category data"):
- on the volunteer's own pages and downloads, and in emails to them;
- on pages shown to a lead of one of their networks;
- experience and biography: on pages shown to a coordinator of a university partnered with a
  network where they are active (matching);
- adjustments and topics to avoid: on pages shown to a coordinator of a university where they hold
  an accepted place;
- a tag's name, which is also the network's word for an experience: on the lists and reports of
  those who see the network (``VOCABULARY``);
and never in a URL (a request, a Location header, a link, a form's action, an email's links), a
calendar feed, an export by anyone else, an email to anyone else, or a log record.
"""

from __future__ import annotations

import datetime
import io
import logging
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.mime.base import MIMEBase
from html import unescape
from io import StringIO
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.db.models import Q
from django.test import Client, override_settings
from django.urls import Resolver404, resolve
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from accounts.models import Membership, Organisation, Partnership, User
from feedback.models import WellbeingFollowUp
from feedback.services import add_follow_up_note, raise_follow_up
from involvement.celery import app
from involvement.models import Notification
from involvement.notifications import render_notification
from involvement.tasks import task_deliver_notifications
from sessions_app.models import Booking
from sessions_app.services import (
    accept_invitation,
    decline_invitation,
    invite_volunteers,
    message_accepted_volunteers,
)
from tests.conftest import signed_in
from tests.e2e.crawl import shape
from tests.markers import marker_leaks
from tests.sessions_app.factories import free_for, in_days, session_at
from volunteers.models import ExperienceTag, NetworkMembership, TimeAway, VolunteerProfile
from volunteers.services import add_time_away, update_profile

pytestmark = pytest.mark.django_db

# One digit: a PDF's text is read with its spaces taken out, so a marker may run into the next word.
MARKER = re.compile(r"SCMARK-[a-z_]+-[1-9]")
# Pages of each URL shape read per person (``/sessions/12/`` and ``/sessions/14/`` are one shape),
# and more of those about the volunteers with markers (links named after them).
PER_SHAPE = 2
PER_SHAPE_ABOUT_PLANTED = 6
MAX_PAGES = 250
# Not followed: signing out and allauth's account pages, the support site, static files.
SKIP = re.compile(r"^/accounts/|^/support/|^/static/|^/media/|logout|sign-?out")
ANCHORS = re.compile(r"<a\b([^>]*)>(.*?)</a>", re.DOTALL)
HREF = re.compile(r"""\bhref\s*=\s*["']([^"'#]*)""")
IMAGES = re.compile(r"""<img\b[^>]*\bsrc\s*=\s*["']([^"'#]*)""")
TAGS = re.compile(r"<[^>]+>")
URL_ATTRIBUTES = re.compile(r"""\b(?:href|src|action|formaction|hx-get|hx-post|data-url)\s*=\s*["']([^"']*)["']""")
URLS_IN_TEXT = re.compile(r"https?://[^\s\"'<>]+")

# Which markers who may see, by the kind of field the marker is in.
# A tag's name is the network's word for an experience, on its lists (the volunteers' profile
# form, a session's preferred experience, the partnered universities' reports, counted): who
# holds it is what is special, and that shows wherever STORY does.
VOCABULARY = "vocabulary"
STORY = "story"  # the short biography: coordinators see it when matching
BOOKED = "booked"  # adjustments and topics to avoid: coordinators of sessions they are booked into
PRIVATE = "private"  # only the volunteer and their leads
FIELDS = {
    "tag": VOCABULARY,
    "biography": STORY,
    "topics_to_avoid": BOOKED,
    "dietary_needs": BOOKED,
    "interpreter_language": BOOKED,
    "other_adjustments": BOOKED,
    "support_contact_name": PRIVATE,
    "support_contact_details": PRIVATE,
    "payment_preference_reason": PRIVATE,
    "time_away_note": PRIVATE,
    "statement": PRIVATE,
    "follow_up_note": PRIVATE,
}
DEMO_ACCOUNTS = [
    "volunteer@example.org",
    "coordinator@example.org",
    "coordinator.b@example.org",
    "lead@example.org",
    "finance@example.org",
    "admin@example.org",
    "admin.carers@example.org",
]
ANONYMOUS = "anonymous"
MATCHING_SESSION = "Walk session to match"


@dataclass
class Planted:
    """One volunteer's markers, and who may see which."""

    number: int
    profile: VolunteerProfile
    markers: dict[str, str] = field(default_factory=dict)  # field -> marker
    leads: set[int] = field(default_factory=set)  # user ids of their networks' leads
    matching: set[int] = field(default_factory=set)  # coordinators who may find them
    booked_with: set[int] = field(default_factory=set)  # coordinators of their accepted places
    vocabulary: set[int] = field(default_factory=set)  # who sees their networks' lists of experience

    def may_see(self, viewer: User | None, marker_field: str, where: str) -> bool:
        """Whether ``viewer`` may be shown this marker on a page, in a download or in an email
        (``where``). Downloads and emails are the volunteer's own; their networks' words for
        experience are also on the lists and reports of those who see those networks."""
        if viewer is None:
            return False
        if viewer.pk == self.profile.user_id:
            return True
        kind = FIELDS[marker_field]
        if where == "download" and kind == VOCABULARY:
            return viewer.pk in self.vocabulary
        if where != "page":
            return False
        return (
            viewer.pk in self.leads
            or (kind in (STORY, VOCABULARY) and viewer.pk in self.matching | self.booked_with)
            or (kind == BOOKED and viewer.pk in self.booked_with)
            or (kind == VOCABULARY and viewer.pk in self.vocabulary)
        )

    @property
    def names(self) -> set[str]:
        return {self.profile.display_name, self.profile.user.name}


@dataclass
class Sighting:
    who: str
    marker: str
    where: str  # "page", "download", "feed", "url", "email", "log", "database"
    at: str


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{self.format(record)} {record.__dict__!r}")


@dataclass
class Walk:
    """What one person was shown, walking the site by its links."""

    who: str
    client: Client
    planted_names: set[str]
    sightings: list[Sighting] = field(default_factory=list)
    fetched: Counter[str] = field(default_factory=Counter)  # URL name -> responses
    kinds: Counter[str] = field(default_factory=Counter)  # content type -> responses
    shapes: Counter[str] = field(default_factory=Counter)
    about_planted: Counter[str] = field(default_factory=Counter)
    seen: set[str] = field(default_factory=set)
    fetched_urls: list[str] = field(default_factory=list)
    refusals: dict[str, int] = field(default_factory=dict)  # URL -> status, for anything but 200 or a redirect
    finished: bool = False  # every link worth following was followed (the page limit was not reached)

    def run(self) -> None:
        queue = ["/"]
        self.seen.add("/")
        about: set[str] = set()  # pages reached by a link named after a volunteer with markers
        while queue and len(self.fetched_urls) < MAX_PAGES:
            url = queue.pop(0)
            self.fetched_urls.append(url)
            for link, named in self.read(url):
                # The pages under a page about them are about them too (its matching, its messages).
                about_planted = named or (url in about and urlsplit(link).path.startswith(urlsplit(url).path))
                if link not in self.seen and self.worth_following(link, about_planted=about_planted):
                    self.seen.add(link)
                    queue.append(link)
                    if about_planted:
                        about.add(link)
        self.finished = not queue

    def worth_following(self, url: str, *, about_planted: bool) -> bool:
        path = urlsplit(url).path
        if SKIP.search(path):
            return False
        try:
            resolve(path)
        except Resolver404:
            return False
        url_shape = shape(url)
        if about_planted and self.about_planted[url_shape] < PER_SHAPE_ABOUT_PLANTED:
            self.about_planted[url_shape] += 1
            return True
        if self.shapes[url_shape] < PER_SHAPE:
            self.shapes[url_shape] += 1
            return True
        return False

    def read(self, url: str) -> list[tuple[str, bool]]:
        """Fetch ``url``, note every marker in it, and return its links (and whether each is
        named after a volunteer with markers)."""
        self.spot(url, "url", url)
        response = self.client.get(url)
        self.fetched[resolve(urlsplit(url).path).view_name] += 1
        if response.status_code not in (200, 301, 302):
            self.refusals[url] = response.status_code
        if response.status_code in (301, 302):
            location = response["Location"]
            self.spot(location, "url", f"Location of {url}")
            target = self.internal(location)
            return [(target, False)] if target else []
        content_type = response.get("Content-Type", "").split(";")[0]
        self.kinds[content_type] += 1
        # Reading a streamed file to its end closes it (the test client's wrapper).
        body = b"".join(response.streaming_content) if response.streaming else response.content  # type: ignore[attr-defined]
        if content_type == "text/html":
            html = body.decode()
            self.spot(html, "page", url)
            for link in URL_ATTRIBUTES.findall(html):
                self.spot(link, "url", f"a link on {url}")
            return self.links(url, html)
        where = "feed" if content_type == "text/calendar" else "download"
        self.spot(file_text(body, content_type), where, url)
        return []

    def links(self, url: str, html: str) -> list[tuple[str, bool]]:
        found = []
        for attributes, inner in ANCHORS.findall(html):
            href = HREF.search(attributes)
            target = self.internal(urljoin(url, unescape(href.group(1)))) if href else None
            if target:
                text = " ".join(unescape(TAGS.sub(" ", inner)).split())
                found.append((target, any(name in text for name in self.planted_names)))
        for src in IMAGES.findall(html):
            target = self.internal(urljoin(url, unescape(src)))
            if target:
                found.append((target, False))
        return found

    @staticmethod
    def internal(url: str) -> str | None:
        parts = urlsplit(url)
        # webcal:// is how the calendar page hands the feed to a calendar app.
        ours = ("", "testserver", urlsplit(settings.SITE_URL).netloc)
        if parts.scheme not in ("", "http", "https", "webcal") or parts.netloc not in ours:
            return None
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def spot(self, text: str, where: str, at: str) -> None:
        for marker in set(MARKER.findall(text)):
            self.sightings.append(Sighting(self.who, marker, where, at))


def file_text(body: bytes, content_type: str) -> str:
    """The text a person gets from a download: a spreadsheet's cells, a PDF's text, or the file."""
    if content_type == "application/pdf":
        reader = PdfReader(io.BytesIO(body))
        return " ".join("".join((page.extract_text() or "").split()) for page in reader.pages)
    if content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
        workbook = load_workbook(io.BytesIO(body), read_only=True)
        cells = [
            str(cell) for sheet in workbook.worksheets for row in sheet.iter_rows(values_only=True) for cell in row
        ]
        return " ".join(cells)
    return body.decode("utf-8", errors="replace")


# Planting ----------------------------------------------------------------------------------------


def plant(number: int, profile: VolunteerProfile) -> Planted:
    """Markers in every special-category field of ``profile``, written through the services as the
    volunteer (and their lead, for the follow-up note) would; the application statement, typed
    only when applying, is set on each of their memberships directly."""
    planted = Planted(number, profile, {name: f"SCMARK-{name}-{number}" for name in FIELDS})
    marks = planted.markers
    user = profile.user
    membership = profile.memberships.exclude(status=NetworkMembership.Status.LEFT).first()
    assert membership is not None
    tag = ExperienceTag.objects.create(network=membership.network, name=marks["tag"])
    update_profile(
        profile=profile,
        actor=user,
        changes={
            "experience_tags": [*profile.experience_tags.all(), tag],
            "biography": f"I was treated for it in 2021. {marks['biography']}",
            "topics_to_avoid": marks["topics_to_avoid"],
            "dietary_needs": marks["dietary_needs"],
            "interpreter": VolunteerProfile.Interpreter.SPOKEN,
            "interpreter_language": marks["interpreter_language"],
            "other_adjustments": marks["other_adjustments"],
            "support_contact_name": marks["support_contact_name"],
            "support_contact_details": marks["support_contact_details"],
            "payment_preference": VolunteerProfile.PaymentPreference.EXPENSES_ONLY,
            "payment_preference_reason": marks["payment_preference_reason"],
            # Nothing keeps them out of the suggestions for a session they are free for.
            "longest_session_minutes": None,
            "attendance_mode": VolunteerProfile.AttendanceMode.EITHER,
            "monthly_session_cap": None,
        },
    )
    today = timezone.localdate()
    add_time_away(
        profile=profile,
        actor=user,
        starts_on=today + datetime.timedelta(days=60),
        ends_on=today + datetime.timedelta(days=65),
        note=marks["time_away_note"],
    )
    NetworkMembership.objects.filter(volunteer=profile).update(statement=marks["statement"])

    attended = Booking.objects.filter(volunteer=profile, status=Booking.Status.ATTENDED).first()
    follow_ups = list(WellbeingFollowUp.objects.filter(volunteer=profile))
    if attended is not None:
        follow_ups += raise_follow_up(booking=attended, source=WellbeingFollowUp.Source.FEEDBACK, found_it_hard=True)
    if follow_ups:
        follow_up = follow_ups[0]
        lead = User.objects.filter(memberships__organisation=follow_up.network, memberships__role="lead").first()
        assert lead is not None
        add_follow_up_note(follow_up=follow_up, actor=lead, text=marks["follow_up_note"])
    else:
        del marks["follow_up_note"]
    return planted


def find_audience(planted: Planted) -> None:
    """Who may see which of ``planted``'s markers, from the data as it now is."""
    profile = planted.profile
    networks = set(profile.memberships.values_list("network_id", flat=True))
    active = set(profile.memberships.active().values_list("network_id", flat=True))
    partnered = set(Partnership.objects.active().filter(network_id__in=active).values_list("university_id", flat=True))
    booked_at = set(
        Booking.objects.filter(volunteer=profile, status=Booking.Status.ACCEPTED).values_list(
            "session__module__programme__university_id", flat=True
        )
    )
    members = Membership.objects.all()
    planted.leads = set(members.filter(organisation_id__in=networks, role="lead").values_list("user_id", flat=True))
    planted.matching = set(
        members.filter(organisation_id__in=partnered, role="coordinator").values_list("user_id", flat=True)
    )
    planted.booked_with = set(
        members.filter(organisation_id__in=booked_at, role="coordinator").values_list("user_id", flat=True)
    )
    partners = set(Partnership.objects.active().filter(network_id__in=networks).values_list("university_id", flat=True))
    planted.vocabulary = set(
        NetworkMembership.objects.filter(network_id__in=networks).values_list("volunteer__user_id", flat=True)
    ) | set(members.filter(organisation_id__in=networks | partners).values_list("user_id", flat=True))


def partner_of(profile: VolunteerProfile) -> tuple[Organisation, User]:
    """A university partnered with one of ``profile``'s networks, and a coordinator there."""
    partnership = Partnership.objects.active().filter(network__in=profile.memberships.active().values("network"))
    university = partnership.order_by("university__name").first().university  # type: ignore[union-attr]
    coordinator = User.objects.filter(memberships__organisation=university, memberships__role="coordinator").first()
    assert coordinator is not None
    return university, coordinator


def invite_somewhere(profile: VolunteerProfile, *, number: int, accept: bool) -> Booking:
    """Invite ``profile`` to a new open session ahead at a university partnered with one of their
    networks (its coordinator agreed it with them), and answer."""
    university, coordinator = partner_of(profile)
    session = session_at(
        university,
        coordinator,
        title=f"Walk session {number}",
        starts_at=in_days(45 + number),
        ends_at=in_days(45 + number, 12),
    )
    [booking] = invite_volunteers(session=session, volunteers=[profile], actor=coordinator, agreed_with_volunteer=True)
    answer = accept_invitation if accept else decline_invitation
    return answer(booking=booking, actor=profile.user)


def stir(planted: list[Planted]) -> None:
    """What makes email about the volunteers with markers, as the site's people would: each is
    invited; the demo volunteer and the carer accept (a confirmation with an .ics file, and a note
    to the coordinator), the others decline (a note to the coordinator); the coordinator of the
    demo volunteer's place messages everyone on it."""
    for number, each in enumerate(planted):
        invite_somewhere(each.profile, number=number, accept=number in (0, 2))
    # A session at each partner university, on a day none of them is away, that they are all
    # free for, to be matched to.
    away = TimeAway.objects.filter(volunteer__in=[each.profile for each in planted])
    day = next(
        days
        for days in range(70, 400)
        if not away.filter(starts_on__lte=in_days(days).date(), ends_on__gte=in_days(days).date()).exists()
    )
    for university, coordinator in {partner_of(each.profile) for each in planted}:
        session = session_at(
            university, coordinator, title=MATCHING_SESSION, starts_at=in_days(day, 14), ends_at=in_days(day, 16)
        )
        free_for(session, *(each.profile for each in planted))
        # Their own experience is what the session asks for, so they come first in the suggestions.
        partners = Partnership.objects.active().filter(university=university).values("network_id")
        session.preferred_tags.set(
            ExperienceTag.objects.filter(network_id__in=partners, name__in=[each.markers["tag"] for each in planted])
        )
    place = Booking.objects.filter(volunteer=planted[0].profile, status=Booking.Status.ACCEPTED).first()
    assert place is not None
    owner = User.objects.filter(
        memberships__organisation=place.session.module.programme.university_id, memberships__role="coordinator"
    ).first()
    assert owner is not None
    message_accepted_volunteers(
        session=place.session,
        actor=owner,
        subject="Parking on the day",
        body="The visitors' car park is open from 08:00.",
    )


def choose_volunteers() -> list[VolunteerProfile]:
    """The demo volunteer (an accepted place at Northbridge), a Breast Cancer Voices volunteer with
    no accepted place, a Carers' Circle volunteer, and the one in both networks."""
    active = NetworkMembership.Status.ACTIVE
    demo = VolunteerProfile.objects.get(user__email="volunteer@example.org")
    assert Booking.objects.filter(volunteer=demo, status=Booking.Status.ACCEPTED).exists()
    in_both = VolunteerProfile.objects.get(user__email="dafydd.apgwilym@example.org")
    singles = VolunteerProfile.objects.exclude(pk__in=[demo.pk, in_both.pk])
    unbooked = (
        singles.filter(memberships__network__slug="breast-cancer-voices", memberships__status=active)
        .exclude(bookings__status=Booking.Status.ACCEPTED)
        .order_by("pk")
        .first()
    )
    carer = singles.filter(Q(memberships__network__slug="carers-circle") & Q(memberships__status=active)).order_by("pk")
    carer_booked = carer.filter(bookings__status=Booking.Status.ACCEPTED).first() or carer.first()
    chosen = [demo, unbooked, carer_booked, in_both]
    assert None not in chosen
    return chosen  # type: ignore[return-value]


# The walk ----------------------------------------------------------------------------------------


@dataclass
class Result:
    planted: list[Planted]
    walks: list[Walk]
    emails: int  # rows in the outbox
    sent: int  # emails the delivery task sent during the walk
    recipients: set[str]
    logs: int
    capture_intact: bool
    sightings: list[Sighting]
    users: dict[str, User]

    @property
    def marker_owner(self) -> dict[str, tuple[Planted, str]]:
        return {marker: (planted, name) for planted in self.planted for name, marker in planted.markers.items()}


def run_periodic_jobs() -> None:
    """Every job Celery beat runs, as the worker would (eagerly here)."""
    # The apps' tasks modules, as a worker finds them (not through the loader's worker start,
    # which sets Django, and so the logging, up again).
    app.autodiscover_tasks(force=True)
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        app.tasks[str(entry["task"])].apply()


def deliver_outbox() -> None:
    pending = list(Notification.objects.pending().values_list("pk", flat=True))
    task_deliver_notifications.apply(args=(pending,))


def email_sightings(message: Any, about: str) -> list[Sighting]:
    """The markers in an email's subject, text and HTML ("email"), its calendar files ("feed":
    they carry no health data, even to the volunteer) and its links ("url")."""
    to = ",".join(message.to)
    words = [message.subject, message.body]
    words += [content for content, _mimetype in getattr(message, "alternatives", [])]
    calendars: list[str] = []
    for attachment in message.attachments:
        if isinstance(attachment, MIMEBase):
            content, mimetype = attachment.get_payload(decode=True), attachment.get_content_type()
        else:
            _name, content, mimetype = attachment
        text = content.decode() if isinstance(content, bytes) else str(content)
        (calendars if mimetype.startswith("text/calendar") else words).append(text)
    text = "\n".join(words)
    links = "\n".join(URLS_IN_TEXT.findall(text) + URL_ATTRIBUTES.findall(text))
    found = []
    for where, content in (("email", text), ("feed", "\n".join(calendars)), ("url", links)):
        found += [Sighting(to, marker, where, about) for marker in set(MARKER.findall(content))]
    return found


@pytest.fixture(scope="module")
def walk(django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Result]:
    capture = Capture()
    quiet = [logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)]
    quiet = [logger for logger in quiet if not logger.propagate]
    root_level = logging.root.level
    media = tmp_path_factory.mktemp("media")
    with (
        django_db_blocker.unblock(),
        transaction.atomic(),
        override_settings(MEDIA_ROOT=str(media)),
    ):
        cache.clear()
        mail.outbox = []
        call_command("seed_demo", "--force", stdout=StringIO())
        users = {user.email: user for user in User.objects.filter(email__in=DEMO_ACCOUNTS)}
        # First among the handlers: the console handler's filter rewrites a record's message
        # (redacting what looks like an address or a token), and this must read what was logged.
        logging.root.handlers.insert(0, capture)
        logging.root.setLevel(logging.DEBUG)
        for logger in quiet:
            logger.handlers.insert(0, capture)
        try:
            planted = [plant(number, profile) for number, profile in enumerate(choose_volunteers(), start=1)]
            assert len(planted) < 10  # one digit each (MARKER)
            stir(planted)
            for each in planted:
                find_audience(each)
            planted_names = set().union(*(each.names for each in planted))
            planted_names |= {MATCHING_SESSION, *(f"Walk session {number}" for number in range(len(planted)))}
            people: dict[str, Client] = {ANONYMOUS: Client()}
            for email in DEMO_ACCOUNTS:
                people[email] = signed_in(users[email])
            for each in planted[1:]:
                users[each.profile.user.email] = each.profile.user
                people[each.profile.user.email] = signed_in(each.profile.user)
            walks = []
            for who, client in people.items():
                one = Walk(who, client, planted_names)
                one.run()
                walks.append(one)
            run_periodic_jobs()
            deliver_outbox()
            sightings = [sighting for one in walks for sighting in one.sightings]
            # Every row of the outbox as it renders now, and every email the delivery task sent.
            notifications = list(Notification.objects.all())
            for notification in notifications:
                sightings += email_sightings(render_notification(notification), notification.unique_key)
            for message in mail.outbox:
                sightings += email_sightings(message, str(message.subject))
            emails = len(notifications)
            recipients = {notification.email for notification in notifications}
            capture_intact = logging.root.handlers[:1] == [capture] and logging.root.level == logging.DEBUG
        finally:
            logging.root.removeHandler(capture)
            logging.root.setLevel(root_level)
            for logger in quiet:
                logger.removeHandler(capture)
        for record in capture.records:
            for marker in set(MARKER.findall(record)):
                sightings.append(Sighting("log", marker, "log", record[:300]))
        for each in planted:
            for name, marker in each.markers.items():
                for place in marker_leaks(marker):
                    sightings.append(Sighting("database", marker, "database", f"{name}: {place}"))
        yield Result(
            planted, walks, emails, len(mail.outbox), recipients, len(capture.records), capture_intact, sightings, users
        )
        transaction.set_rollback(True)


# What was seen ------------------------------------------------------------------------------------

# Where each planted field is stored (``tests.markers.marker_leaks`` names them so).
STORED_IN = {
    "tag": {"volunteers.ExperienceTag.name"},
    "statement": {"volunteers.NetworkMembership.statement"},
    "time_away_note": {"volunteers.TimeAway.note"},
    "follow_up_note": {"feedback.FollowUpNote.text"},
}


def refused(result: Result) -> list[str]:
    owners = result.marker_owner
    wrong = []
    for sighting in result.sightings:
        planted, name = owners[sighting.marker]
        if sighting.where == "database":
            allowed = STORED_IN.get(name, {f"volunteers.VolunteerProfile.{name}"})
            if sighting.at.split(": ", 1)[1] not in allowed:
                wrong.append(f"{sighting.marker} stored in {sighting.at}")
            continue
        if sighting.where in ("page", "download", "email"):
            viewer = result.users.get(sighting.who)
            if planted.may_see(viewer, name, sighting.where):
                continue
        wrong.append(f"{sighting.marker} shown to {sighting.who} in a {sighting.where}: {sighting.at}")
    return sorted(set(wrong))


def test_markers_appear_only_where_design_allows(walk: Result) -> None:
    wrong = refused(walk)
    assert wrong == [], "\n".join(wrong)


def test_the_walk_read_every_kind_of_page_and_file(walk: Result) -> None:
    """Pages, exports, spreadsheets, PDFs, a chart and a calendar feed; the outbox; the logs."""
    kinds = Counter[str]()
    names: set[str] = set()
    for one in walk.walks:
        kinds.update(one.kinds)
        names.update(one.fetched)
    wanted = {
        "text/html",
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/pdf",
        "text/calendar",
        "image/svg+xml",
        "application/json",
    }
    assert wanted - set(kinds) == set()
    exports = {
        "reports:export_csv",
        "reports:export_xlsx",
        "reports:evidence_pdf",
        "reports:certificate",
        "expenses:statement",
        "expenses:statement_pdf",
        "expenses:run_export_csv",
        "expenses:run_export_xlsx",
        "sessions_app:feed",
        "volunteers:my_data_download",
    }
    assert exports - names == set()
    assert walk.sent > 0
    assert {planted.profile.user.email for planted in walk.planted} - walk.recipients == set()
    assert walk.logs > 0


def test_each_marker_was_shown_to_those_it_is_for(walk: Result) -> None:
    """The walk reached the pages where the markers belong, so their absence elsewhere means
    something: each volunteer and their lead saw every marker, a matching coordinator their
    experience and biography, the coordinator of their accepted place their adjustments."""
    shown = {(sighting.who, sighting.marker) for sighting in walk.sightings if sighting.where == "page"}
    missing = []
    for planted in walk.planted:
        email = planted.profile.user.email
        for name, marker in planted.markers.items():
            if name != "follow_up_note" and (email, marker) not in shown:
                missing.append(f"{email} did not see their own {marker}")
            lead_saw = {who for who, seen in shown if seen == marker and walk.users[who].pk in planted.leads}
            if planted.leads & {user.pk for user in walk.users.values()} and not lead_saw:
                missing.append(f"no lead saw {marker}")
        booked = [user for user in walk.users.values() if user.pk in planted.booked_with]
        for user in booked:
            if (user.email, planted.markers["other_adjustments"]) not in shown:
                missing.append(f"{user.email} did not see {planted.markers['other_adjustments']}")
        matching = [user for user in walk.users.values() if user.pk in planted.matching]
        if matching and not any((user.email, planted.markers["biography"]) in shown for user in matching):
            missing.append(f"no coordinator saw {planted.markers['biography']} when matching")
    assert missing == [], "\n".join(missing)


def test_every_walk_ran_to_its_end_without_an_error(walk: Result) -> None:
    """No walk was cut short by the page limit, no page failed, and the log capture stayed in
    place for the whole walk (nothing set the logging up again under it)."""
    assert [one.who for one in walk.walks if not one.finished] == []
    assert {one.who: [url for url, status in one.refusals.items() if status >= 500] for one in walk.walks} == {
        one.who: [] for one in walk.walks
    }
    assert walk.capture_intact
