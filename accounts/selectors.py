"""Reads of organisations for pages of several apps."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Organisation


def networks_taking_applications() -> QuerySet[Organisation]:
    """The networks people can apply to, by name (the public list and the home page of someone
    whose account belongs to no organisation yet)."""
    return Organisation.objects.filter(takes_applications=True).order_by("name")
