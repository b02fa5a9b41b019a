from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.ReportIndexView.as_view(), name="index"),
    path("reports/certificate.pdf", views.CertificatePdfView.as_view(), name="certificate"),
    path("reports/programmes/<int:pk>/evidence/<int:year>/", views.EvidenceView.as_view(), name="evidence"),
    path("reports/programmes/<int:pk>/evidence/<int:year>.pdf", views.EvidencePdfView.as_view(), name="evidence_pdf"),
    path("reports/<slug:slug>/", views.ReportView.as_view(), name="report"),
    path("reports/<slug:slug>/charts/<slug:metric>.svg", views.ReportChartView.as_view(), name="chart"),
    path("reports/<slug:slug>/export.csv", views.ReportCsvView.as_view(), name="export_csv"),
    path("reports/<slug:slug>/export.xlsx", views.ReportXlsxView.as_view(), name="export_xlsx"),
    path("reports/<slug:slug>/annual/<int:year>/", views.AnnualReportView.as_view(), name="annual"),
]
