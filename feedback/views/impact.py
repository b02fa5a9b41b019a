"""The impact log ("you said, we did"): a coordinator's list of their university's entries, and
recording or changing one, linked to the university's own modules and sessions.

The coordinator role somewhere is needed (else 403); entries come from the universities where the
user coordinates (another's: 404), and the modules and sessions offered are theirs only.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.views.generic import TemplateView

from accounts.models import Organisation
from accounts.permissions import acting_user
from feedback import selectors, services
from feedback.forms import ImpactEntryForm
from feedback.models import ImpactEntry
from feedback.services import FeedbackError
from involvement.forms_views import ServiceFormView
from sessions_app.views.base import CoordinatorMixin

PAGE_SIZE = 25


class ImpactListView(CoordinatorMixin, TemplateView):
    """The university's impact entries, latest change first, 25 to a page, in a fixed number of queries."""

    template_name = "feedback/impact/impactentry_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        page = Paginator(selectors.impact_entries_for(acting_user(self.request)), PAGE_SIZE).get_page(
            self.request.GET.get("page")
        )
        context.update(page_obj=page, entries=list(page.object_list))
        return context


class ImpactCreateView(CoordinatorMixin, ServiceFormView[ImpactEntryForm]):
    """Record what changed; ``?session=<id>`` (from a session's feedback page) links that session
    and its module to start with."""

    template_name = "feedback/impact/impactentry_form.html"
    form_class = ImpactEntryForm
    domain_error = FeedbackError
    saved: ImpactEntry

    def current(self) -> ImpactEntry | None:
        return None

    def get_form_kwargs(self) -> dict[str, Any]:
        entry = self.current()
        universities = [entry.university_id] if entry else self.universities()
        keep = [session.pk for session in entry.sessions.all()] if entry else []
        initial: dict[str, Any] = {}
        if entry is not None:
            initial = {
                "university": entry.university,
                "title": entry.title,
                "area": entry.area,
                "what_changed": entry.what_changed,
                "changed_on": entry.changed_on,
                "modules": list(entry.modules.all()),
                "sessions": list(entry.sessions.all()),
            }
        else:
            asked = self.request.GET.get("session", "")
            session = self.sessions().filter(pk=int(asked)).first() if asked.isdigit() else None
            if session is not None:
                initial = {"sessions": [session], "modules": [session.module], "university": session.university}
        return {
            "initial": initial,
            "universities": list(Organisation.objects.filter(pk__in=universities).order_by("name")),
            "modules": selectors.impact_module_choices(universities).order_by("programme__name", "code"),
            "sessions": selectors.impact_session_choices(universities, timezone.now(), keep),
            "editing": entry is not None,
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["editing"] = self.current()
        return context

    def act(self, form: ImpactEntryForm) -> str:
        entry = self.current()
        data = form.cleaned_data
        self.saved = services.save_impact_entry(
            actor=acting_user(self.request),
            university=entry.university if entry else data["university"],
            entry=entry,
            modules=list(data["modules"]),
            sessions=list(data["sessions"]),
            title=data["title"],
            what_changed=data["what_changed"],
            area=data["area"],
            changed_on=data["changed_on"],
        )
        return "The change is recorded." if entry is None else "Your changes are saved."

    def get_success_url(self) -> str:
        return reverse("feedback:impact")


class ImpactEditView(ImpactCreateView):
    def current(self) -> ImpactEntry | None:
        if not hasattr(self, "_entry"):
            self._entry = get_object_or_404(
                selectors.impact_entries_for(acting_user(self.request)), pk=self.kwargs["pk"]
            )
        return self._entry
