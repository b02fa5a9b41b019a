"""Access-table entries for the reports (see tests/test_access.py).

Reports need a report role (a university's coordinator, finance officer or admin; a network's
lead): a volunteer with none gets 403, and someone with the role at another organisation finds no
such report (404). Regulator evidence is for coordinators: University A's finance officer gets 403,
University B's coordinator 404. The certificate is a volunteer's own: the coordinator has no
volunteer profile (403).
"""

from __future__ import annotations

from typing import Any

from tests.access import Access
from tests.conftest import World
from tests.sessions_app.factories import ProgrammeFactory


def university(world: World) -> dict[str, Any]:
    return {"slug": world.university.slug}


def network(world: World) -> dict[str, Any]:
    return {"slug": world.charity.slug}


def chart(world: World) -> dict[str, Any]:
    return {"slug": world.university.slug, "metric": "hours"}


def annual(world: World) -> dict[str, Any]:
    return {"slug": world.university.slug, "year": 2025}


def network_annual(world: World) -> dict[str, Any]:
    return {"slug": world.charity.slug, "year": 2025}


def evidence(world: World) -> dict[str, Any]:
    return {"pk": ProgrammeFactory(university=world.university).pk, "year": 2025}


def report_page(name: str, kwargs: Any = university) -> Access:
    return Access(name, kwargs, allowed="coordinator", wrong_role="volunteer", other_org="other_coordinator")


ACCESS_REPORTS: list[Access] = [
    Access("reports:index", allowed="lead", wrong_role="volunteer"),
    report_page("reports:report"),
    Access("reports:report", network, allowed="lead", wrong_role="volunteer", other_org="other_lead"),
    report_page("reports:chart", chart),
    report_page("reports:export_csv"),
    report_page("reports:export_xlsx"),
    Access("reports:annual", annual, allowed="finance", wrong_role="volunteer", other_org="other_finance"),
    Access("reports:annual", network_annual, allowed="lead", wrong_role="volunteer", other_org="other_lead"),
    Access("reports:evidence", evidence, allowed="coordinator", wrong_role="finance", other_org="other_coordinator"),
    Access(
        "reports:evidence_pdf", evidence, allowed="coordinator", wrong_role="finance", other_org="other_coordinator"
    ),
    Access("reports:certificate", allowed="volunteer", wrong_role="coordinator"),
]
