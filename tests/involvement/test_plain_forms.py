"""Every form speaks plainly (``involvement.boundfield``): limits said before typing, no silent
cutting off, and no Django default messages, while a form's own messages are kept."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator

from involvement.boundfield import PlainBoundField


class Example(forms.Form):
    title = forms.CharField(max_length=10, help_text="What students will see.")
    note = forms.CharField(max_length=20, required=False, widget=forms.Textarea)
    code = forms.CharField(max_length=8, required=False, validators=[RegexValidator(r"^\d+$", "Only digits, please.")])
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")])
    day = forms.DateField(required=False)
    count = forms.IntegerField(required=False, min_value=1)
    email = forms.EmailField(required=False)
    agree = forms.BooleanField(required=False)
    own = forms.CharField(required=False, max_length=5, error_messages={"max_length": "Five at most."})


def errors(data: dict[str, str]) -> dict[str, list[str]]:
    form = Example(data)
    form.is_valid()
    return {name: list(messages) for name, messages in form.errors.items()}


def test_every_form_gets_the_plain_bound_field() -> None:
    assert isinstance(Example()["title"], PlainBoundField)


def test_a_length_limit_is_said_before_typing_and_the_browser_does_not_cut_it_off() -> None:
    html = str(Example()["title"])
    note = str(Example()["note"])

    assert Example()["title"].help_text == "What students will see. Up to 10 characters."
    assert Example()["note"].help_text == "Up to 20 characters."
    assert "maxlength" not in html
    assert "maxlength" not in note
    assert 'aria-describedby="id_title_helptext"' in html


def test_plain_messages_replace_djangos() -> None:
    assert errors({"title": "x" * 11, "kind": "z", "day": "31/31/2026", "count": "0", "email": "someone@"}) == {
        "title": ["Please use 10 characters or fewer: this has 11."],
        "kind": ["Please choose one of the options given."],
        "day": ["Please give a real date: day, month and year."],
        "count": ["Please give 1 or more."],
        "email": ["Please give an email address in the form name@example.org."],
    }
    assert errors({"count": "three", "kind": "a", "title": "ok"}) == {
        "count": ["Please give a whole number, for example 3."]
    }


def test_required_messages_fit_the_question() -> None:
    assert errors({}) == {"title": ["Please fill this in."], "kind": ["Please choose an answer."]}


def test_a_forms_own_messages_are_kept() -> None:
    assert errors({"title": "ok", "kind": "a", "code": "12ab", "own": "toolong"}) == {
        "code": ["Only digits, please."],
        "own": ["Five at most."],
    }
