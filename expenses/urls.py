from django.urls import path

from expenses.views import approver, budgets, finance, own, university_finance

app_name = "expenses"

urlpatterns = [
    # Volunteers (and staff entering a paper claim on their behalf).
    path("money/", own.MoneyView.as_view(), name="money"),
    path("money/fees-and-benefits/", own.FeesAndBenefitsView.as_view(), name="fees_and_benefits"),
    path("money/statement/<int:year>.csv", own.StatementDownloadView.as_view(), name="statement"),
    path("money/statement/<int:year>.pdf", own.StatementPdfView.as_view(), name="statement_pdf"),
    path("money/sessions/<int:booking_pk>/claim/", own.ClaimOpenView.as_view(), name="claim_open"),
    path("money/claims/<int:pk>/", own.ClaimView.as_view(), name="claim"),
    # The claim form, in steps: the journey, other costs, the fee (when there is one), check and send.
    path("money/claims/<int:pk>/journey/", own.JourneyStepView.as_view(), name="claim_journey"),
    path("money/claims/<int:pk>/costs/", own.CostsStepView.as_view(), name="claim_costs"),
    path("money/claims/<int:pk>/fee/", own.FeeChoiceView.as_view(), name="fee_choice"),
    path("money/claims/<int:pk>/submit/", own.SubmitView.as_view(), name="submit"),
    path("money/claims/<int:pk>/items/<int:item_pk>/remove/", own.ItemRemoveView.as_view(), name="item_remove"),
    # Coordinators and finance officers: approving.
    path("claims/", approver.QueueView.as_view(), name="queue"),
    path("claims/<int:pk>/review/", approver.ReviewView.as_view(), name="review"),
    path("claims/<int:pk>/approve/", approver.ApproveView.as_view(), name="approve"),
    path("claims/<int:pk>/reject/", approver.RejectView.as_view(), name="reject"),
    path("claims/<int:pk>/return/", approver.ReturnView.as_view(), name="return"),
    path("claims/on-behalf/<int:booking_pk>/", approver.ClaimOnBehalfView.as_view(), name="claim_on_behalf"),
    path("receipts/<int:pk>/", approver.ReceiptDownloadView.as_view(), name="receipt"),
    path("bookings/<int:pk>/arrangements/", approver.ArrangementsView.as_view(), name="arrangements"),
    path("bookings/<int:pk>/arrangements/taxi/", approver.TaxiArrangementView.as_view(), name="arrangement_taxi"),
    path("bookings/<int:pk>/arrangements/prepaid/", approver.PrepaidCostAddView.as_view(), name="arrangement_prepaid"),
    # Finance: rate cards and reimbursement runs.
    path("rate-cards/", finance.RateCardListView.as_view(), name="rate_cards"),
    path("rate-cards/new/", finance.RateCardCreateView.as_view(), name="rate_card_new"),
    # Finance and org admins: programme budgets per academic year.
    path("budgets/", budgets.BudgetListView.as_view(), name="budgets"),
    path("budgets/<int:pk>/<int:year>/", budgets.BudgetSetView.as_view(), name="budget_set"),
    # Finance: payment runs, previewed first, with an export per route.
    path("runs/", finance.RunListView.as_view(), name="runs"),
    path("runs/preview/", finance.RunPreviewView.as_view(), name="run_preview"),
    path("runs/<int:pk>/", finance.RunDetailView.as_view(), name="run"),
    path("runs/<int:pk>/start/", finance.RunStartView.as_view(), name="run_start"),
    path("runs/<int:pk>/export/<slug:route>.csv", finance.RunExportView.as_view(), name="run_export_csv"),
    path(
        "runs/<int:pk>/export/<slug:route>.xlsx",
        finance.RunExportView.as_view(extension="xlsx"),
        name="run_export_xlsx",
    ),
    # Finance (and org admins, for the settings and cost codes): how each university pays.
    path("finance/", university_finance.FinanceSetupView.as_view(), name="finance_setup"),
    path("finance/<slug:slug>/payees/", university_finance.PayeeSetupView.as_view(), name="payees"),
    path(
        "finance/<slug:slug>/payees/recorded/",
        university_finance.PayeeReferenceListView.as_view(),
        name="payee_references",
    ),
    path(
        "finance/<slug:slug>/payees/<int:volunteer_pk>/",
        university_finance.PayeeReferenceView.as_view(),
        name="payee_reference",
    ),
    path("finance/<slug:slug>/settings/", university_finance.FinanceSettingsView.as_view(), name="finance_settings"),
    path("finance/<slug:slug>/cost-codes/", university_finance.CostCodeListView.as_view(), name="cost_codes"),
    path("finance/<slug:slug>/cost-codes/<int:pk>/", university_finance.CostCodeView.as_view(), name="cost_code"),
]
