"""The data migration that gives every network its own copy of the consent wording
(volunteers/migrations/0005_consent_texts_per_network.py): no record lost, history exact.

pytest runs with ``--no-migrations``: the test database is built from the models and migrations
are switched off. These tests switch them back on, record every migration as applied (the
schema is the models' state, which is what the migrations produce), migrate the volunteers app
back to before the change, plant shared wording and records with the historical models, and
migrate forward again, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import Organisation
from volunteers.models import ConsentRecord, ConsentText, VolunteerProfile
from volunteers.selectors import current_grant_counts

pytestmark = pytest.mark.django_db(transaction=True)

SHARED = ("volunteers", "0003_consent_purposes")
T0 = datetime.datetime(2025, 1, 6, 10, 0, tzinfo=datetime.UTC)


def at(days: int) -> datetime.datetime:
    return T0 + datetime.timedelta(days=days)


@pytest.fixture
def migrate_to(settings: Any) -> Iterator[Any]:
    """``migrate_to(targets)`` migrates the test database and returns the historical apps there."""
    settings.MIGRATION_MODULES = {}
    executor = MigrationExecutor(connection)
    executor.recorder.ensure_schema()
    for app_label, name in executor.loader.graph.nodes:
        executor.recorder.record_applied(app_label, name)

    def migrate(targets: list[tuple[str, str]]) -> Apps:
        MigrationExecutor(connection).migrate(targets)
        # The state of every migration still applied (other apps stay at their latest).
        executor = MigrationExecutor(connection)
        return executor.loader.project_state(list(executor.recorder.applied_migrations())).apps

    yield migrate
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    migrate(latest)
    MigrationExecutor(connection).recorder.flush()


def latest_nodes() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


class Planted:
    """Shared wording and records, as they were before consent wording had an owner."""

    def __init__(self, apps: Apps) -> None:
        Organisation = apps.get_model("accounts", "Organisation")
        Partnership = apps.get_model("accounts", "Partnership")
        User = apps.get_model("accounts", "User")
        Profile = apps.get_model("volunteers", "VolunteerProfile")
        Membership = apps.get_model("volunteers", "NetworkMembership")
        Purpose = apps.get_model("volunteers", "ConsentPurpose")
        Text = apps.get_model("volunteers", "ConsentText")
        Record = apps.get_model("volunteers", "ConsentRecord")

        def organisation(slug: str, kind: str) -> Any:
            return Organisation.objects.create(name=slug.replace("-", " ").title(), slug=slug, kind=kind)

        # Charity A is the first network; Charity B the second.
        self.charity_a = organisation("charity-a", "charity")
        self.charity_b = organisation("charity-b", "charity")
        self.north = organisation("north", "university")  # Charity A's partner
        self.south = organisation("south", "university")  # Charity B's partner
        self.former = organisation("former", "university")  # Charity B's partner once
        self.stranger = organisation("stranger", "university")  # nobody's partner
        Partnership.objects.create(network=self.charity_a, university=self.north, starts_on=datetime.date(2024, 1, 1))
        Partnership.objects.create(network=self.charity_b, university=self.south, starts_on=datetime.date(2024, 1, 1))
        Partnership.objects.create(
            network=self.charity_b,
            university=self.former,
            starts_on=datetime.date(2022, 1, 1),
            ends_on=datetime.date(2023, 1, 1),
        )
        lead = User.objects.create(email="lead@a.example.org", name="Lead of A", password="!")

        def volunteer(name: str, *networks: Any, status: str = "active") -> Any:
            user = User.objects.create(email=f"{name.lower()}@example.org", name=name, password="!")
            profile = Profile.objects.create(user=user)
            for network in networks:
                Membership.objects.create(volunteer=profile, network=network, status=status)
            return profile

        self.ann = volunteer("Ann", self.charity_a)
        self.bea = volunteer("Bea", self.charity_a)
        self.cat = volunteer("Cat", self.charity_b)
        self.dai = volunteer("Dai", self.charity_a, self.charity_b)  # in both networks
        self.eve = volunteer("Eve")  # in no network (an account that never applied anywhere)
        self.fay = volunteer("Fay", self.charity_b, status="paused")

        story = Purpose.objects.get(code="share-story")
        recording = Purpose.objects.get(code="recording")

        def text(purpose: Any, version: int, days: int, *organisations: Any) -> Any:
            made = Text.objects.create(
                purpose=purpose,
                version=version,
                text=f"{purpose.name}, version {version}.",
                published_at=at(days),
                published_by=lead,
            )
            made.organisations.set(organisations)
            return made

        everyone = (self.charity_a, self.charity_b, self.north, self.south, self.former, self.stranger)
        self.story_1 = text(story, 1, 0, *everyone)
        self.story_2 = text(story, 2, 30, self.charity_a, self.north, self.south)
        # Only Charity B's volunteers answer this one, and it names nobody Charity A works with.
        self.recording_1 = text(recording, 1, 0, self.south)

        def record(profile: Any, text: Any, days: int, action: str = "granted", **extra: Any) -> None:
            Record.objects.create(
                volunteer=profile, purpose=text.purpose, text=text, action=action, created_at=at(days), **extra
            )

        record(self.ann, self.story_1, 1)
        record(self.ann, self.story_2, 31)  # current
        record(self.bea, self.story_1, 2, method="paper", recorded_by=lead, note="Form dated 2 Jan")  # old wording
        record(self.cat, self.story_1, 3)
        record(self.cat, self.story_2, 32)
        record(self.cat, self.story_2, 40, "withdrawn")  # withdrew
        record(self.dai, self.story_1, 4, method="verbal", recorded_by=lead, note="Told me at the group")
        record(self.dai, self.story_2, 33)  # current, for both his networks
        record(self.eve, self.story_2, 34)
        record(self.fay, self.recording_1, 6)
        record(self.cat, self.recording_1, 7)
        record(self.fay, self.story_2, 35)
        # The same instant: the later row is the current answer.
        record(self.fay, self.story_2, 36, "withdrawn")
        record(self.fay, self.story_2, 36)

        self.records = {
            row["pk"]: row
            for row in Record.objects.values(
                "pk", "volunteer_id", "text__text", "action", "method", "recorded_by_id", "note", "created_at"
            )
        }
        self.counts = self.current_grant_counts(apps)

    def current_grant_counts(self, apps: Apps) -> dict[int, dict[str, int]]:
        """Before: for each network, how many of its volunteers' latest record for each purpose was
        a grant of the purpose's newest (shared) text."""
        Text = apps.get_model("volunteers", "ConsentText")
        Record = apps.get_model("volunteers", "ConsentRecord")
        Membership = apps.get_model("volunteers", "NetworkMembership")
        newest = {}
        for text in Text.objects.order_by("version"):
            newest[text.purpose_id] = text.pk
        latest = {}
        for record in Record.objects.order_by("created_at", "pk"):
            latest[(record.volunteer_id, record.purpose_id)] = record
        counts: dict[int, dict[str, int]] = {}
        for network_id, volunteer_id in Membership.objects.values_list("network_id", "volunteer_id"):
            for (person, purpose_id), record in latest.items():
                if person == volunteer_id and record.action == "granted" and record.text_id == newest[purpose_id]:
                    code = record.purpose.code
                    counts.setdefault(network_id, {}).setdefault(code, 0)
                    counts[network_id][code] += 1
        return counts


def by_code(counts: dict[int, int]) -> dict[str, int]:
    codes = dict(ConsentText.objects.values_list("purpose_id", "purpose__code"))
    return {codes[purpose_id]: count for purpose_id, count in counts.items()}


@pytest.fixture
def migrated(migrate_to: Any, consent_purposes: Any) -> Planted:
    planted = Planted(migrate_to([SHARED]))
    migrate_to(latest_nodes())
    return planted


def test_no_record_is_lost_and_each_keeps_its_wording_action_and_time(migrated: Planted) -> None:
    after = {
        row["pk"]: row
        for row in ConsentRecord.objects.filter(pk__in=migrated.records).values(
            "pk", "volunteer_id", "text__text", "action", "method", "recorded_by_id", "note", "created_at"
        )
    }

    assert after == migrated.records
    assert len(after) == 14


def test_each_networks_current_grants_are_what_they_were(migrated: Planted) -> None:
    expected = {
        migrated.charity_a.pk: {"share-story": 2},  # Ann and Dai (Bea is on the old wording)
        migrated.charity_b.pk: {"share-story": 2, "recording": 2},  # Dai and Fay (Cat withdrew); Fay and Cat
    }

    assert migrated.counts == expected
    assert {
        network.pk: by_code(current_grant_counts(network))
        for network in Organisation.objects.filter(pk__in=[migrated.charity_a.pk, migrated.charity_b.pk])
    } == expected


def test_every_network_has_its_own_copy_of_every_version(migrated: Planted) -> None:
    texts = ConsentText.objects.order_by("network__slug", "purpose__order", "version").prefetch_related("organisations")

    assert [
        (
            text.network.slug,
            text.purpose.code,
            text.version,
            text.text,
            text.published_at,
            text.published_by.email,
            sorted(org.slug for org in text.organisations.all()),
        )
        for text in texts
    ] == [
        # Charity A: itself and its partner; no other organisation had its volunteers.
        ("charity-a", "share-story", 1, "Share my story with students, version 1.", at(0), "lead@a.example.org",
         ["charity-a", "north"]),
        ("charity-a", "share-story", 2, "Share my story with students, version 2.", at(30), "lead@a.example.org",
         ["charity-a", "north"]),
        # Named nobody Charity A works with: itself alone.
        ("charity-a", "recording", 1, "Audio or video recording, version 1.", at(0), "lead@a.example.org",
         ["charity-a"]),
        # Charity B: itself, its partner and its partner of the past.
        ("charity-b", "share-story", 1, "Share my story with students, version 1.", at(0), "lead@a.example.org",
         ["charity-b", "former", "south"]),
        ("charity-b", "share-story", 2, "Share my story with students, version 2.", at(30), "lead@a.example.org",
         ["south"]),
        ("charity-b", "recording", 1, "Audio or video recording, version 1.", at(0), "lead@a.example.org",
         ["south"]),
    ]  # fmt: skip


def test_the_original_rows_belong_to_the_first_network_whose_volunteers_answered_them(migrated: Planted) -> None:
    owners = dict(
        ConsentText.objects.filter(
            pk__in=[migrated.story_1.pk, migrated.story_2.pk, migrated.recording_1.pk]
        ).values_list("pk", "network__slug")
    )

    assert owners == {
        migrated.story_1.pk: "charity-a",
        migrated.story_2.pk: "charity-a",
        migrated.recording_1.pk: "charity-b",
    }


def test_records_stay_are_copied_or_move_to_their_volunteers_networks(migrated: Planted) -> None:
    rows = ConsentRecord.objects.order_by("volunteer__user__name", "text__network__slug", "created_at", "pk")

    assert [
        (
            row.volunteer.user.name,
            row.text.network.slug,
            row.purpose.code,
            row.text.version,
            row.action,
            row.pk in migrated.records,
        )
        for row in rows
    ] == [
        ("Ann", "charity-a", "share-story", 1, "granted", True),
        ("Ann", "charity-a", "share-story", 2, "granted", True),
        ("Bea", "charity-a", "share-story", 1, "granted", True),
        # Cat is not in Charity A, which now owns the shared rows: hers moved to Charity B's copies.
        ("Cat", "charity-b", "share-story", 1, "granted", True),
        ("Cat", "charity-b", "recording", 1, "granted", True),
        ("Cat", "charity-b", "share-story", 2, "granted", True),
        ("Cat", "charity-b", "share-story", 2, "withdrawn", True),
        # Dai keeps his rows with Charity A, and Charity B gets copies of them.
        ("Dai", "charity-a", "share-story", 1, "granted", True),
        ("Dai", "charity-a", "share-story", 2, "granted", True),
        ("Dai", "charity-b", "share-story", 1, "granted", False),
        ("Dai", "charity-b", "share-story", 2, "granted", False),
        # Eve belongs to no network: her row stays where it was.
        ("Eve", "charity-a", "share-story", 2, "granted", True),
        ("Fay", "charity-b", "recording", 1, "granted", True),
        ("Fay", "charity-b", "share-story", 2, "granted", True),
        ("Fay", "charity-b", "share-story", 2, "withdrawn", True),
        ("Fay", "charity-b", "share-story", 2, "granted", True),
    ]  # fmt: skip


def test_copies_keep_who_recorded_them_and_the_note(migrated: Planted) -> None:
    dai = ConsentRecord.objects.filter(volunteer_id=migrated.dai.pk, text__network__slug="charity-b")
    copies = dai.exclude(pk__in=migrated.records).order_by("created_at")
    originals = ConsentRecord.objects.filter(volunteer_id=migrated.dai.pk, text__network__slug="charity-a")

    fields = ("purpose__code", "text__version", "action", "method", "recorded_by_id", "note", "created_at")
    assert list(copies.values_list(*fields)) == list(originals.order_by("created_at").values_list(*fields))
    assert copies.values_list("method", "recorded_by__email", "note")[0] == (
        "verbal",
        "lead@a.example.org",
        "Told me at the group",
    )
    assert (
        VolunteerProfile.objects.with_current_grants(["share-story"], university=migrated.north.pk).count(),
        VolunteerProfile.objects.with_current_grants(["share-story"], university=migrated.south.pk).count(),
    ) == (3, 2)  # Ann, Dai, Eve (on Charity A's wording naming North); Dai, Fay


def test_an_empty_database_migrates_forward_and_back(migrate_to: Any) -> None:
    apps = migrate_to([SHARED])

    assert apps.get_model("volunteers", "ConsentText").objects.count() == 0
    migrate_to(latest_nodes())
    assert ConsentText.objects.count() == 0
