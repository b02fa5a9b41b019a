"""Who may see which report, and how a volunteer is named in one: the rules, in one place.

- A university's report (figures, the annual report): its coordinators, finance officers and
  admins. A network's report (a charity's, a trust's): its leads. Anyone else holding one of
  these roles elsewhere finds no such report (404); anyone holding none of them gets 403.
- Regulator evidence for a programme: the coordinators of the programme's university.
- A certificate of involvement: the volunteer themself.
- Nobody is named in a report, except in the regulator evidence, and there only as they chose
  (``evidence_name``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.models import Membership, Organisation
from accounts.permissions import has_role, organisations_with_role

if TYPE_CHECKING:
    from accounts.models import User
    from sessions_app.models import Programme
    from volunteers.models import VolunteerProfile

Role = Membership.Role
UNIVERSITY_REPORT_ROLES = frozenset({Role.COORDINATOR, Role.FINANCE, Role.ADMIN})
NETWORK_REPORT_ROLES = frozenset({Role.LEAD})
REPORT_ROLES = UNIVERSITY_REPORT_ROLES | NETWORK_REPORT_ROLES
EVIDENCE_ROLES = frozenset({Role.COORDINATOR})
# The roles the "Reports" link is shown to.
NAV_ROLES = frozenset({Role.LEAD, Role.COORDINATOR, Role.FINANCE})
UNNAMED = "A volunteer"


def can_report_on(user: User, organisation: Organisation) -> bool:
    """A university's coordinators, finance officers and admins; a network's leads."""
    if organisation.is_university:
        return has_role(user, UNIVERSITY_REPORT_ROLES, organisation)
    return has_role(user, NETWORK_REPORT_ROLES, organisation)


def reportable_organisation_ids(user: User) -> list[int]:
    """Organisations where the user holds a report role (``reportable_organisations`` keeps only
    those of the right kind for the role)."""
    return organisations_with_role(user, REPORT_ROLES)


def can_see_evidence(user: User, programme: Programme) -> bool:
    return has_role(user, EVIDENCE_ROLES, programme.university_id)


def evidence_name(profile: VolunteerProfile) -> str:
    """How a volunteer is named in regulator evidence: their full name or first name if they chose
    to be named so, otherwise (anonymous, erased, or no name held) "A volunteer"."""
    from volunteers.models import VolunteerProfile

    Naming = VolunteerProfile.Naming
    if profile.is_erased or profile.naming_preference == Naming.ANONYMOUS:
        return UNNAMED
    full_name = profile.user.name.strip()
    if profile.naming_preference == Naming.FULL_NAME:
        return full_name or UNNAMED
    first = (profile.preferred_name.strip() or full_name).split(" ")[0]
    return first or UNNAMED
