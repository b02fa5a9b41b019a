"""A coordinator's programmes and their modules: the list, a programme's page, and the forms to
create and change them.

Every programme comes from the universities where the user coordinates and every module from
those programmes, so another university's id gives 404. The writes go through
``services.save_programme`` and ``services.save_module``.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import TemplateView

from accounts.models import Organisation
from accounts.permissions import acting_user
from sessions_app import services
from sessions_app.forms.programmes import ModuleForm, ProgrammeForm
from sessions_app.models import Module, Programme
from sessions_app.views.base import CoordinatorFormView, CoordinatorMixin


class ProgrammeMixin(CoordinatorMixin):
    """Programmes of the universities where the user coordinates."""

    def my_universities(self) -> QuerySet[Organisation]:
        return Organisation.objects.filter(pk__in=self.universities()).order_by("name")

    def programmes(self) -> QuerySet[Programme]:
        return Programme.objects.filter(university_id__in=self.universities())

    def get_programme(self) -> Programme:
        if not hasattr(self, "_programme"):
            self._programme = get_object_or_404(self.programmes().select_related("university"), pk=self.kwargs["pk"])
        return self._programme


class ProgrammeListView(ProgrammeMixin, TemplateView):
    """Each programme with how many modules it has, in one query."""

    template_name = "sessions_app/programmes/programme_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["programmes"] = list(
            self.programmes()
            .select_related("university")
            .annotate(module_count=Count("modules"))
            .order_by("name", "-academic_year", "pk")
        )
        context["show_university"] = len(self.universities()) > 1
        return context


class ProgrammeCreateView(ProgrammeMixin, CoordinatorFormView[ProgrammeForm]):
    template_name = "sessions_app/programmes/programme_form.html"
    form_class = ProgrammeForm
    saved: Programme

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"universities": self.my_universities()}

    def university_for(self, form: ProgrammeForm) -> Organisation:
        chosen: Organisation | None = form.cleaned_data.get("university")
        return chosen or self.my_universities()[0]

    def act(self, form: ProgrammeForm) -> str:
        self.saved = services.save_programme(
            university=self.university_for(form), actor=acting_user(self.request), **form.changes()
        )
        return f"{self.saved} is saved."

    def get_success_url(self) -> str:
        return reverse("sessions_app:programme", kwargs={"pk": self.saved.pk})


class ProgrammeDetailView(ProgrammeMixin, TemplateView):
    template_name = "sessions_app/programmes/programme_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        programme = self.get_programme()
        context["programme"] = programme
        context["modules"] = list(programme.modules.prefetch_related("leads").order_by("code"))
        return context


class ProgrammeEditView(ProgrammeMixin, CoordinatorFormView[ProgrammeForm]):
    template_name = "sessions_app/programmes/programme_form.html"
    form_class = ProgrammeForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {"initial": ProgrammeForm.initial_for(self.get_programme())}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["programme"] = self.get_programme()
        return context

    def act(self, form: ProgrammeForm) -> str:
        programme = self.get_programme()
        services.save_programme(
            university=programme.university, actor=acting_user(self.request), programme=programme, **form.changes()
        )
        return "Your changes are saved."

    def get_success_url(self) -> str:
        return reverse("sessions_app:programme", kwargs={"pk": self.get_programme().pk})


class ModuleCreateView(ProgrammeMixin, CoordinatorFormView[ModuleForm]):
    """A new module of the programme; its leads are chosen from the university's staff."""

    template_name = "sessions_app/programmes/module_form.html"
    form_class = ModuleForm

    def current(self) -> Module | None:
        return None

    def programme(self) -> Programme:
        return self.get_programme()

    def get_form_kwargs(self) -> dict[str, Any]:
        module = self.current()
        initial = ModuleForm.initial_for(module) if module else {"year_of_study": 1}
        return {"initial": initial, "university": self.programme().university}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(programme=self.programme(), module=self.current())
        return context

    def act(self, form: ModuleForm) -> str:
        services.save_module(
            programme=self.programme(), actor=acting_user(self.request), module=self.current(), **form.cleaned_data
        )
        return "The module is saved."

    def get_success_url(self) -> str:
        return reverse("sessions_app:programme", kwargs={"pk": self.programme().pk})


class ModuleEditView(ModuleCreateView):
    def current(self) -> Module:
        if not hasattr(self, "_module"):
            self._module = get_object_or_404(
                Module.objects.filter(programme__in=self.programmes()).select_related("programme__university"),
                pk=self.kwargs["pk"],
            )
        return self._module

    def programme(self) -> Programme:
        return self.current().programme
