"""Every model of the project has a usable admin page for support staff."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from accounts.models import User

PROJECT_APPS = {"involvement", "accounts", "volunteers", "sessions_app", "expenses", "feedback", "reports"}
MODELS = sorted(
    (model for model in apps.get_models() if model._meta.app_label in PROJECT_APPS),
    key=lambda model: model._meta.label,
)


def test_every_project_model_is_in_the_admin():
    missing = [model._meta.label for model in MODELS if model not in admin.site._registry]

    assert missing == []


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model._meta.label)
def test_admin_list_page_opens_for_support_staff(model, db):
    support = User.objects.create_superuser(email="support@example.org", password="a-long-support-password")
    client = Client()
    client.force_login(support)

    response = client.get(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))

    assert response.status_code == 200
