"""The coordinator's programme and module pages, through django.test.Client."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import HttpResponse

from accounts.models import Membership
from involvement.models import ActivityLog
from sessions_app.models import Module, Programme
from tests import factories
from tests.accounts.test_views import find, h1, messages_on, table_rows, text_of, texts
from tests.conftest import World, signed_in
from tests.sessions_app.factories import ModuleFactory, ProgrammeFactory

Role = Membership.Role
LIST_URL = "/programmes/"
NEW_URL = "/programmes/new/"
ACADEMIC_YEAR_ERROR = (
    "Please enter the academic year like 2026/27: "
    "the year it starts, a slash, then the last two digits of the next year."
)


# Arranging and reading


def radiography(world: World, **fields: Any) -> Programme:
    values = {
        "university": world.university,
        "name": "BSc (Hons) Diagnostic Radiography",
        "profession": "Diagnostic radiography",
        "regulator": Programme.Regulator.HCPC,
        "academic_year": "2026/27",
        **fields,
    }
    return ProgrammeFactory(**values)


def programme_data(**changes: Any) -> dict[str, Any]:
    return {
        "name": "BSc (Hons) Adult Nursing",
        "profession": "Adult nursing",
        "regulator": "nmc",
        "academic_year": "2026/27",
        **changes,
    }


def module_data(**changes: Any) -> dict[str, Any]:
    return {"code": "NUR4001", "title": "Person-centred care", "year_of_study": "1", "leads": [], **changes}


def error_of(response: HttpResponse, field: str) -> str:
    [error] = texts(response, "div", id=f"id_{field}_error")
    return error


def form_errors(response: HttpResponse) -> list[str]:
    return [text for block in find(response, "div", class_="alert-block") for text in texts(block, "li")]


def programme_values(programme: Programme) -> tuple[Any, ...]:
    programme.refresh_from_db()
    return (programme.name, programme.profession, programme.regulator, programme.academic_year)


def links_in(response: HttpResponse, element_id: str) -> list[tuple[str, str]]:
    [area] = find(response, "ul", id=element_id)
    return [(text_of(link), dict(link.attributes)["href"]) for link in find(area, "a")]


# The list


def test_programme_list_shows_the_coordinators_programmes_with_module_counts(world: World) -> None:
    programme = radiography(world)
    ModuleFactory(programme=programme)
    ModuleFactory(programme=programme)
    nursing = radiography(world, name="BSc (Hons) Adult Nursing", profession="Adult nursing", regulator="nmc")
    radiography(world, university=world.other_university, name="Elsewhere")

    response = signed_in(world.coordinator).get(LIST_URL)

    assert response.status_code == 200
    assert h1(response) == "Programmes"
    assert table_rows(response) == [
        ["BSc (Hons) Adult Nursing", "Adult nursing", "NMC", "2026/27", "0"],
        ["BSc (Hons) Diagnostic Radiography", "Diagnostic radiography", "HCPC", "2026/27", "2"],
    ]
    hrefs = [dict(link.attributes)["href"] for link in find(find(response, "tbody")[0], "a")]
    assert hrefs == [f"/programmes/{nursing.pk}/", f"/programmes/{programme.pk}/"]
    assert [dict(link.attributes)["href"] for link in find(response, "a", class_="btn-primary")] == [NEW_URL]


def test_programme_list_names_the_university_for_a_coordinator_of_several(world: World) -> None:
    factories.MembershipFactory(user=world.coordinator, organisation=world.other_university, role=Role.COORDINATOR)
    radiography(world)
    radiography(world, university=world.other_university, name="Elsewhere")

    response = signed_in(world.coordinator).get(LIST_URL)

    assert table_rows(response) == [
        ["BSc (Hons) Diagnostic Radiography", "University A", "Diagnostic radiography", "HCPC", "2026/27", "0"],
        ["Elsewhere", "University B", "Diagnostic radiography", "HCPC", "2026/27", "0"],
    ]


def test_programme_list_says_when_there_are_none(world: World) -> None:
    response = signed_in(world.coordinator).get(LIST_URL)

    assert find(response, "table") == []
    assert texts(response, "p", id="empty") == [
        "There are no programmes yet. Start with a programme, then add its modules and sessions."
    ]


@pytest.mark.parametrize("count", [1, 3])
def test_programme_list_query_count_does_not_grow(world: World, django_assert_num_queries, count: int) -> None:
    for number in range(count):
        programme = radiography(world, name=f"Programme {number}")
        ModuleFactory(programme=programme)
        ModuleFactory(programme=programme)
    client = signed_in(world.coordinator)

    with django_assert_num_queries(6):
        response = client.get(LIST_URL)

    assert len(table_rows(response)) == count


def test_programme_pages_are_for_coordinators(world: World) -> None:
    programme = radiography(world)

    statuses = [signed_in(world.lead).get(url).status_code for url in [LIST_URL, f"/programmes/{programme.pk}/"]]

    assert statuses == [403, 403]


# Creating and changing a programme


def test_programme_new_creates_the_programme_and_goes_to_it(world: World) -> None:
    response = signed_in(world.coordinator).post(NEW_URL, programme_data(), follow=True)

    programme = Programme.objects.get()
    assert response.redirect_chain == [(f"/programmes/{programme.pk}/", 302)]
    assert (programme.university, *programme_values(programme)) == (
        world.university,
        "BSc (Hons) Adult Nursing",
        "Adult nursing",
        "nmc",
        "2026/27",
    )
    assert messages_on(response) == ["BSc (Hons) Adult Nursing (2026/27) is saved."]
    assert list(ActivityLog.objects.values_list("action", "actor")) == [("programme.created", world.coordinator.pk)]


def test_programme_new_does_not_ask_for_the_university_of_a_coordinator_of_one(world: World) -> None:
    response = signed_in(world.coordinator).get(NEW_URL)

    assert h1(response) == "New programme"
    assert find(response, "select", id="id_university") == []


def test_programme_new_lets_a_coordinator_of_several_choose_the_university(world: World) -> None:
    factories.MembershipFactory(user=world.coordinator, organisation=world.other_university, role=Role.COORDINATOR)
    client = signed_in(world.coordinator)

    form = client.get(NEW_URL)
    client.post(NEW_URL, programme_data(university=world.other_university.pk))

    [select] = find(form, "select", id="id_university")
    assert texts(select, "option") == ["University A", "University B"]
    assert Programme.objects.get().university == world.other_university


def test_programme_new_refuses_a_university_where_the_user_does_not_coordinate(world: World) -> None:
    factories.MembershipFactory(user=world.coordinator, organisation=world.charity, role=Role.COORDINATOR)
    stranger = factories.UniversityFactory(name="University C")

    response = signed_in(world.coordinator).post(NEW_URL, programme_data(university=stranger.pk))

    assert response.status_code == 400
    assert error_of(response, "university") == "Please choose one of your universities."
    assert Programme.objects.count() == 0


@pytest.mark.parametrize("year", ["2026/28", "2026-27", "26/27", "2026/2027", "2026/ 27", "2099/00x", ""])
def test_programme_new_refuses_an_academic_year_not_written_like_2026_27(world: World, year: str) -> None:
    response = signed_in(world.coordinator).post(NEW_URL, programme_data(academic_year=year))

    assert response.status_code == 400
    assert error_of(response, "academic_year") == ACADEMIC_YEAR_ERROR
    assert Programme.objects.count() == 0


def test_programme_new_accepts_the_year_that_turns_the_century(world: World) -> None:
    signed_in(world.coordinator).post(NEW_URL, programme_data(academic_year="2099/00"))

    assert Programme.objects.get().academic_year == "2099/00"


def test_programme_new_refuses_the_same_name_and_year_twice(world: World) -> None:
    radiography(world, name="BSc (Hons) Adult Nursing")

    response = signed_in(world.coordinator).post(NEW_URL, programme_data())

    assert response.status_code == 400
    assert error_of(response, "name") == "University A already has BSc (Hons) Adult Nursing for 2026/27."
    assert Programme.objects.count() == 1


def test_programme_new_refuses_missing_fields(world: World) -> None:
    response = signed_in(world.coordinator).post(NEW_URL, programme_data(name="", regulator="ofsted"))

    assert response.status_code == 400
    assert error_of(response, "name") == "Please fill this in."
    assert error_of(response, "regulator") == "Please choose one of the options given."
    assert Programme.objects.count() == 0


def test_programme_edit_shows_and_changes_the_programme(world: World) -> None:
    programme = radiography(world)
    url = f"/programmes/{programme.pk}/edit/"
    client = signed_in(world.coordinator)

    form = client.get(url)
    response = client.post(url, programme_data(academic_year="2027/28"))

    assert h1(form) == "Change BSc (Hons) Diagnostic Radiography (2026/27)"
    assert dict(find(form, "input", id="id_academic_year")[0].attributes)["value"] == "2026/27"
    assert (response.status_code, response["Location"]) == (302, f"/programmes/{programme.pk}/")
    assert programme_values(programme) == ("BSc (Hons) Adult Nursing", "Adult nursing", "nmc", "2027/28")


def test_programme_edit_refuses_a_bad_year_and_changes_nothing(world: World) -> None:
    programme = radiography(world)

    response = signed_in(world.coordinator).post(
        f"/programmes/{programme.pk}/edit/", programme_data(academic_year="2027")
    )

    assert response.status_code == 400
    assert error_of(response, "academic_year") == ACADEMIC_YEAR_ERROR
    assert programme_values(programme) == (
        "BSc (Hons) Diagnostic Radiography",
        "Diagnostic radiography",
        "hcpc",
        "2026/27",
    )


def test_programme_page_of_another_university_is_not_found(world: World) -> None:
    programme = radiography(world, university=world.other_university)

    response = signed_in(world.coordinator).get(f"/programmes/{programme.pk}/")

    assert response.status_code == 404


@pytest.mark.parametrize("action", ["edit/", "modules/new/"])
def test_programme_forms_of_another_university_are_not_found(world: World, action: str) -> None:
    programme = radiography(world, university=world.other_university)
    client = signed_in(world.coordinator)

    got = client.get(f"/programmes/{programme.pk}/{action}")
    posted = client.post(f"/programmes/{programme.pk}/{action}", {**programme_data(), **module_data()})

    assert (got.status_code, posted.status_code) == (404, 404)
    assert programme_values(programme)[0] == "BSc (Hons) Diagnostic Radiography"
    assert Module.objects.count() == 0


# A programme's page


def test_programme_detail_lists_its_modules_with_leads_and_links(world: World) -> None:
    programme = radiography(world)
    imaging = ModuleFactory(programme=programme, code="RAD5002", title="Imaging in cancer care", year_of_study=2)
    imaging.leads.set([world.coordinator, world.admin])
    first = ModuleFactory(programme=programme, code="RAD4001", title="Foundations", year_of_study=1)
    ModuleFactory(code="RAD9999")

    response = signed_in(world.coordinator).get(f"/programmes/{programme.pk}/")

    assert h1(response) == "BSc (Hons) Diagnostic Radiography"
    names = sorted([world.coordinator.name, world.admin.name])
    assert table_rows(response) == [
        ["RAD4001", "Foundations", "1", "—", "Change RAD4001"],
        ["RAD5002", "Imaging in cancer care", "2", f"{names[0]} ; {names[1]}", "Change RAD5002"],
    ]
    assert links_in(response, "actions") == [
        ("New module", f"/programmes/{programme.pk}/modules/new/"),
        ("Change the programme", f"/programmes/{programme.pk}/edit/"),
    ]
    edit_links = [dict(link.attributes)["href"] for link in find(find(response, "tbody")[0], "a")]
    assert edit_links == [f"/modules/{first.pk}/edit/", f"/modules/{imaging.pk}/edit/"]


@pytest.mark.parametrize("count", [1, 3])
def test_programme_detail_query_count_does_not_grow(world: World, django_assert_num_queries, count: int) -> None:
    programme = radiography(world)
    for _ in range(count):
        ModuleFactory(programme=programme).leads.set([world.coordinator, world.admin])
    client = signed_in(world.coordinator)

    with django_assert_num_queries(8):
        response = client.get(f"/programmes/{programme.pk}/")

    assert len(table_rows(response)) == count


# Modules


def test_module_new_offers_the_university_staff_as_leads(world: World) -> None:
    programme = radiography(world)

    response = signed_in(world.coordinator).get(f"/programmes/{programme.pk}/modules/new/")

    assert h1(response) == "New module of BSc (Hons) Diagnostic Radiography (2026/27)"
    labels = texts(response, "label", class_="form-check-label")
    assert labels == sorted([world.admin.name, world.coordinator.name, world.finance.name])


def test_module_new_creates_the_module_with_its_leads(world: World) -> None:
    programme = radiography(world)

    response = signed_in(world.coordinator).post(
        f"/programmes/{programme.pk}/modules/new/",
        module_data(code=" NUR4001 ", year_of_study="3", leads=[world.coordinator.pk, world.finance.pk]),
        follow=True,
    )

    module = Module.objects.get()
    assert response.redirect_chain == [(f"/programmes/{programme.pk}/", 302)]
    assert messages_on(response) == ["The module is saved."]
    assert (module.programme, module.code, module.title, module.year_of_study) == (
        programme,
        "NUR4001",
        "Person-centred care",
        3,
    )
    assert sorted(module.leads.values_list("pk", flat=True)) == sorted([world.coordinator.pk, world.finance.pk])


def test_module_new_refuses_a_code_the_programme_already_has(world: World) -> None:
    programme = radiography(world)
    ModuleFactory(programme=programme, code="NUR4001", title="The first one")

    response = signed_in(world.coordinator).post(f"/programmes/{programme.pk}/modules/new/", module_data())

    assert response.status_code == 400
    assert error_of(response, "code") == "BSc (Hons) Diagnostic Radiography (2026/27) already has a module NUR4001."
    assert list(Module.objects.values_list("title", flat=True)) == ["The first one"]


def test_module_new_allows_the_same_code_in_another_programme(world: World) -> None:
    ModuleFactory(programme=radiography(world, academic_year="2025/26"), code="NUR4001")
    programme = radiography(world)

    response = signed_in(world.coordinator).post(f"/programmes/{programme.pk}/modules/new/", module_data())

    assert response.status_code == 302
    assert Module.objects.filter(code="NUR4001").count() == 2


@pytest.mark.parametrize("year", ["0", "8", "-1", "two", ""])
def test_module_new_refuses_a_year_of_study_outside_1_to_7(world: World, year: str) -> None:
    programme = radiography(world)

    response = signed_in(world.coordinator).post(
        f"/programmes/{programme.pk}/modules/new/", module_data(year_of_study=year)
    )

    assert response.status_code == 400
    assert error_of(response, "year_of_study") == "Please enter a year of study from 1 to 7."
    assert Module.objects.count() == 0


def test_module_new_refuses_a_lead_from_another_university(world: World) -> None:
    programme = radiography(world)

    response = signed_in(world.coordinator).post(
        f"/programmes/{programme.pk}/modules/new/", module_data(leads=[world.other_coordinator.pk])
    )

    assert response.status_code == 400
    assert error_of(response, "leads") == "Please choose module leads from the university’s staff."
    assert Module.objects.count() == 0


def test_module_edit_shows_and_changes_the_module(world: World) -> None:
    module = ModuleFactory(programme=radiography(world), code="RAD4001", title="Foundations", year_of_study=1)
    module.leads.set([world.admin])
    url = f"/modules/{module.pk}/edit/"
    client = signed_in(world.coordinator)

    form = client.get(url)
    response = client.post(url, module_data(code="RAD4002", title="Foundations of care", leads=[world.coordinator.pk]))

    assert h1(form) == "Change RAD4001 Foundations"
    [checked] = find(form, "input", type="checkbox", checked=None)
    assert dict(checked.attributes)["value"] == str(world.admin.pk)
    assert (response.status_code, response["Location"]) == (302, f"/programmes/{module.programme_id}/")
    module.refresh_from_db()
    assert (module.code, module.title, list(module.leads.all())) == (
        "RAD4002",
        "Foundations of care",
        [world.coordinator],
    )


def test_module_edit_refuses_another_modules_code_and_changes_nothing(world: World) -> None:
    programme = radiography(world)
    ModuleFactory(programme=programme, code="RAD4001")
    module = ModuleFactory(programme=programme, code="RAD4002", title="Second")

    response = signed_in(world.coordinator).post(f"/modules/{module.pk}/edit/", module_data(code="RAD4001"))

    assert response.status_code == 400
    assert error_of(response, "code") == "BSc (Hons) Diagnostic Radiography (2026/27) already has a module RAD4001."
    module.refresh_from_db()
    assert (module.code, module.title) == ("RAD4002", "Second")


def test_module_edit_of_another_university_is_not_found(world: World) -> None:
    module = ModuleFactory(programme=radiography(world, university=world.other_university), code="RAD4001")
    client = signed_in(world.coordinator)

    got = client.get(f"/modules/{module.pk}/edit/")
    posted = client.post(f"/modules/{module.pk}/edit/", module_data())

    module.refresh_from_db()
    assert (got.status_code, posted.status_code, module.code) == (404, 404, "RAD4001")
