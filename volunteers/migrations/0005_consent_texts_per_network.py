"""Give every network its own copy of the consent wording, without losing a single record.

Until now a consent text was shared by every organisation. From here on it belongs to the network
whose volunteers give it. The networks are the organisations with at least one volunteer
membership (of any status). For each existing text T of a purpose, every network gets a copy of
T under the same version number, so each network's current version stays what it was:

- The row T itself becomes the copy of the first network (lowest id) whose volunteers have
  records on T, else of the first network. Every other network gets a new row with T's purpose,
  version, wording, publication time and publisher.
- A copy relies on the organisations T named that are its network itself or one of its partners
  (a partnership past or present); when none remain, on its network alone. T keeps the same rule
  for its own network: an organisation that never partnered a network never had its volunteers.
- Each record R of T stays on T when its volunteer belongs to T's network, and is copied (same
  volunteer, purpose, action, method, recorded by, note and time) onto the copy of each other
  network they belong to. A volunteer who does not belong to T's network has R moved to the copy
  of their first network (R keeps its id and everything else; the copy has the same wording) and
  copied onto the rest. A record whose volunteer belongs to no network stays on T.

So every record still exists with the same wording, action and time, and each network's volunteers
hold exactly the current grants they held before. Copies keep the order of the records they copy
(version by version, and within a version by time, then id; a volunteer's records never go back
to an older version), so "the latest record" stays the same in every network.

Backwards this is a no-op while no network has a copy (nothing to merge); once copies exist the
shared wording cannot be rebuilt without deleting records, so it refuses.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import migrations

BATCH = 1000


def split_texts(apps: Any, schema_editor: Any) -> None:
    db = schema_editor.connection.alias
    Organisation = apps.get_model("accounts", "Organisation")
    Partnership = apps.get_model("accounts", "Partnership")
    NetworkMembership = apps.get_model("volunteers", "NetworkMembership")
    ConsentText = apps.get_model("volunteers", "ConsentText")
    ConsentRecord = apps.get_model("volunteers", "ConsentRecord")
    Relies = ConsentText.organisations.through

    texts = list(ConsentText.objects.using(db).filter(network__isnull=True).order_by("purpose_id", "version", "pk"))
    if not texts:
        return
    networks_of: dict[int, list[int]] = defaultdict(list)
    for volunteer_id, network_id in (
        NetworkMembership.objects.using(db).order_by("network_id").values_list("volunteer_id", "network_id")
    ):
        networks_of[volunteer_id].append(network_id)
    networks = sorted({network_id for ids in networks_of.values() for network_id in ids})
    partners: dict[int, set[int]] = defaultdict(set)
    for network_id, university_id in Partnership.objects.using(db).values_list("network_id", "university_id"):
        partners[network_id].add(university_id)
    relied_on: dict[int, set[int]] = defaultdict(set)
    for text_id, organisation_id in (
        Relies.objects.using(db)
        .filter(consenttext_id__in=[text.pk for text in texts])
        .values_list("consenttext_id", "organisation_id")
    ):
        relied_on[text_id].add(organisation_id)
    first_organisation = Organisation.objects.using(db).order_by("pk").values_list("pk", flat=True).first()

    def relying(text_id: int, network_id: int) -> set[int]:
        kept = {org for org in relied_on[text_id] if org == network_id or org in partners[network_id]}
        return kept or {network_id}

    for text in texts:
        records = list(ConsentRecord.objects.using(db).filter(text_id=text.pk).order_by("created_at", "pk"))
        with_records = sorted({network_id for record in records for network_id in networks_of[record.volunteer_id]})
        if with_records:
            owner = with_records[0]
        elif networks:
            owner = networks[0]
        else:
            # No network at all: the text goes to an organisation it names (else the first one).
            owner = min(relied_on[text.pk], default=first_organisation)
        text.network_id = owner
        text.save(update_fields=["network"])
        Relies.objects.using(db).filter(consenttext_id=text.pk).exclude(
            organisation_id__in=relying(text.pk, owner)
        ).delete()
        Relies.objects.using(db).bulk_create(
            [
                Relies(consenttext_id=text.pk, organisation_id=organisation_id)
                for organisation_id in sorted(relying(text.pk, owner) - relied_on[text.pk])
            ]
        )

        others = [network_id for network_id in networks if network_id != owner]
        ConsentText.objects.using(db).bulk_create(
            [
                ConsentText(
                    purpose_id=text.purpose_id,
                    network_id=network_id,
                    version=text.version,
                    text=text.text,
                    published_at=text.published_at,
                    published_by_id=text.published_by_id,
                )
                for network_id in others
            ]
        )
        # Fetched again rather than trusting bulk_create to return ids on every database.
        copy_of = dict(
            ConsentText.objects.using(db)
            .filter(purpose_id=text.purpose_id, version=text.version, network_id__in=others)
            .values_list("network_id", "pk")
        )
        copy_of[owner] = text.pk
        Relies.objects.using(db).bulk_create(
            [
                Relies(consenttext_id=copy_of[network_id], organisation_id=organisation_id)
                for network_id in others
                for organisation_id in sorted(relying(text.pk, network_id))
            ],
            batch_size=BATCH,
        )

        copies = []
        moved: dict[int, list[int]] = defaultdict(list)
        for record in records:
            theirs = networks_of[record.volunteer_id]
            if theirs and owner not in theirs:
                moved[copy_of[theirs[0]]].append(record.pk)
                theirs = theirs[1:]
            copies += [
                ConsentRecord(
                    volunteer_id=record.volunteer_id,
                    purpose_id=record.purpose_id,
                    text_id=copy_of[network_id],
                    action=record.action,
                    method=record.method,
                    recorded_by_id=record.recorded_by_id,
                    note=record.note,
                    created_at=record.created_at,
                )
                for network_id in theirs
                if network_id != owner
            ]
        ConsentRecord.objects.using(db).bulk_create(copies, batch_size=BATCH)
        for copy_id, record_ids in moved.items():
            for start in range(0, len(record_ids), BATCH):
                ConsentRecord.objects.using(db).filter(pk__in=record_ids[start : start + BATCH]).update(text_id=copy_id)


def refuse_to_merge(apps: Any, schema_editor: Any) -> None:
    ConsentText = apps.get_model("volunteers", "ConsentText")
    versions = ConsentText.objects.using(schema_editor.connection.alias).values_list("purpose_id", "version")
    if len(set(versions)) != versions.count():
        raise RuntimeError(
            "Networks have their own copies of the consent wording now; merging them back into shared "
            "wording would lose records. Restore a backup instead."
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("volunteers", "0004_consenttext_network"),
    ]

    operations = [migrations.RunPython(split_texts, refuse_to_merge)]
