"""The monthly charts, drawn on the server as SVG by pygal.

Each chart is one series (sessions, involvements or hours by month), so nothing depends on telling
colours apart: every bar carries its value as text, the months are written along the axis, and the
page shows the same figures in a table beside it. The SVG is served as its own response and shown
with ``<img>`` (which never runs scripts); pygal's own script element is removed all the same, and
the response carries a Content-Security-Policy allowing only the SVG's own styles.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from decimal import Decimal
from xml.etree import ElementTree

import pygal
from pygal.style import Style

from reports.selectors import MonthRow

# pygal appends an import hook for its map plugins (pygal.maps.*, which we do not use) that has
# only the old finder interface: every later import that reaches it raises an ImportWarning (an
# error under the test suite's warning filter), and Python 3.12 ignores such hooks. Take it out.
sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, pygal.PluginImportFixer)]

SVG_NAMESPACE = "http://www.w3.org/2000/svg"


@dataclass(frozen=True)
class Metric:
    name: str
    title: str
    unit: str


METRICS = {
    "sessions": Metric("sessions", "Sessions held by month", "sessions"),
    "involvements": Metric("involvements", "Involvements by month", "involvements"),
    "hours": Metric("hours", "Hours of involvement by month", "hours"),
}

# Dark bars on white, black text: high contrast in colour, greyscale and print.
CHART_STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#0b0c0c",
    foreground_strong="#0b0c0c",
    foreground_subtle="#505a5f",
    colors=("#1d3b58",),
    font_family="DejaVu Sans, Verdana, Arial, sans-serif",
    title_font_size=18,
    label_font_size=12,
    major_label_font_size=12,
    value_font_size=12,
    opacity="1",
    opacity_hover="1",
    transition="0ms",
)


def value_of(row: MonthRow, metric: Metric) -> int | float:
    value: int | Decimal = getattr(row, metric.name)
    return float(value) if isinstance(value, Decimal) else value


def month_label(row: MonthRow) -> str:
    return f"{row.month:%b %Y}"


def render_chart(metric: Metric, rows: list[MonthRow]) -> str:
    """The chart as a standalone SVG document, with no script."""
    chart = pygal.Bar(
        style=CHART_STYLE,
        title=metric.title,
        show_legend=False,
        print_values=True,
        print_values_position="top",
        print_zeroes=True,
        x_label_rotation=-45 if len(rows) > 12 else 0,
        width=900,
        height=380,
        js=[],
        disable_xml_declaration=True,
        no_data_text="Nothing to show",
        show_y_guides=True,
        include_x_axis=True,
        min_scale=1,
        max_scale=6,
        value_formatter=lambda value: f"{value:g}",
    )
    values = [value_of(row, metric) for row in rows]
    if metric.name != "hours":
        # Counts: whole-number steps on the axis.
        top = int(max(values, default=0))
        step = max(1, math.ceil(top / 6))
        chart.y_labels = list(range(0, top + step + 1, step))
    chart.x_labels = [month_label(row) for row in rows]
    chart.add(metric.unit.capitalize(), values)
    tree = chart.render_tree()
    for parent in list(tree.iter()):
        for child in list(parent):
            if child.tag in {"script", f"{{{SVG_NAMESPACE}}}script"}:
                parent.remove(child)
    ElementTree.register_namespace("", SVG_NAMESPACE)
    return ElementTree.tostring(tree, encoding="unicode")
