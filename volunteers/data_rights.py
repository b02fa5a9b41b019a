"""The registry of personal-data providers: what each app holds about a volunteer, how to export
it and how to erase it. Modelled on pretix's data shredders.

``volunteers`` owns the registry. Each app that holds personal data registers one provider in its
``AppConfig.ready``; the volunteer's download ("everything we hold about you") and the lead's
erasure call every provider, so a new app is covered by registering, and the cross-app marker
test (``tests/test_data_rights.py``) fails for any model reachable from a volunteer that no
provider declares.

A provider declares:

- ``sections``: the parts of the download it writes, each a key of the JSON file and a heading of
  the readable page, read as plain JSON-able data (dicts, lists, strings, numbers, ISO dates);
- ``rows``: for each model it holds rows of, the queryset of the rows about one volunteer (the
  marker test plants text in them; erasure redacts the audit trail of every one of them);
- ``erase``: removes names, contacts, free text and files, keeping the rows that count
  involvement; it runs inside the erasure's transaction;
- ``refuse`` (optional): why the volunteer cannot be erased yet (money still owed to them, say);
- ``code_fields``: the text fields of its models that hold codes the system wrote, never what a
  person typed (``"expenses.Payment.key"``); everything else is treated as free text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from accounts.models import User
    from volunteers.models import VolunteerProfile

RowsFor = Callable[["VolunteerProfile"], "models.QuerySet[Any]"]


@dataclass(frozen=True)
class Section:
    """One part of the download: ``key`` in the JSON file, ``title`` on the readable page."""

    key: str
    title: str
    read: Callable[[VolunteerProfile], Any]
    intro: str = ""


@dataclass(frozen=True)
class Provider:
    name: str
    order: int
    sections: tuple[Section, ...]
    rows: Mapping[type[models.Model], RowsFor]
    erase: Callable[[VolunteerProfile, User], None]
    refuse: Callable[[VolunteerProfile], str | None] | None = None
    code_fields: frozenset[str] = field(default_factory=frozenset)


_PROVIDERS: dict[str, Provider] = {}


def register_provider(provider: Provider) -> None:
    """Add (or replace, by name) an app's provider. Called from ``AppConfig.ready``."""
    _PROVIDERS[provider.name] = provider


def providers() -> list[Provider]:
    """Every registered provider, in order."""
    return sorted(_PROVIDERS.values(), key=lambda provider: (provider.order, provider.name))


def declared_models() -> set[type[models.Model]]:
    """Every model some provider says it holds rows of about volunteers."""
    return {model for provider in providers() for model in provider.rows}


def code_fields() -> frozenset[str]:
    return frozenset().union(*(provider.code_fields for provider in providers()))


def rows_about(profile: VolunteerProfile) -> Iterable[tuple[type[models.Model], models.QuerySet[Any]]]:
    """Each declared model with its rows about ``profile``."""
    for provider in providers():
        for model, rows_for in provider.rows.items():
            yield model, rows_for(profile)


def export_sections(profile: VolunteerProfile) -> list[tuple[Section, Any]]:
    """Every provider's sections with what they hold about ``profile``, in order."""
    return [(section, section.read(profile)) for provider in providers() for section in provider.sections]


def refusals(profile: VolunteerProfile) -> list[str]:
    """Why ``profile`` cannot be erased yet (empty: it can)."""
    return [reason for provider in providers() if provider.refuse and (reason := provider.refuse(profile))]
