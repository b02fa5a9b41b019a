"""The access table's entry type, shared by each app's list of entries (see tests/test_access.py),
and the fingerprint of the database that the refusals in that table are checked against."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import connection

from tests.conftest import World

# The world's users who hold a staff role (tests/conftest.py).
STAFF_USERS = frozenset(
    {
        "admin",
        "coordinator",
        "finance",
        "lead",
        "other_admin",
        "other_coordinator",
        "other_lead",
        "other_finance",
        "other_charity_admin",
    }
)


@dataclass(frozen=True)
class Access:
    name: str
    kwargs: Callable[[World], dict[str, Any]] = field(default=lambda world: {})
    public: bool = False
    # World attributes of users: who gets the page, who has the wrong role, who is elsewhere.
    allowed: str | None = None
    wrong_role: str | None = None
    other_org: str | None = None
    # What the allowed user gets (some public pages answer 400 to a bad token).
    allowed_status: int = 200
    # "post" for URLs that only take a POST; the request carries no form data, so leave
    # ``allowed`` empty where an empty POST would change something (the view tests cover it).
    method: str = "get"
    # Whether only staff ever get this URL; by default, when the user who gets it (or, with none
    # named, the one elsewhere) holds a staff role. Set False for a URL a volunteer gets too.
    for_staff: bool | None = None

    @property
    def staff_page(self) -> bool:
        if self.public:
            return False
        if self.for_staff is not None:
            return self.for_staff
        return (self.allowed or self.other_org) in STAFF_USERS

    @property
    def staff_user(self) -> str | None:
        """A staff user this URL is meant for (the one who gets it, else the one elsewhere)."""
        for user in (self.allowed, self.other_org):
            if user in STAFF_USERS:
                return user
        return None


# Rows that a refused request may still write: the session (its messages, when staff time
# started) and the database cache (rate limits).
VOLATILE_TABLES = frozenset({"django_session", "involvement_cache"})


def project_tables() -> list[str]:
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    return sorted(tables - VOLATILE_TABLES)


def database_fingerprint() -> dict[str, tuple[int, str]]:
    """Every table's row count and a hash of all its rows, in one query on PostgreSQL."""
    tables = project_tables()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                " UNION ALL ".join(
                    f"SELECT %s, count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "  # noqa: S608 -- table names from the models
                    f"FROM {quote(table)} t"
                    for table in tables
                ),
                tables,
            )
            return {table: (count, digest) for table, count, digest in cursor.fetchall()}
        fingerprint = {}
        for table in tables:
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 -- table names from the models
            rows = sorted(repr(row) for row in cursor.fetchall())
            fingerprint[table] = (len(rows), hashlib.md5("|".join(rows).encode()).hexdigest())  # noqa: S324
        return fingerprint


def changed_tables(before: dict[str, tuple[int, str]]) -> list[str]:
    after = database_fingerprint()
    return sorted(table for table in before if after[table] != before[table])
