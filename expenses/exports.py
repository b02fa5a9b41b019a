"""A completed run's finance exports: one per route (payroll, accounts payable), each as CSV and
as XLSX, for the university's payroll and accounts-payable systems.

They are built from the run's payments in the database, by route and then payment key, so the
same run always gives the same files and their totals are the run page's totals to the penny.
Every cell goes through ``involvement.exports`` (nothing a spreadsheet would run as a formula).
Each payment carries the payee reference and cost codes it was paid with; an erased volunteer
shows as "Erased volunteer", without a reference. No health data, no contact details.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from expenses.models import Payment, PayRoute, ReimbursementRun
from expenses.selectors import run_payments
from involvement.exports import Sheet, write_csv, write_xlsx
from volunteers.services import ERASED_NAME

COLUMNS = [
    "payment_key",
    "payee_reference",
    "payee_name",
    "amount",
    "cost_centre",
    "nominal_code",
    "description",
    "claim_reference",
]


def payee_name(payment: Payment) -> str:
    volunteer = payment.volunteer
    return ERASED_NAME if volunteer.is_erased else volunteer.user.name


def rows(run: ReimbursementRun, route: str) -> Iterator[list[str | Decimal]]:
    """One row per payment of ``run`` by ``route``, by payment key; the amount a ``Decimal``."""
    for payment in run_payments(run, route).iterator(chunk_size=500):
        yield [
            payment.key,
            "" if payment.volunteer.is_erased else payment.payee_reference,
            payee_name(payment),
            payment.amount,
            payment.cost_centre,
            payment.nominal_code,
            f"{payment.get_kind_display()}: {payment.claim.booking.session.title}",
            payment.claim.reference,
        ]


def filename(run: ReimbursementRun, route: str, extension: str) -> str:
    return f"payment-run-{run.pk}-{PayRoute(route).value.replace('_', '-')}.{extension}"


def export_csv(run: ReimbursementRun, route: str) -> str:
    """The route's payments as CSV, amounts in pounds and pence ("12.30")."""
    return write_csv(
        COLUMNS,
        ([f"{cell:.2f}" if isinstance(cell, Decimal) else cell for cell in row] for row in rows(run, route)),
    )


def export_xlsx(run: ReimbursementRun, route: str) -> bytes:
    """The route's payments as one XLSX sheet, amounts as numbers with two decimals."""
    title = f"Run {run.pk} {PayRoute(route).label}"
    return write_xlsx([Sheet(title, COLUMNS, rows(run, route))])
