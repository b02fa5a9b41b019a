"""The support admin for money shows everything and changes nothing: claims, items, receipts,
payments and runs move only through the services, and a rate card stays as claims were priced."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import User
from expenses.models import (
    BookingArrangement,
    Claim,
    ClaimItem,
    FeeRate,
    Payment,
    PrepaidCost,
    RateCard,
    Receipt,
    ReimbursementRun,
)
from tests.conftest import World
from tests.expenses.factories import rate_card_for

MODELS = [BookingArrangement, Claim, ClaimItem, FeeRate, Payment, PrepaidCost, RateCard, Receipt, ReimbursementRun]


@pytest.fixture
def support(db: None) -> User:
    return User.objects.create_superuser(email="support@example.org", password="a-long-support-password")


@pytest.mark.parametrize("model", MODELS, ids=lambda model: model.__name__)
def test_support_staff_can_look_but_not_add_change_or_delete(support: User, model: type) -> None:
    request = RequestFactory().get("/support/")
    request.user = support
    model_admin = admin.site._registry[model]

    assert (
        model_admin.has_view_permission(request),
        model_admin.has_add_permission(request),
        model_admin.has_change_permission(request),
        model_admin.has_delete_permission(request),
    ) == (True, False, False, False)


def test_a_rate_card_cannot_be_changed_in_the_admin(world: World, support: User) -> None:
    card = rate_card_for(world.university, effective_from=datetime.date(2024, 4, 6))
    client = Client()
    client.force_login(support)
    url = reverse("admin:expenses_ratecard_change", args=[card.pk])

    page = client.get(url)
    posted = client.post(url, {"car_rate": "0.99", "effective_from": "2024-04-07"})

    assert (page.status_code, posted.status_code) == (200, 403)
    card.refresh_from_db()
    assert (card.car_rate, card.effective_from) == (Decimal("0.45"), datetime.date(2024, 4, 6))
    assert list(card.fee_rates.order_by("kind").values_list("amount", flat=True)) == [
        Decimal("75.00"),
        Decimal("25.00"),
    ]
