"""The report pages, charts, exports and PDFs: thin views over ``reports.selectors``.

Every page needs a report role somewhere (``permissions.REPORT_ROLES``; else 403); the
organisation comes from those the user may report on, so another organisation's slug is 404.
Filters are validated by ``ReportFilterForm``: a refused filter is shown by its field, with status
400, and no report is run. Regulator evidence is for the coordinators of the programme's
university (another university's programme: 404); the certificate is the volunteer's own.
"""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from csp.constants import NONE, UNSAFE_INLINE
from csp.decorators import csp
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from accounts.models import Organisation
from accounts.permissions import RoleRequiredMixin, acting_user
from involvement.exports import csv_response, write_csv, write_xlsx, xlsx_response
from involvement.pdf import pdf_response, render_pdf
from involvement.periods import (
    academic_year,
    academic_year_label,
    academic_year_start,
    parse_academic_year,
)
from reports import exports, permissions, selectors
from reports.charts import METRICS, render_chart
from reports.forms import FIELDS, ReportFilterForm
from sessions_app.models import Programme
from volunteers.views.own import VolunteerRequiredMixin

# The charts are images: their own styles only, nothing else loaded, run or framed elsewhere.
SVG_POLICY = {
    "default-src": [NONE],
    "style-src": [UNSAFE_INLINE],
    "frame-ancestors": [NONE],
}
YEARS_LISTED = 3
FIRST_YEAR, LAST_YEAR = 2000, 2100


def year_or_404(year: int) -> int:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Http404("No such academic year.")
    return year


class ReportRoleMixin(RoleRequiredMixin):
    required_roles = permissions.REPORT_ROLES
    kwargs: dict[str, Any]


class OrganisationMixin(ReportRoleMixin):
    """The organisation named in the URL, from those the user may report on (else 404)."""

    def get_organisation(self) -> Organisation:
        if not hasattr(self, "_organisation"):
            user = acting_user(self.request)
            organisation = get_object_or_404(
                Organisation.objects.filter(pk__in=permissions.reportable_organisation_ids(user)),
                slug=self.kwargs["slug"],
            )
            if not permissions.can_report_on(user, organisation):
                raise Http404("No such report.")
            self._organisation = organisation
        return self._organisation


class FilteredReportMixin(OrganisationMixin):
    """The filters from the query string, and the report they describe when they are valid."""

    template_name = "reports/report.html"

    def get_form(self) -> ReportFilterForm:
        if not hasattr(self, "_form"):
            self._form = ReportFilterForm.for_request(self.request.GET, organisation=self.get_organisation())
        return self._form

    def refused(self) -> HttpResponse:
        """The report page with the refused filters by their fields, and no figures (400)."""
        return render(self.request, self.template_name, self.page_context(None), status=400)

    def page_context(self, report: selectors.Report | None) -> dict[str, Any]:
        organisation = self.get_organisation()
        form = self.get_form()
        query = urlencode({name: form.data[name] for name in FIELDS if form.data.get(name)})
        this_year = academic_year_start(timezone.localdate())
        return {
            "organisation": organisation,
            "form": form,
            "report": report,
            "query": query,
            "charts": [
                {"metric": metric, "url": reverse("reports:chart", kwargs={"slug": organisation.slug, "metric": name})}
                for name, metric in METRICS.items()
            ],
            "annual_years": [
                (year, academic_year_label(year)) for year in range(this_year, this_year - YEARS_LISTED, -1)
            ],
        }


class ReportIndexView(ReportRoleMixin, TemplateView):
    """The organisations the user may see a report of, and the programmes' evidence packs."""

    template_name = "reports/index.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = acting_user(self.request)
        organisations = selectors.reportable_organisations(user)
        if not organisations:
            raise PermissionDenied("Reports are for a university's staff and a network's leads.")
        context = super().get_context_data(**kwargs)
        this_year = academic_year_start(timezone.localdate())
        context.update(
            organisations=organisations,
            programmes=[
                (programme, parse_academic_year(programme.academic_year) or this_year)
                for programme in selectors.evidence_programmes(user)
            ],
            annual_years=[(year, academic_year_label(year)) for year in range(this_year, this_year - YEARS_LISTED, -1)],
        )
        return context


class ReportView(FilteredReportMixin, View):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.get_form()
        if not form.is_valid():
            return self.refused()
        return render(request, self.template_name, self.page_context(selectors.build_report(form.scope())))


@method_decorator(csp(SVG_POLICY), name="dispatch")
class ReportChartView(FilteredReportMixin, View):
    """One monthly chart as an SVG image."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        metric = METRICS.get(kwargs["metric"])
        if metric is None:
            raise Http404("No such chart.")
        form = self.get_form()
        if not form.is_valid():
            return HttpResponse("These filters cannot be used.", status=400, content_type="text/plain; charset=utf-8")
        response = HttpResponse(
            render_chart(metric, selectors.monthly_series(form.scope())), content_type="image/svg+xml; charset=utf-8"
        )
        response["Cache-Control"] = "private, no-store"
        return response


@method_decorator(never_cache, name="dispatch")
class ReportCsvView(FilteredReportMixin, View):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.get_form()
        if not form.is_valid():
            return self.refused()
        report = selectors.build_report(form.scope())
        return csv_response(
            write_csv(exports.CSV_HEADER, exports.csv_rows(report)), filename=exports.filename(report, "csv")
        )


@method_decorator(never_cache, name="dispatch")
class ReportXlsxView(FilteredReportMixin, View):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.get_form()
        if not form.is_valid():
            return self.refused()
        report = selectors.build_report(form.scope())
        return xlsx_response(write_xlsx(exports.xlsx_sheets(report)), filename=exports.filename(report, "xlsx"))


class AnnualReportView(OrganisationMixin, TemplateView):
    """The 4Pi annual involvement report of one organisation for one academic year."""

    template_name = "reports/annual_report.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        year = year_or_404(self.kwargs["year"])
        organisation = self.get_organisation()
        scope = selectors.ReportScope(organisation=organisation, period=academic_year(year))
        context.update(
            organisation=organisation,
            annual=selectors.annual_report(scope, academic_year_label(year)),
            year=year,
            previous_year=year - 1,
            next_year=year + 1 if year < academic_year_start(timezone.localdate()) else None,
        )
        return context


class EvidenceMixin(RoleRequiredMixin):
    """A programme of a university where the user coordinates (else 404), for one academic year."""

    required_roles = permissions.EVIDENCE_ROLES
    kwargs: dict[str, Any]

    def get_evidence(self) -> selectors.Evidence:
        programme: Programme = get_object_or_404(
            selectors.evidence_programmes(acting_user(self.request)), pk=self.kwargs["pk"]
        )
        year = year_or_404(self.kwargs["year"])
        scope = selectors.ReportScope(
            organisation=programme.university, period=academic_year(year), programme=programme
        )
        return selectors.evidence(scope, academic_year_label(year))


class EvidenceView(EvidenceMixin, TemplateView):
    template_name = "reports/evidence.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["evidence"] = self.get_evidence()
        context["year"] = self.kwargs["year"]
        return context


@method_decorator(never_cache, name="dispatch")
class EvidencePdfView(EvidenceMixin, View):
    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        evidence = self.get_evidence()
        content = render_pdf("reports/evidence_pdf.html", {"evidence": evidence, "issued_on": timezone.localdate()})
        return pdf_response(content, filename=f"evidence-{evidence.programme.pk}-{kwargs['year']}.pdf")


@method_decorator(never_cache, name="dispatch")
class CertificatePdfView(VolunteerRequiredMixin, View):
    """The volunteer's certificate of involvement: every session they attended, with hours."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        today: datetime.date = timezone.localdate()
        certificate = selectors.certificate(self.profile, today)
        content = render_pdf("reports/certificate_pdf.html", {"certificate": certificate})
        return pdf_response(content, filename=f"certificate-of-involvement-{today:%Y-%m-%d}.pdf")
