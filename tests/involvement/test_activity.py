import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType

from accounts.models import Organisation
from involvement.activity import record_activity
from involvement.models import ActivityLog
from tests.factories import UniversityFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_record_activity_stores_actor_target_and_data():
    actor = UserFactory()
    organisation = UniversityFactory()

    entry = record_activity(
        actor=actor, action="organisation.renamed", target=organisation, organisation=organisation, data={"n": 1}
    )

    stored = ActivityLog.objects.get()
    assert stored == entry
    assert (stored.actor, stored.action, stored.organisation, stored.data) == (
        actor,
        "organisation.renamed",
        organisation,
        {"n": 1},
    )
    assert stored.content_type == ContentType.objects.get_for_model(Organisation)
    assert stored.object_id == str(organisation.pk)


def test_record_activity_without_actor_or_target_is_a_system_entry():
    entry = record_activity(actor=AnonymousUser(), action="system.swept")

    assert (entry.actor, entry.content_type, entry.object_id, entry.data) == (None, None, "", {})
