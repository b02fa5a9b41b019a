from django.urls import path

from expenses.views import approver, finance, own

app_name = "expenses"

urlpatterns = [
    # Volunteers (and staff entering a paper claim on their behalf).
    path("money/", own.MoneyView.as_view(), name="money"),
    path("money/fees-and-benefits/", own.FeesAndBenefitsView.as_view(), name="fees_and_benefits"),
    path("money/statement/<int:year>.csv", own.StatementDownloadView.as_view(), name="statement"),
    path("money/statement/<int:year>.pdf", own.StatementPdfView.as_view(), name="statement_pdf"),
    path("money/sessions/<int:booking_pk>/claim/", own.ClaimOpenView.as_view(), name="claim_open"),
    path("money/claims/<int:pk>/", own.ClaimView.as_view(), name="claim"),
    path("money/claims/<int:pk>/items/add/", own.ItemAddView.as_view(), name="item_add"),
    path("money/claims/<int:pk>/items/<int:item_pk>/remove/", own.ItemRemoveView.as_view(), name="item_remove"),
    path("money/claims/<int:pk>/fee/", own.FeeChoiceView.as_view(), name="fee_choice"),
    path("money/claims/<int:pk>/submit/", own.SubmitView.as_view(), name="submit"),
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
    path("runs/", finance.RunListView.as_view(), name="runs"),
    path("runs/start/", finance.RunStartView.as_view(), name="run_start"),
    path("runs/<int:pk>/", finance.RunDetailView.as_view(), name="run"),
    path("runs/<int:pk>/export.csv", finance.RunExportView.as_view(), name="run_export"),
]
