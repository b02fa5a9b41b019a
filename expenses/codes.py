"""The formats of the codes finance records here: a volunteer's payee reference in the
university's finance system, and a programme's cost centre and nominal code.

Each ``..._problem`` function takes the value as it will be stored (``normalise_...`` first) and
returns the message, safe to show by its field, that says what is wrong with it, or None.
``expenses.services`` refuses with these messages; forms do not repeat them.
"""

from __future__ import annotations

import re

PAYEE_REFERENCE_MAX = 30
# Letters A to Z, digits and - / _ . : what supplier and payroll numbers are made of.
PAYEE_REFERENCE_CHARACTER = re.compile(r"[A-Za-z0-9\-/_.]")
COST_CENTRE_MIN, COST_CENTRE_MAX = 2, 12
COST_CENTRE_CHARACTER = re.compile(r"[A-Z0-9-]")
NOMINAL_CODE = re.compile(r"[0-9]{4,8}")


def normalise_payee_reference(reference: str) -> str:
    """Spaces before and after go (they come with copying); anything inside is kept to be checked."""
    return reference.strip()


def payee_reference_problem(reference: str) -> str | None:
    if not reference:
        return "Please enter the volunteer’s payee reference from the university’s finance system."
    if any(character.isspace() for character in reference):
        return (
            "A payee reference has no spaces in it. Please enter it exactly as the finance system shows it, "
            "without spaces."
        )
    if len(reference) > PAYEE_REFERENCE_MAX:
        return f"A payee reference is at most {PAYEE_REFERENCE_MAX} characters; this one has {len(reference)}."
    wrong = next((character for character in reference if not PAYEE_REFERENCE_CHARACTER.fullmatch(character)), None)
    if wrong is not None:
        return (
            f"A payee reference can only hold letters (A to Z), digits and the characters - / _ . "
            f"(this one has “{wrong}”)."
        )
    return None


def normalise_cost_centre(cost_centre: str) -> str:
    """Stored in capitals, as finance systems print them."""
    return cost_centre.strip().upper()


def cost_centre_problem(cost_centre: str) -> str | None:
    """Blank is allowed (no cost centre yet); otherwise 2 to 12 letters, digits and hyphens,
    starting and ending with a letter or a digit."""
    if not cost_centre:
        return None
    example = "for example RAD-4410"
    if not COST_CENTRE_MIN <= len(cost_centre) <= COST_CENTRE_MAX:
        return (
            f"A cost centre is {COST_CENTRE_MIN} to {COST_CENTRE_MAX} characters, {example}; "
            f"this one has {len(cost_centre)}."
        )
    if not all(COST_CENTRE_CHARACTER.fullmatch(character) for character in cost_centre):
        return f"A cost centre can only hold letters (A to Z), digits and hyphens, {example}."
    if cost_centre.startswith("-") or cost_centre.endswith("-"):
        return f"A cost centre starts and ends with a letter or a digit, {example}."
    return None


def normalise_nominal_code(nominal_code: str) -> str:
    return nominal_code.strip()


def nominal_code_problem(nominal_code: str) -> str | None:
    """Blank is allowed (no nominal code yet); otherwise 4 to 8 digits."""
    if not nominal_code or NOMINAL_CODE.fullmatch(nominal_code):
        return None
    return "A nominal code is 4 to 8 digits (0 to 9) and nothing else, for example 5120."
