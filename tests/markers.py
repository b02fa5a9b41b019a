"""Finding a planted marker anywhere in the database, for the erasure tests."""

from __future__ import annotations

from django.apps import apps
from django.db.models import CharField, JSONField, TextField
from django.db.models.functions import Cast


def marker_leaks(marker: str) -> list[str]:
    """Every model.field in the database holding ``marker`` (any case), text and JSON alike."""
    leaks = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        for field in meta.concrete_fields:
            rows = model._base_manager.all()
            if isinstance(field, (CharField, TextField)):  # EmailField and SlugField are CharFields
                rows = rows.filter(**{f"{field.attname}__icontains": marker})
            elif isinstance(field, JSONField):
                rows = rows.annotate(_as_text=Cast(field.attname, TextField())).filter(_as_text__icontains=marker)
            else:
                continue
            if rows.exists():
                leaks.append(f"{meta.label}.{field.name}")
    return leaks
