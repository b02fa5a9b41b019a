"""Absolute links for emails and feeds, built from ``SITE_URL``."""

from django.conf import settings


def absolute_url(path: str) -> str:
    return f"{settings.SITE_URL}{path}"
