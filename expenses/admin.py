"""Support-staff admin for money: every model can be looked at, none changed here.

Claims and their items move only through the services (approval rules, never paying twice), and
payments and runs are a financial record. Rate cards are set on the site's rate-card page, where
``services.save_rate_card`` checks who sets them and that no other card starts that day, and
records it; once made, a card and its fees stay as they were, because claims were priced on
them. Finance settings, payee references and programme budgets are set on the finance pages,
where the services check who sets them and record it. The taxi agreement and the costs a
university paid are recorded on the booking's arrangements page
(``services.set_taxi_preapproval``, ``services.add_prepaid_cost``). Receipt files are downloaded
through the site, where access is checked, never from the admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from expenses.models import (
    BookingArrangement,
    Claim,
    ClaimItem,
    FeeRate,
    FinanceSettings,
    PayeeReference,
    Payment,
    PrepaidCost,
    ProgrammeBudget,
    RateCard,
    Receipt,
    ReimbursementRun,
    RunLine,
)


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class FeeRateInline(admin.TabularInline[FeeRate, RateCard]):
    model = FeeRate
    extra = 0
    fields = ["kind", "basis", "amount"]
    readonly_fields = ["kind", "basis", "amount"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RateCard)
class RateCardAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "effective_from", "car_rate", "car_rate_after_threshold", "claim_window_months"]
    list_filter = ["organisation"]
    inlines = [FeeRateInline]


@admin.register(FeeRate)
class FeeRateAdmin(ReadOnlyAdmin):
    list_display = ["rate_card", "kind", "basis", "amount"]
    list_filter = ["kind", "basis"]


class ClaimItemInline(admin.TabularInline[ClaimItem, Claim]):
    model = ClaimItem
    extra = 0
    fields = ["kind", "date", "amount", "miles", "vehicle"]
    readonly_fields = ["kind", "date", "amount", "miles", "vehicle"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ["reference", "volunteer", "status", "submitted_at", "paid_at"]
    list_filter = ["status", "on_behalf"]
    search_fields = ["volunteer__user__name", "booking__session__title"]
    inlines = [ClaimItemInline]


@admin.register(ClaimItem)
class ClaimItemAdmin(ReadOnlyAdmin):
    list_display = ["claim", "kind", "date", "amount"]
    list_filter = ["kind"]
    exclude = ["note"]  # the volunteer's own words ("hospital car park"): not for support staff


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyAdmin):
    list_display = ["claim", "content_type", "size", "created_at", "removed_at"]
    exclude = ["file"]


@admin.register(BookingArrangement)
class BookingArrangementAdmin(ReadOnlyAdmin):
    list_display = ["booking", "taxi_preapproved"]
    exclude = ["notes"]  # why a taxi or help was arranged is often health: not for support staff


@admin.register(PrepaidCost)
class PrepaidCostAdmin(ReadOnlyAdmin):
    list_display = ["booking", "description", "amount"]


@admin.register(ReimbursementRun)
class ReimbursementRunAdmin(ReadOnlyAdmin):
    list_display = ["pk", "organisation", "status", "claims_done", "claims_total", "started_at", "finished_at"]
    list_filter = ["status", "organisation"]


@admin.register(RunLine)
class RunLineAdmin(ReadOnlyAdmin):
    list_display = ["run", "claim", "kind", "route", "amount"]
    list_filter = ["route", "kind"]


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["key", "kind", "route", "amount", "paid_on", "run"]
    list_filter = ["kind", "route", "run"]
    search_fields = ["key"]


@admin.register(FinanceSettings)
class FinanceSettingsAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "fee_route", "expenses_route", "payment_target_days"]


@admin.register(PayeeReference)
class PayeeReferenceAdmin(ReadOnlyAdmin):
    list_display = ["organisation", "reference", "created_at"]
    list_filter = ["organisation"]


@admin.register(ProgrammeBudget)
class ProgrammeBudgetAdmin(ReadOnlyAdmin):
    list_display = ["programme", "academic_year", "amount"]
    list_filter = ["academic_year"]
