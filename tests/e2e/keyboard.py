"""Driving a page with the keyboard alone (Tab, Shift+Tab, Enter, Space, arrow keys), checking at
every step that the focused element shows it has the focus: an outline or a focus ring."""

from __future__ import annotations

from typing import Any

FOCUSED = """() => {
    const element = document.activeElement;
    if (!element || element === document.body) return null;
    const style = getComputedStyle(element);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    const ring = Boolean(style.boxShadow) && style.boxShadow !== "none";
    const labels = element.labels
        ? Array.from(element.labels).map(label => label.innerText.replace(/\\*$/, "").trim())
        : [];
    return {
        visible: outline || ring,
        tag: element.tagName.toLowerCase(),
        type: element.getAttribute("type") || "",
        text: (element.innerText || element.value || "").replace(/\\s+/g, " ").trim(),
        labels: labels,
        selected: element.tagName === "SELECT" && element.selectedIndex >= 0
            ? element.options[element.selectedIndex].text.trim() : null,
    };
}"""
LIMIT = 250


def focused(page: Any) -> dict[str, Any] | None:
    info: dict[str, Any] | None = page.evaluate(FOCUSED)
    return info


def tab(page: Any, *, back: bool = False) -> dict[str, Any]:
    """One press of Tab (or Shift+Tab); the element it reaches must show its focus."""
    page.keyboard.press("Shift+Tab" if back else "Tab")
    info = focused(page)
    assert info is not None, "Tab left the focus nowhere"
    assert info["visible"], f"no visible focus on {info}"
    return info


def tab_to_text(page: Any, text: str) -> dict[str, Any]:
    """Tab until a link or button whose text starts with ``text`` has the focus."""
    for _ in range(LIMIT):
        info = tab(page)
        if info["tag"] in ("a", "button", "summary") and info["text"].startswith(text):
            return info
    raise AssertionError(f"no link or button {text!r} in the tab order of {page.url}")


def tab_to_field(page: Any, label: str) -> dict[str, Any]:
    """Tab until the field labelled ``label`` has the focus."""
    for _ in range(LIMIT):
        info = tab(page)
        if label in info["labels"]:
            return info
    raise AssertionError(f"no field {label!r} in the tab order of {page.url}")


def type_into(page: Any, label: str, text: str) -> None:
    tab_to_field(page, label)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def choose(page: Any, label: str, option: str) -> None:
    """Pick ``option`` of the select labelled ``label`` with the arrow keys."""
    info = tab_to_field(page, label)
    seen = []
    for _ in range(LIMIT):
        if info["selected"] == option:
            return
        seen.append(info["selected"])
        page.keyboard.press("ArrowDown")
        info = focused(page) or {}
        if info.get("selected") == seen[-1]:
            break
    raise AssertionError(f"{option!r} is not among {seen} in {label!r}")


def press_link_or_button(page: Any, text: str) -> None:
    """Tab to the link or button ``text`` and press Enter; it opens the next page."""
    tab_to_text(page, text)
    with page.expect_navigation():
        page.keyboard.press("Enter")
