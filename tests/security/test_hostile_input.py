"""Hostile input in a real browser: script-injection payloads typed into every free-text field that
another person later reads, then every page showing them opened in Debian's Chromium as each role
that sees them, with the page's dialogs watched. None may fire, no payload may become a live element,
and every HTML page the browser receives carries the security headers.

The pages are opened with the browser told to ignore the Content-Security-Policy (``bypass_csp``),
so what is proved is the escaping itself; the policy is a second wall, checked on every response.
Each field gets one payload typed into its real form in the browser (the form's path), and all of
the payloads that fit through the same form with Django's test client, packed into as few values as
the field's length allows and spread over as many objects as that takes.
"""

from __future__ import annotations

import base64
import datetime
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any, cast
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.models import Organisation, User
from expenses.models import Claim
from expenses.services import add_item, submit_claim
from feedback.models import StudentFeedbackLink, StudentResponse, VolunteerFeedback, WellbeingFollowUp
from feedback.services import volunteer_feedback_path
from sessions_app.models import Booking, Module, TeachingSession
from sessions_app.services import accept_invitation, invite_volunteers
from tests import factories
from tests.conftest import CHROMIUM, signed_in
from volunteers.models import ConsentPurpose, NetworkMembership, VolunteerProfile

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium (apt-get install chromium)"),
]

NETWORK = "breast-cancer-voices"


def _b64(js: str) -> str:
    return base64.b64encode(js.encode()).decode()


# Each payload names itself: its number is what a fired alert, confirm or prompt says, or what it
# leaves in window.__pwned (the print() ones, and those that only set it). Most fit 40 characters,
# the shortest free-text field (pronouns).
_TEMPLATES = [
    "<script>alert({n})</script>",
    "'><img src=x onerror=alert({n})>",
    '"><img src=x onerror=alert({n})>',
    "<img src=x onerror=confirm({n})>",
    "<svg onload=alert({n})>",
    "<svg/onload=prompt({n})>",
    "<body onload=alert({n})>",
    "<iframe srcdoc='<script>alert({n})</script>'>",
    '<iframe src="javascript:alert({n})">',
    '<a href="javascript:alert({n})">x{n}</a>',
    "[x{n}](javascript:alert({n}))",
    "javascript:alert({n})",
    "<details open ontoggle=alert({n})>",
    "<input autofocus onfocus=alert({n})>",
    "</textarea><script>alert({n})</script>",
    "</title><script>alert({n})</script>",
    "</script><script>alert({n})</script>",
    "<scr<script>ipt>alert({n})</script>",
    '{{{{constructor.constructor("alert({n})")()}}}}',
    "{{% autoescape off %}}<svg onload=alert({n})>",
    "{{{{ '<svg onload=alert({n})>'|safe }}}}",
    "<div style=x:expression(alert({n}))>",
    "<style>@import'javascript:alert({n})'</style>",
    '<object data="javascript:alert({n})">',
    '<embed src="javascript:alert({n})">',
    '<math><a href="javascript:alert({n})">x',
    "<svg><animate onbegin=alert({n}) attributeName=x>",
    "<svg><script>alert({n})</script></svg>",
    "<marquee onstart=alert({n})>",
    "<audio src=x onerror=alert({n})>",
    '<form><button formaction="javascript:alert({n})">',
    '<base href="javascript:alert({n})//">',
    '<img src=x onerror="&#97;lert({n})">',
    r"<img src=x onerror=\u0061lert({n})>",
    "%3Cscript%3Ealert({n})%3C/script%3E",
    "&lt;script&gt;alert({n})&lt;/script&gt;",
    "\uff1cscript\uff1ealert({n})\uff1c/script\uff1e",
    "<ScRiPt>alert({n})</sCrIpT>",
    "<img src=x onerror=__pwned={n}>",
    "<script>window.__pwned={n}</script>",
    "<svg onload=__pwned={n};print()>",
    "<img src=x onerror=__pwned={n},print()>",
    "<a onmouseover=alert({n})>x{n}</a>",
    "'-alert({n})-'",
    '";alert({n});//',
    "<xss tabindex=1 autofocus onfocusin=alert({n})>",
    '<a href="jav&#x09;ascript:alert({n})">x</a>',
    "<iframe src=data:text/html,<script>alert({n})</script>>",
    "<img src=x onerror=eval(atob('{b64}'))>",
    '<!--<img src="--><img src=x onerror=alert({n})//">',
    "<script src=data:,alert({n})></script>",
    "<svg><style><img src=x onerror=alert({n})></style>",
    "<noscript><p title='</noscript><img src=x onerror=alert({n})>'>",
]
PAYLOADS = [template.format(n=900 + i, b64=_b64(f"alert({900 + i})")) for i, template in enumerate(_TEMPLATES, 1)]

# Run in every page before its own scripts: print() leaves a mark instead of opening a dialog.
WATCH = "window.__printed = []; window.print = function () { window.__printed.push(String(window.__pwned)); };"
# After a page has loaded: what ran, and any element or attribute a payload would have brought to
# life (inline handlers, scripts not from /static/, frames, objects, bases, style elements...).
SCAN = """() => {
    const live = [];
    for (const element of document.querySelectorAll("*")) {
        const tag = element.tagName.toLowerCase();
        for (const attribute of element.attributes) {
            const name = attribute.name.toLowerCase();
            const value = attribute.value.replace(/[\\s\\u0000-\\u001f]/g, "").toLowerCase();
            if (name.startsWith("on") || name === "srcdoc") live.push(tag + "[" + name + "]");
            if (["href", "src", "action", "formaction", "data", "xlink:href"].includes(name)
                && (value.startsWith("javascript:") || value.startsWith("data:text/html"))) {
                live.push(tag + "[" + name + "=" + attribute.value.slice(0, 40) + "]");
            }
        }
        if (["iframe", "frame", "object", "embed", "base", "marquee", "xss", "animate", "math", "audio",
             "video", "noscript"].includes(tag)) live.push(tag);
        if (tag === "style" || (tag === "meta" && element.hasAttribute("http-equiv"))) live.push(tag);
        if (tag === "script" && !(element.getAttribute("src") || "").startsWith("/static/")) live.push("script");
    }
    const text = [document.body.textContent];
    for (const input of document.querySelectorAll("input, textarea")) text.push(input.value);
    for (const option of document.querySelectorAll("option")) text.push(option.textContent);
    return {pwned: window.__pwned === undefined ? null : String(window.__pwned),
            printed: window.__printed, live: live, text: text.join("\\n")};
}"""
# A form's radio groups with nothing chosen get their first answer, and its empty selects their
# first option, so the browser sends what a person would after answering every question.
CHOOSE_DEFAULTS = """(form) => {
    for (const radio of form.querySelectorAll("input[type=radio]")) {
        const group = form.querySelectorAll(`input[type=radio][name="${CSS.escape(radio.name)}"]`);
        if (!Array.from(group).some((one) => one.checked)) group[0].checked = true;
    }
    for (const select of form.querySelectorAll("select:not([multiple])")) {
        if (!select.value) {
            const option = Array.from(select.options).find((one) => one.value);
            if (option) select.value = option.value;
        }
    }
}"""
SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "referrer-policy")


def squeeze(text: str) -> str:
    return " ".join(text.split())


def packed(limit: int) -> list[str]:
    """All the payloads that fit ``limit`` characters, packed greedily into values of at most
    ``limit`` characters (one value per object that will hold them)."""
    values: list[str] = []
    for payload in PAYLOADS:
        if len(payload) > limit:
            continue
        if values and len(values[-1]) + 1 + len(payload) <= limit:
            values[-1] += " " + payload
        else:
            values.append(payload)
    return values


def spread(limits: dict[str, int]) -> list[dict[str, str]]:
    """For several fields of one kind of object: the values of each object, so that every field
    gets every payload that fits it (a field with fewer values repeats its last ones)."""
    columns = {name: packed(limit) for name, limit in limits.items()}
    count = max(len(values) for values in columns.values())
    return [{name: values[min(i, len(values) - 1)] for name, values in columns.items()} for i in range(count)]


# --- Forms posted through Django's test client, with every other field as the page sent it ----


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._textarea: list[str] | None = None
        self._select: dict[str, Any] | None = None
        self._option: dict[str, Any] | None = None
        self._in_main = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {key: value or "" for key, value in attrs}
        if tag == "main":
            self._in_main = True
        if tag == "form" and self._in_main:
            self._form = {"method": a.get("method", "get").lower(), "action": a.get("action", ""), "fields": []}
            self.forms.append(self._form)
            return
        form = self._form
        if form is None or "disabled" in a:
            return
        kind = a.get("type", "text").lower()
        if tag == "input" and a.get("name") and kind not in ("submit", "button", "file", "image", "reset"):
            form["fields"].append(
                {
                    "name": a["name"],
                    "kind": kind,
                    "value": a.get("value", "on" if kind in ("radio", "checkbox") else ""),
                }
                | {"checked": "checked" in a}
            )
        elif tag == "textarea" and a.get("name"):
            self._textarea = [a["name"], ""]
        elif tag == "select" and a.get("name"):
            self._select = {"name": a["name"], "kind": "select", "multiple": "multiple" in a, "options": []}
            form["fields"].append(self._select)
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "selected": "selected" in a, "text": ""}
            self._select["options"].append(self._option)

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea[1] += data
        elif self._option is not None:
            self._option["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None and self._form is not None:
            name, text = self._textarea
            self._form["fields"].append({"name": name, "kind": "textarea", "value": text.removeprefix("\n")})
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "option":
            self._option = None
        elif tag == "form":
            self._form = None
        elif tag == "main":
            self._in_main = False


def _form_data(form: dict[str, Any]) -> dict[str, list[str]]:
    data: dict[str, list[str]] = {}
    radios: dict[str, list[dict[str, Any]]] = {}
    for item in form["fields"]:
        name, kind = item["name"], item["kind"]
        if kind == "radio":
            radios.setdefault(name, []).append(item)
        elif kind == "checkbox":
            if item["checked"]:
                data.setdefault(name, []).append(item["value"])
        elif kind == "select":
            options = [(o["value"] if o["value"] is not None else o["text"].strip(), o) for o in item["options"]]
            chosen = [value for value, option in options if option["selected"]]
            if not chosen and not item["multiple"]:
                chosen = [value for value, _ in options if value][:1]
            if chosen:
                data[name] = chosen
        else:
            data.setdefault(name, []).append(item["value"])
    for name, group in radios.items():
        checked = [item["value"] for item in group if item["checked"]]
        data[name] = checked or [group[0]["value"]]
    return data


FormDefaults = dict[tuple[str, frozenset[str]], tuple[str, dict[str, list[str]]]]


def post_form(client: Client, path: str, values: dict[str, Any], *, expect: int = 302, reuse: FormDefaults) -> Any:
    """Open ``path``, fill the first form in its main part posting every name in ``values`` as the
    page sent it, with ``values`` put over it, and send it; the answer must be ``expect`` (a redirect:
    it went in). The page's form is read once per path and kept in ``reuse`` for the next time (the
    test client checks no CSRF token, and the rest of such a form is the same each time)."""
    key = (path, frozenset(values))
    if key not in reuse:
        page = client.get(path)
        assert page.status_code == 200, f"{path} answered {page.status_code}"
        reader = _FormReader()
        reader.feed(page.content.decode())
        forms = [
            form
            for form in reader.forms
            if form["method"] == "post" and set(values) <= {item["name"] for item in form["fields"]}
        ]
        assert forms, f"no form on {path} has the fields {sorted(values)}"
        reuse[key] = (forms[0]["action"] or path, _form_data(forms[0]))
    action, defaults = reuse[key]
    data = defaults | {name: (value if isinstance(value, list) else [str(value)]) for name, value in values.items()}
    response = client.post(action, data)
    if response.status_code != expect:
        summary = re.search(r'id="error-summary".*?</div>', response.content.decode(), re.S)
        said = squeeze(re.sub(r"<[^>]+>", " ", summary.group(0) if summary else response.content.decode()[:500]))
        raise AssertionError(f"{path} answered {response.status_code}: {said}")
    return response


# --- The browser -------------------------------------------------------------------------------


@dataclass
class Watch:
    """Everything seen in the browser: dialogs, live payloads, headers, pages and roles."""

    base: str
    dialogs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    responses: list[Any] = field(default_factory=list)
    visits: list[tuple[str, str]] = field(default_factory=list)
    fields_typed: list[str] = field(default_factory=list)
    shown: set[str] = field(default_factory=set)
    headers_checked: int = 0

    def on_response(self, response: Any) -> None:
        if response.request.resource_type == "document" and response.url.startswith(self.base):
            self.responses.append(response)

    def check_headers(self) -> None:
        for response in self.responses:
            headers = response.all_headers()
            if "text/html" not in headers.get("content-type", ""):
                continue
            self.headers_checked += 1
            where = f"{response.status} {urlsplit(response.url).path}"
            missing = [name for name in SECURITY_HEADERS if not headers.get(name)]
            if missing:
                self.problems.append(f"{where}: no {', '.join(missing)}")
                continue
            policy = {
                part.split()[0]: part.split()[1:]
                for part in headers["content-security-policy"].split(";")
                if part.strip()
            }
            for directive in ("script-src", "style-src", "default-src"):
                if "'unsafe-inline'" in policy.get(directive, []) or "'unsafe-eval'" in policy.get(directive, []):
                    self.problems.append(f"{where}: {directive} allows {policy[directive]}")
            if "script-src" not in policy or "style-src" not in policy or "object-src" not in policy:
                self.problems.append(f"{where}: the policy leaves scripts, styles or objects to defaults: {policy}")
            if headers["referrer-policy"] not in (
                "same-origin",
                "strict-origin",
                "strict-origin-when-cross-origin",
                "no-referrer",
            ):
                self.problems.append(f"{where}: Referrer-Policy {headers['referrer-policy']}")
            if headers["x-content-type-options"] != "nosniff":
                self.problems.append(f"{where}: X-Content-Type-Options {headers['x-content-type-options']}")
            if headers.get("x-frame-options", "").upper() != "DENY" and policy.get("frame-ancestors") != ["'none'"]:
                self.problems.append(f"{where}: no frame protection")
        self.responses.clear()


class Person:
    """One signed-in person's browser (or nobody's, with ``user`` None)."""

    def __init__(self, chromium: Any, watch: Watch, role: str, user: User | None) -> None:
        self.watch, self.role, self.user = watch, role, user
        self.client = signed_in(user) if user is not None else Client()
        self.context = chromium.new_context(locale="en-GB", timezone_id="Europe/London", bypass_csp=True)
        self.context.add_init_script(WATCH)
        if user is not None:
            cookie = self.client.cookies[settings.SESSION_COOKIE_NAME].value
            self.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": watch.base}])
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.page.on("dialog", self._dialog)
        self.page.on("response", watch.on_response)

    def become(self, user: User | None) -> None:
        """The same browser, signed in as ``user`` (another volunteer, say) or as nobody."""
        if user == self.user:
            return
        self.user = user
        self.context.clear_cookies()
        if user is not None:
            self.client = signed_in(user)
            cookie = self.client.cookies[settings.SESSION_COOKIE_NAME].value
            self.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": self.watch.base}])
        else:
            self.client = Client()

    def _dialog(self, dialog: Any) -> None:
        self.watch.dialogs.append(f"{self.role} {urlsplit(self.page.url).path}: {dialog.type}({dialog.message})")
        dialog.dismiss()

    def open(self, path: str, *expected: str) -> None:
        """Open ``path`` and check it: nothing ran, nothing came alive, and each of ``expected``
        (the values the page shows) is there, as text."""
        response = self.page.goto(self.watch.base + path)
        assert response is not None, f"{self.role} {path}: no answer"
        assert response.status == 200, f"{self.role} {path}: {response.status}"
        self.page.mouse.move(5, 5)  # hover handlers get their chance
        self.page.keyboard.press("Tab")  # and focus handlers
        self.watch.visits.append((self.role, path))
        self.watch.shown.update(payload for payload in PAYLOADS if any(payload in value for value in expected))
        state = self.page.evaluate(SCAN)
        where = f"{self.role} {path}"
        if state["pwned"] is not None or state["printed"]:
            self.watch.problems.append(f"{where}: a payload ran (window.__pwned={state['pwned']}, {state['printed']})")
        if state["live"]:
            self.watch.problems.append(f"{where}: live payload elements {sorted(set(state['live']))}")
        shown = squeeze(state["text"])
        for value in expected:
            if squeeze(value) not in shown:
                self.watch.problems.append(f"{where}: does not show {value[:60]!r}")

    def type_into(self, path: str, values: dict[str, str]) -> None:
        """Type ``values`` into the form on ``path`` in the browser (field names to text) and send it."""
        self.page.goto(self.watch.base + path)
        first = next(iter(values))
        form = self.page.locator(f"main form:has([name='{first}'])").first
        form.evaluate(CHOOSE_DEFAULTS)
        for name, text in values.items():
            control = form.locator(f"[name='{name}']").first
            if control.evaluate("element => element.tagName") == "SELECT":
                control.select_option(text)
            elif control.get_attribute("type") in ("checkbox", "radio"):
                form.locator(f"[name='{name}'][value='{text}']").check()
            else:
                control.fill(text)
                if any(payload in text for payload in PAYLOADS):
                    self.watch.fields_typed.append(f"{path} {name}")
        with self.page.expect_navigation():
            form.locator("button[type=submit], button:not([type]), input[type=submit]").first.click()
        assert not self.page.locator("#error-summary").count(), (
            f"{self.role} {path}: {self.page.locator('#error-summary').inner_text()}"
        )

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watch(live_server: Any) -> Watch:
    return Watch(base=live_server.url)


@pytest.fixture
def people(browser: Any, watch: Watch) -> Iterator[dict[str, Any]]:
    made: dict[str, Person] = {}

    def person(role: str, user: User | None) -> Person:
        if role not in made:
            made[role] = Person(browser, watch, role, user)
        return made[role]

    yield {"person": person}
    for one in made.values():
        one.close()


# --- The journey ---------------------------------------------------------------------------------


@dataclass
class Shown:
    """A page someone opens, and the values it must show."""

    role: str
    user: User | None
    path: str
    values: tuple[str, ...]


def test_no_payload_runs_on_any_page_that_shows_it_and_every_page_has_the_headers(
    live_server: Any, watch: Watch, people: dict[str, Any]
) -> None:
    call_command("seed_demo", force=True, verbosity=0)
    person = people["person"]
    staff = {user.email: user for user in User.objects.filter(email__contains="@example.org").exclude(name="")}
    coordinator_user, lead_user = staff["coordinator@example.org"], staff["lead@example.org"]
    coordinator, lead = person("coordinator", coordinator_user), person("lead", lead_user)
    network = Organisation.objects.get(slug=NETWORK)
    sian = VolunteerProfile.objects.select_related("user").get(user__email="volunteer@example.org")
    sians = NetworkMembership.objects.get(volunteer=sian, network=network)
    volunteer = person("volunteer", sian.user)
    shown: list[Shown] = []
    forms: FormDefaults = {}
    typed = iter(PAYLOADS)  # one payload for each field typed in the browser

    def show(role: str, user: User | None, path: str, *values: str) -> None:
        shown.append(Shown(role, user, path, values))

    def one(limit: int = 1000) -> str:
        return next(payload for payload in typed if len(payload) <= limit)

    # 1. Profiles (name, preferred name, pronouns, biography, topics, support contact, payment
    # reason): Siân types hers; every other volunteer of the network, and new ones, hold the rest.
    limits = {
        "name": 150,
        "preferred_name": 100,
        "pronouns": 40,
        "biography": 1000,
        "topics_to_avoid": 1000,
        "support_contact_name": 150,
        "support_contact_details": 200,
        "payment_preference_reason": 500,
    }
    mine = {name: one(limit) for name, limit in limits.items()}
    volunteer.type_into("/me/profile/", mine)
    rows = spread(limits)
    others = list(
        NetworkMembership.objects.filter(network=network, status="active")
        .exclude(volunteer=sian)
        .select_related("volunteer__user")
    )
    while len(others) < len(rows):
        others.append(cast(NetworkMembership, factories.NetworkMembershipFactory(network=network)))
    profiles = [(sians, mine), *zip(others, rows, strict=False)]
    for membership, row in profiles[1:]:
        # Every other answer as the first volunteer's page gave it, but no experience (each has her own).
        post_form(signed_in(membership.volunteer.user), "/me/profile/", {**row, "experience_tags": []}, reuse=forms)
    for membership, row in profiles:
        profile = membership.volunteer
        show("lead", lead_user, f"/networks/{NETWORK}/volunteers/{membership.pk}/", *row.values())
        show("coordinator", coordinator_user, f"/volunteers/{profile.pk}/", row["pronouns"], row["biography"])
        show("volunteer", profile.user, "/me/profile/", *row.values())
    show("lead", lead_user, f"/networks/{NETWORK}/volunteers/")

    # 2. Applications to the network, made by people with no account yet (name and statement),
    # and the lead's message declining them.
    applicant = person("applicant", None)
    applied = {"name": one(150), "statement": one(), "email": "hostile-applicant@example.org"}
    applicant.type_into(f"/networks/{NETWORK}/apply/", applied)
    applications = [
        applied,
        *(
            {**row, "email": f"hostile-{i}@example.org"}
            for i, row in enumerate(spread({"name": 150, "statement": 2000}))
        ),
    ]
    for row in applications[1:]:
        post_form(Client(), f"/networks/{NETWORK}/apply/", row, reuse=forms)
    declines = [one(), *packed(2000)]
    for i, row in enumerate(applications):
        membership = NetworkMembership.objects.get(volunteer__user__email=row["email"], network=network)
        decline = {"message": declines[i]} if i < len(declines) else {}
        if i == 0:
            lead.type_into(f"/networks/{NETWORK}/volunteers/{membership.pk}/decline/", decline)
        elif decline:
            post_form(lead.client, f"/networks/{NETWORK}/volunteers/{membership.pk}/decline/", decline, reuse=forms)
        show(
            "lead",
            lead_user,
            f"/networks/{NETWORK}/volunteers/{membership.pk}/",
            row["name"],
            row["statement"],
            *decline.values(),
        )

    # 3. Time away, with its note (Siân and her lead see it).
    today = timezone.localdate()

    def away(i: int, note: str) -> dict[str, str]:
        first = today + datetime.timedelta(days=30 + 3 * i)
        return {
            "starts_on": f"{first:%d/%m/%Y}",
            "ends_on": f"{first + datetime.timedelta(days=1):%d/%m/%Y}",
            "note": note,
        }

    notes = [one(120), *packed(120)]
    volunteer.become(sian.user)
    volunteer.type_into("/me/availability/away/", away(0, notes[0]))
    for i, note in enumerate(notes[1:], 1):
        post_form(volunteer.client, "/me/availability/away/", away(i, note), reuse=forms)
    show("volunteer", sian.user, "/me/availability/", *notes)

    # 4. The network's experience list and the volunteer's onboarding checks (the lead's).
    tags = [one(80), *packed(80)]
    lead.type_into(f"/networks/{NETWORK}/experience/", {"name": tags[0]})
    for tag in tags[1:]:
        post_form(lead.client, f"/networks/{NETWORK}/experience/", {"name": tag}, reuse=forms)
    show("lead", lead_user, f"/networks/{NETWORK}/experience/", *tags)
    checks = [one(120), *packed(120)]
    check_path = f"/networks/{NETWORK}/volunteers/{sians.pk}/checks/add/"
    lead.type_into(check_path, {"name": checks[0]})
    for check in checks[1:]:
        post_form(lead.client, check_path, {"kind": "role_check", "name": check}, reuse=forms)
    show("lead", lead_user, f"/networks/{NETWORK}/volunteers/{sians.pk}/", *mine.values(), *checks, *notes)

    # 5. Notes on a wellbeing follow-up (the network's leads).
    follow_up = WellbeingFollowUp.objects.filter(network=network, status="open").first()
    assert follow_up is not None
    follow_up_path = f"/networks/{NETWORK}/follow-ups/{follow_up.pk}/"
    follow_up_notes = [one(), *packed(2000)]
    lead.type_into(follow_up_path, {"text": follow_up_notes[0]})
    for text in follow_up_notes[1:]:
        post_form(lead.client, follow_up_path, {"text": text}, reuse=forms)
    show("lead", lead_user, follow_up_path, *follow_up_notes)

    # 6. Programmes and modules (the coordinator's), shown on the programme pages and with sessions.
    def programme(i: int, row: dict[str, str]) -> dict[str, str]:
        return {**row, "academic_year": f"{2026 + i}/{(27 + i) % 100:02d}"}  # a name comes back, a year not

    programmes = [{"name": one(200), "profession": one(100)}, *spread({"name": 200, "profession": 100})]
    coordinator.type_into("/programmes/new/", programme(0, programmes[0]))
    for i, row in enumerate(programmes[1:], 1):
        post_form(coordinator.client, "/programmes/new/", programme(i, row), reuse=forms)
    university = coordinator_user.memberships.get().organisation
    for i, row in enumerate(programmes):
        made = university.programmes.get(**programme(i, row))
        show("coordinator", coordinator_user, f"/programmes/{made.pk}/", *row.values())
    show("coordinator", coordinator_user, "/programmes/", *(value for row in programmes for value in row.values()))
    hostile = university.programmes.get(name=programmes[0]["name"])
    modules = [one(200), *packed(200)]
    coordinator.type_into(f"/programmes/{hostile.pk}/modules/new/", {"code": "XSS1", "title": modules[0]})
    for i, title in enumerate(modules[1:], 2):
        post_form(
            coordinator.client,
            f"/programmes/{hostile.pk}/modules/new/",
            {"code": f"XSS{i}", "title": title, "year_of_study": "1"},
            reuse=forms,
        )
    show("coordinator", coordinator_user, f"/programmes/{hostile.pk}/", *modules)
    module = Module.objects.get(programme=hostile, code="XSS1")

    # 7. Sessions (title, venue, briefing, purpose), on the hostile module, each opened and Siân
    # invited; one of them cancelled with a reason.
    def session_form(i: int, row: dict[str, str]) -> dict[str, str]:
        day = today + datetime.timedelta(days=20 + i)
        return {
            "module": str(module.pk),
            "date": f"{day:%d/%m/%Y}",
            "start_time": "10:00",
            "end_time": "12:00",
            "places": "4",
            **row,
        }

    sessions = [
        {"title": one(200), "venue": one(300), "briefing": one(), "purpose": one()},
        *spread({"title": 200, "venue": 300, "briefing": 5000, "purpose": 5000}),
    ]
    coordinator.type_into("/sessions/new/", session_form(0, sessions[0]))
    for i, row in enumerate(sessions[1:], 1):
        post_form(coordinator.client, "/sessions/new/", session_form(i, row), reuse=forms)
    reasons = [one(2000), *packed(2000)]
    for i, row in enumerate(sessions):
        session = TeachingSession.objects.get(title=row["title"])
        post_form(coordinator.client, f"/sessions/{session.pk}/open/", {}, reuse=forms)
        [booking] = invite_volunteers(
            session=session, volunteers=[sian], actor=coordinator_user, agreed_with_volunteer=True
        )
        cancelled: tuple[str, ...] = ()
        if i < len(reasons):
            cancelled = (reasons[i],)
            if i == 0:
                coordinator.type_into(f"/sessions/{session.pk}/cancel/", {"reason": reasons[i]})
            else:
                post_form(coordinator.client, f"/sessions/{session.pk}/cancel/", {"reason": reasons[i]}, reuse=forms)
        show(
            "coordinator",
            coordinator_user,
            f"/sessions/{session.pk}/",
            row["title"],
            row["venue"],
            row["briefing"],
            row["purpose"],
            module.title,
            *cancelled,
        )
        show("volunteer", sian.user, f"/my-sessions/{booking.pk}/", row["title"], row["briefing"], row["purpose"])
    titles = [row["title"] for row in sessions]
    show("coordinator", coordinator_user, "/sessions/", *titles)
    show("volunteer", sian.user, "/my-sessions/", *titles)
    show("lead", lead_user, f"/networks/{NETWORK}/volunteers/{sians.pk}/sessions/")  # her sessions so far

    # 8. Messages to the volunteers booked on a session (subject and message).
    booked = Booking.objects.filter(volunteer=sian, status="accepted").select_related("session").first()
    assert booked is not None
    messages = [{"subject": one(150), "message": one()}, *spread({"subject": 150, "message": 5000})]
    coordinator.type_into(f"/sessions/{booked.session.pk}/message/", messages[0])
    for row in messages[1:]:
        post_form(coordinator.client, f"/sessions/{booked.session.pk}/message/", row, reuse=forms)
    sent = [value for row in messages for value in row.values()]
    show("coordinator", coordinator_user, f"/sessions/{booked.session.pk}/", *sent)
    show("coordinator", coordinator_user, f"/sessions/{booked.session.pk}/message/", *sent)

    # 9. Adjustments (the interpreter's language, dietary needs, anything else), which the
    # coordinator of a session reads while the volunteer holds a place on it.
    needs = {"interpreter_language": 60, "dietary_needs": 200, "other_adjustments": 1000}
    hers = {name: one(limit) for name, limit in needs.items()}
    volunteer.type_into("/me/adjustments/", {"interpreter": "spoken", **hers})
    show("coordinator", coordinator_user, f"/sessions/{booked.session.pk}/", *hers.values())
    show("volunteer", sian.user, f"/my-sessions/{booked.pk}/", *hers.values())
    rows = spread(needs)
    helped = [membership.volunteer for membership in others]
    while len(helped) < len(rows):
        helped.append(cast(NetworkMembership, factories.NetworkMembershipFactory(network=network)).volunteer)
    for profile, row in zip(helped, rows, strict=False):
        post_form(signed_in(profile.user), "/me/adjustments/", {"interpreter": "spoken", **row}, reuse=forms)
    post_form(
        coordinator.client,
        "/sessions/new/",
        session_form(
            len(sessions),
            {"title": "Everyone's adjustments", "venue": "Room 1", "briefing": "", "purpose": "", "places": "100"},
        ),
        reuse=forms,
    )
    everyone = TeachingSession.objects.get(title="Everyone's adjustments")
    post_form(coordinator.client, f"/sessions/{everyone.pk}/open/", {}, reuse=forms)
    for place in invite_volunteers(
        session=everyone, volunteers=helped, actor=coordinator_user, agreed_with_volunteer=True
    ):
        accept_invitation(booking=place, actor=place.volunteer.user)
    show(
        "coordinator", coordinator_user, f"/sessions/{everyone.pk}/", *(value for row in rows for value in row.values())
    )

    # 10. Impact entries (title and what changed), linked to a session Siân attended.
    attended = Booking.objects.filter(volunteer=sian, status="attended").select_related("session")
    first, second = attended[0].session, attended[1].session
    impact = [{"title": one(200), "what_changed": one()}, *spread({"title": 200, "what_changed": 4000})]
    coordinator.type_into("/impact/new/", impact[0])
    for row in impact[1:]:
        post_form(coordinator.client, "/impact/new/", {**row, "sessions": [str(first.pk)]}, reuse=forms)
    show("coordinator", coordinator_user, "/impact/", *(value for row in impact for value in row.values()))
    show("volunteer", sian.user, "/me/difference/", *(value for row in impact[1:] for value in row.values()))

    # 11. The coordinator's feedback on sessions Siân came to, which she reads.
    said = {"contribution": one(), "students_took": one()}
    coordinator.type_into(f"/sessions/{second.pk}/feedback/coordinator/", said)
    said_all = {"contribution": packed(2000)[0], "students_took": packed(2000)[0]}
    post_form(coordinator.client, f"/sessions/{first.pk}/feedback/coordinator/", said_all, reuse=forms)
    show("coordinator", coordinator_user, f"/sessions/{second.pk}/feedback/", *said.values())
    show("coordinator", coordinator_user, f"/sessions/{first.pk}/feedback/", *said_all.values())
    show("volunteer", sian.user, "/me/difference/", *said.values(), *said_all.values())

    # 12. Students' answers through a session's open link (no account), shared by the coordinator.
    link = StudentFeedbackLink.objects.filter(closes_at__gt=timezone.now()).select_related("session").first()
    assert link is not None
    learned = [one(), *packed(1000)]
    applicant.become(None)
    applicant.type_into(f"/s/{link.token}/", {"learned": learned[0]})
    for text in learned[1:]:
        post_form(Client(), f"/s/{link.token}/", {"learned": text}, reuse=forms)
    for answer in StudentResponse.objects.filter(session=link.session):
        coordinator.client.post(f"/student-answers/{answer.pk}/share/", {"chosen": "1"})
    show("coordinator", coordinator_user, f"/sessions/{link.session.pk}/feedback/", *learned)

    # 13. A volunteer's feedback on a session (what they would change), which the coordinator reads.
    waiting = VolunteerFeedback.objects.filter(answered_at=None).select_related("booking__volunteer__user").first()
    assert waiting is not None
    answerer = person("volunteer (feedback)", waiting.booking.volunteer.user)
    [to_change] = packed(2000)
    answerer.type_into(volunteer_feedback_path(waiting), {"to_change": to_change})
    show("coordinator", coordinator_user, f"/sessions/{waiting.booking.session_id}/feedback/", to_change)

    # 14. Claims: costs the university paid for, a rejection's reason and a return's note.
    rejected, returned = Claim.objects.filter(status="submitted").select_related("booking__volunteer__user")[:2]
    arrangements = f"/bookings/{rejected.booking_id}/arrangements/"
    costs = [one(200), *packed(200)]
    coordinator.type_into(arrangements, {"description": costs[0], "amount": "5.00"})
    for cost in costs[1:]:
        post_form(coordinator.client, arrangements, {"description": cost, "amount": "1.00"}, reuse=forms)
    [reason] = packed(2000)
    coordinator.type_into(f"/claims/{rejected.pk}/review/", {"reason": reason})
    coordinator.type_into(f"/claims/{returned.pk}/review/", {"note": reason})
    show("coordinator", coordinator_user, arrangements, *costs)
    show("coordinator", coordinator_user, f"/claims/{rejected.pk}/review/", reason, *costs)
    show("coordinator", coordinator_user, f"/claims/{returned.pk}/review/", reason)
    show("volunteer", rejected.booking.volunteer.user, f"/money/claims/{rejected.pk}/", reason, *costs)
    show("volunteer", returned.booking.volunteer.user, f"/money/claims/{returned.pk}/", reason)

    # 14b. A volunteer's descriptions of their costs ("Other costs", 300 characters each): Siân
    # types one into the claim's step in the browser, the rest go in through the same service,
    # then she sends the claim and the coordinator and finance review it.
    draft = Claim.objects.filter(status="draft", volunteer=sian).first()
    assert draft is not None
    descriptions = [one(300), *packed(300)]
    mine_in_browser = person("volunteer", sian.user)
    mine_in_browser.type_into(
        f"/money/claims/{draft.pk}/costs/", {"kind": "home_online", "amount": "1.00", "note": descriptions[0]}
    )
    for description in descriptions[1:]:
        add_item(
            claim=draft,
            actor=sian.user,
            kind="home_online",
            date=timezone.localdate(draft.booking.session.starts_at),
            amount=Decimal("1.00"),
            note=description,
        )
    show("volunteer", sian.user, f"/money/claims/{draft.pk}/", *descriptions)
    submit_claim(claim=draft, actor=sian.user)
    show("coordinator", coordinator_user, f"/claims/{draft.pk}/review/", *descriptions)
    show("finance", staff["finance@example.org"], f"/claims/{draft.pk}/review/", *descriptions)

    # 15. A coordinator's reason for cancelling a volunteer's place, which the volunteer reads.
    cancels = [one(1000), *packed(1000)]
    for i, reason_given in enumerate(cancels):
        place = Booking.objects.get(volunteer=sian, session__title=sessions[len(reasons) + i]["title"])
        if i == 0:
            coordinator.type_into(f"/bookings/{place.pk}/cancel/", {"reason": reason_given})
        else:
            post_form(coordinator.client, f"/bookings/{place.pk}/cancel/", {"reason": reason_given}, reuse=forms)
        show("volunteer", sian.user, f"/my-sessions/{place.pk}/", reason_given)

    # 16. The wording volunteers agree to (the network's admin), shown to them and to applicants.
    purposes = list(ConsentPurpose.objects.order_by("order")[:2])
    wording = [one(), packed(5000)[0]]
    for purpose, text in zip(purposes, wording, strict=True):
        values = {"text": text, "organisations": str(network.pk)}
        path = f"/consent-texts/{NETWORK}/{purpose.code}/new/"
        if purpose == purposes[0]:
            lead.type_into(path, values)
        else:
            post_form(lead.client, path, {**values, "organisations": [str(network.pk)]}, reuse=forms)
    show("volunteer", sian.user, "/me/consent/", *wording)
    show("applicant", None, f"/networks/{NETWORK}/", *wording)
    show("lead", lead_user, "/consent-texts/", *wording)

    finance_user = staff["finance@example.org"]
    show("finance", finance_user, f"/claims/{rejected.pk}/review/", reason, *costs)
    show("finance", finance_user, "/claims/")

    # The home pages, lists, calendars and reports that gather all of it.
    for path in (
        "/",
        "/claims/",
        "/sessions/calendar/",
        f"/sessions/{booked.session.pk}/matching/",
        "/reports/northbridge/",
    ):
        show("coordinator", coordinator_user, path)
    for path in ("/", f"/networks/{NETWORK}/follow-ups/", f"/reports/{NETWORK}/", f"/networks/{NETWORK}/"):
        show("lead", lead_user, path)
    for path in ("/", "/me/", "/money/", "/my-sessions/calendar/"):
        show("volunteer", sian.user, path)
    show("finance", finance_user, "/reports/northbridge/")
    show("applicant", None, f"/networks/{NETWORK}/")
    # Every page, as each person who sees it: nothing runs, nothing comes alive, all is shown.
    for page in sorted(shown, key=lambda one: (one.role, one.user.pk if one.user else 0)):
        viewer = person(page.role, page.user)
        viewer.become(page.user)
        viewer.open(page.path, *page.values)
    watch.check_headers()
    assert watch.shown == set(PAYLOADS)  # each one shown on some page
    assert watch.headers_checked >= len(watch.visits)  # every page opened, and every redirect on the way
    assert watch.dialogs == [], "\n".join(watch.dialogs)
    assert watch.problems == [], "\n".join(watch.problems)
    roles = sorted({role for role, _ in watch.visits})
    print(
        f"\n{len(PAYLOADS)} payloads, {len(watch.fields_typed)} fields typed in the browser, "
        f"{len(watch.visits)} page visits ({len({path for _, path in watch.visits})} pages) as {roles}, "
        f"{watch.headers_checked} HTML responses checked"
    )


def test_the_watch_sees_a_payload_that_is_not_escaped(live_server: Any, watch: Watch, people: dict[str, Any]) -> None:
    """The check above can fail: pages that printed the payloads as HTML, with no security headers,
    are caught by their dialogs, what the payloads left behind, their live elements and headers."""
    canary = people["person"]("canary", None)
    loud = "".join(f"<div>{payload}</div>" for payload in PAYLOADS)
    quiet = "".join(f"<div>{payload}</div>" for payload in PAYLOADS if "__pwned" in payload)  # no dialogs
    pages = {"/canary/": loud, "/canary-quiet/": quiet}

    def fulfil(route: Any) -> None:
        body = pages[urlsplit(route.request.url).path]
        route.fulfill(status=200, content_type="text/html", body=f"<main>{body}</main>")

    for path in pages:
        canary.page.route(f"{watch.base}{path}", fulfil)
        canary.open(path)
    watch.check_headers()
    fired = {int(number) for number in re.findall(r"\((9\d\d)\)$", "\n".join(watch.dialogs), re.M)}
    assert len(fired) >= 5, watch.dialogs
    problems = "\n".join(watch.problems)
    assert "canary /canary-quiet/: a payload ran" in problems
    assert "canary /canary/: live payload elements" in problems
    assert "200 /canary/: no content-security-policy, x-content-type-options, referrer-policy" in problems
