"""The page with one form whose POST calls one service, shared by every app.

GET renders the page with an unbound form. POST validates the form (with any uploaded files) and
hands it to ``act``, which calls one service and returns the message to show; then a redirect to
``get_success_url``. Bad input, or the app's domain error raised by the service (its message is
safe to show), re-renders the page with status 400, the error next to the field the error names
(``DomainError.field``; None: the whole form) and nothing changed. Permissions and object lookup
stay in each app's mixins, listed before this class.
"""

from __future__ import annotations

import abc
from typing import Any, Generic, TypeVar

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.generic import TemplateView

from involvement.errors import DomainError

FormT = TypeVar("FormT", bound=forms.Form)


class ServiceFormView(TemplateView, Generic[FormT], abc.ABC):
    """Subclasses set ``form_class`` and ``domain_error`` and define ``act`` and ``get_success_url``."""

    form_class: type[FormT]
    domain_error: type[DomainError]
    # The name of the form in the template's context.
    form_context_name = "form"

    def get_form_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``form_class`` besides the data (``initial``, the objects it needs)."""
        return {}

    def get_form(self, data: Any = None, files: Any = None) -> FormT:
        return self.form_class(data, files, **self.get_form_kwargs())

    def error_field(self, form: FormT, error: DomainError) -> str | None:
        """The field a ``domain_error`` belongs to: the one it names when the form has it."""
        return error.field if error.field in form.fields else None

    @abc.abstractmethod
    def act(self, form: FormT) -> str:
        """Call the service with ``form.cleaned_data``; return the success message to show."""

    @abc.abstractmethod
    def get_success_url(self) -> str:
        """Where to go after ``act`` succeeded."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        if self.form_context_name not in context:
            context[self.form_context_name] = self.get_form()
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.get_form(request.POST, request.FILES)
        if form.is_valid():
            try:
                message = self.act(form)
            except self.domain_error as error:
                form.add_error(self.error_field(form, error), str(error))
            else:
                if message:
                    messages.success(request, message)
                return redirect(self.get_success_url())
        return self.render_to_response(self.get_context_data(**{self.form_context_name: form}), status=400)
