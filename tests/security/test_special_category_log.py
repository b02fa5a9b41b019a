"""Who was shown special-category data: one row per page view (and network shown), found through
an index, and a lead's page listing every showing of their volunteers' data, in a fixed number of
queries however many rows there are."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from involvement.models import ActivityLog
from tests import factories
from tests.accounts.test_views import table_rows
from tests.conftest import World, signed_in
from volunteers.models import NetworkMembership, VolunteerProfile
from volunteers.services import record_special_category_list_view, record_special_category_view

PAGE = "/networks/charity-a/data-views/"


def volunteer_of(network: Any, name: str) -> Any:
    profile = factories.VolunteerProfileFactory(user=factories.UserFactory(name=name))
    factories.NetworkMembershipFactory(volunteer=profile, network=network)
    return profile


def test_a_list_view_writes_one_row_per_network_shown(world: World, django_assert_num_queries: Any) -> None:
    ann, bea = volunteer_of(world.charity, "Ann Able"), volunteer_of(world.charity, "Bea Best")
    cai = volunteer_of(world.other_charity, "Cai Cole")
    factories.NetworkMembershipFactory(volunteer=cai, network=world.charity, status=NetworkMembership.Status.LEFT)

    with django_assert_num_queries(2):  # their networks, then one insert
        record_special_category_list_view(
            profiles=[ann, bea, cai], actor=world.coordinator, where="matching", organisation=world.university
        )

    rows = ActivityLog.objects.order_by("organisation__name").values_list("organisation__name", "data")
    assert list(rows) == [
        ("Charity A", {"page": "matching", "volunteers": sorted([ann.pk, bea.pk]), "from": world.university.pk}),
        ("Charity B", {"page": "matching", "volunteers": [cai.pk], "from": world.university.pk}),
    ]


def test_a_lead_page_view_writes_one_row_in_one_query(world: World, django_assert_num_queries: Any) -> None:
    ann = volunteer_of(world.charity, "Ann Able")
    ContentType.objects.get_for_model(VolunteerProfile)  # cached once per process, as in a running site

    with django_assert_num_queries(1):
        record_special_category_list_view(profiles=[ann], actor=world.lead, where="network_list", network=world.charity)
    with django_assert_num_queries(1):
        record_special_category_view(profile=ann, actor=world.lead, where="network_volunteer", network=world.charity)

    assert ActivityLog.objects.filter(organisation=world.charity).count() == 2


def test_the_lead_page_query_uses_the_index(world: World) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("reads PostgreSQL's plan")
    from volunteers.access_log import data_views

    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        sql, params = data_views(world.charity).query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")

    assert "activity_org_action_idx" in plan


def test_the_lead_sees_who_was_shown_their_volunteers_data(world: World) -> None:
    ann, bea = volunteer_of(world.charity, "Ann Able"), volunteer_of(world.charity, "Bea Best")
    outsider = volunteer_of(world.other_charity, "Olu Other")
    record_special_category_list_view(
        profiles=[ann, bea, outsider], actor=world.coordinator, where="matching", organisation=world.university
    )
    record_special_category_view(profile=ann, actor=world.lead, where="network_volunteer", network=world.charity)

    response = signed_in(world.lead).get(PAGE)

    assert response.status_code == 200
    assert [row[1:] for row in table_rows(response)] == [
        [f"{world.lead.get_full_name()} (Charity A)", "A volunteer's page in your network", "Ann Able"],
        [
            f"{world.coordinator.get_full_name()} (University A)",
            "Suggestions for a session (their experience)",
            "Ann Able, Bea Best",
        ],
    ]
    assert "Olu Other" not in response.content.decode()


def test_another_networks_lead_sees_only_their_own(world: World) -> None:
    ann = volunteer_of(world.charity, "Ann Able")
    record_special_category_view(profile=ann, actor=world.lead, where="network_volunteer", network=world.charity)

    response = signed_in(world.other_lead).get("/networks/charity-b/data-views/")

    content = response.content.decode()
    assert (response.status_code, "Ann Able" in content) == (200, False)
    assert "Nobody has been shown your volunteers' personal details yet." in content


@pytest.mark.parametrize("count", [1, 3])
def test_the_lead_page_query_count_does_not_grow(world: World, count: int, django_assert_num_queries: Any) -> None:
    for number in range(count):
        profile = volunteer_of(world.charity, f"Volunteer {number}")
        record_special_category_list_view(
            profiles=[profile], actor=world.coordinator, where="session", organisation=world.university
        )
        record_special_category_view(profile=profile, actor=world.lead, where="follow_up", network=world.charity)
    client = signed_in(world.lead)

    with django_assert_num_queries(10):
        response = client.get(PAGE)

    assert len(table_rows(response)) == 2 * count


def test_viewing_the_network_list_and_matching_is_recorded_there(world: World) -> None:
    volunteer_of(world.charity, "Ann Able")
    signed_in(world.lead).get("/networks/charity-a/volunteers/")

    response = signed_in(world.lead).get(PAGE)

    [row] = table_rows(response)
    assert row[2] == "Your network's list of volunteers (their experience)"
