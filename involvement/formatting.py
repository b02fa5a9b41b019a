"""How dates, times and money are written, the same on every page, email and PDF.

- a day: "Tuesday 3 March 2026";
- a moment: "Tuesday 3 March 2026, 10:00" (UK time, the 24-hour clock);
- a session's time: "Tuesday 3 March 2026, 10:00–12:00", or with both days when it runs past
  midnight: "Tuesday 3 March 2026, 22:00 – Wednesday 4 March 2026, 02:00";
- money: "£12.50", "£1,234.50", "−£5.00" for a refund or correction.

Templates use them as the built-in filters ``day``, ``moment`` and ``money`` and the tag
``{% when start end %}`` (``involvement.templatetags.formatting``).
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone

DAY = "%A {day} %B %Y"
EN_DASH = "\u2013"
MINUS = "\u2212"


def _local(value: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def day(value: datetime.date | datetime.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = _local(value)
    return value.strftime(DAY).format(day=value.day)


def moment(value: datetime.datetime | None) -> str:
    if value is None:
        return ""
    local = _local(value)
    return f"{day(local)}, {local:%H:%M}"


def when(start: datetime.datetime, end: datetime.datetime | None) -> str:
    if end is None:
        return moment(start)
    start, end = _local(start), _local(end)
    if start.date() == end.date():
        return f"{day(start)}, {start:%H:%M}{EN_DASH}{end:%H:%M}"
    return f"{moment(start)} {EN_DASH} {moment(end)}"


def money(value: Decimal | int | float | str | None) -> str:
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return str(value)
    sign = MINUS if amount < 0 else ""
    return f"{sign}£{abs(amount):,.2f}"
