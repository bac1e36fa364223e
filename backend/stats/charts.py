"""Charts drawn on the server as inline SVG: no chart library, no script.

Each chart is an ``<svg role="img">`` named by its own ``<title>`` and ``<desc>``;
the page puts a table of the same numbers beside it, which is what screen readers and
anyone who wants the exact figure read. Geometry goes in attributes and colours in
classes (``frontend/styles/stats.css``): the CSP forbids inline styles.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

# A phone shows it at about 340 px, a wide screen at most 576 (stats.css): text of
# 14 units reads at 10 to 17 px.
WIDTH, HEIGHT = 480, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 10, 30
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
MAX_LABELS = 6


@dataclass(frozen=True)
class Part:
    """One series of a chart: its class (its colour) and its values, one a step."""

    css: str
    values: list[int]


def nice_top(value: float) -> float:
    """The axis' top: 1, 2, 2.5 or 5 times a power of ten, at least ``value``."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for factor in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= factor * power:
            return factor * power
    return 10 * power  # pragma: no cover - the loop always returns


def count_ticks(top: float) -> list[float]:
    """Whole-number ticks from 0 to ``top``: four or five steps, fewer for small tops."""
    for parts in (4, 5, 2, 1):
        step = top / parts
        if step.is_integer():
            return [step * n for n in range(parts + 1)]
    return [0.0, top]  # pragma: no cover - top is a whole number of at least 1


def _label_every(count: int) -> int:
    return max(1, math.ceil(count / MAX_LABELS))


def _frame(
    chart_id: str, title: str, desc: str, ticks: list[tuple[float, str]], labels: list[str]
) -> list[str]:
    """The svg element's opening, its title and description, the grid and the axes'
    labels. ``ticks`` are (0..1 of the height, text)."""
    out = [
        f'<svg class="chart-svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' aria-labelledby="{chart_id}-title {chart_id}-desc" focusable="false">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    for share, text in ticks:
        y = TOP + PLOT_H * (1 - share)
        out.append(
            f'<line class="chart-grid" x1="{LEFT}" x2="{WIDTH - RIGHT}"'
            f' y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="chart-tick" x="{LEFT - 6}" y="{y + 4:.1f}"'
            f' text-anchor="end">{escape(text)}</text>'
        )
    band = PLOT_W / max(1, len(labels))
    every = _label_every(len(labels))
    for index, label in enumerate(labels):
        if index % every:
            continue
        x = LEFT + band * (index + 0.5)
        out.append(
            f'<text class="chart-label" x="{x:.1f}" y="{HEIGHT - BOTTOM + 20}"'
            f' text-anchor="middle">{escape(label)}</text>'
        )
    out.append(
        f'<line class="chart-axis" x1="{LEFT}" x2="{WIDTH - RIGHT}"'
        f' y1="{TOP + PLOT_H}" y2="{TOP + PLOT_H}"/>'
    )
    return out


def stacked_bars(
    chart_id: str,
    title: str,
    desc: str,
    labels: list[str],
    parts: list[Part],
    number: Callable[[int], str] = str,
) -> Markup:
    """Bars, one a step, each stacked from ``parts`` in order (bottom first)."""
    count = len(labels)
    totals = [sum(part.values[i] for part in parts) for i in range(count)]
    top = nice_top(max(totals, default=0))
    ticks = [(value / top, number(round(value))) for value in count_ticks(top)]
    out = _frame(chart_id, title, desc, ticks, labels)
    band = PLOT_W / max(1, count)
    width = max(1.0, band * 0.7)
    for index in range(count):
        x = LEFT + band * index + (band - width) / 2
        base = 0
        for part in parts:
            value = part.values[index]
            if value <= 0:
                continue
            y0 = TOP + PLOT_H * (1 - base / top)
            y1 = TOP + PLOT_H * (1 - (base + value) / top)
            out.append(
                f'<rect class="{part.css}" x="{x:.1f}" y="{y1:.1f}"'
                f' width="{width:.1f}" height="{max(0.5, y0 - y1):.1f}"/>'
            )
            base += value
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every piece of text above is escaped


def line(
    chart_id: str,
    title: str,
    desc: str,
    labels: list[str],
    values: list[float | None],
    css: str = "chart-line",
    percent: Callable[[float], str] = str,
) -> Markup:
    """A line of shares (0 to 1) drawn from 0 % to 100 %; a step without data breaks
    the line."""
    ticks = [(share, percent(share)) for share in (0, 0.25, 0.5, 0.75, 1)]
    out = _frame(chart_id, title, desc, ticks, labels)
    band = PLOT_W / max(1, len(labels))
    runs: list[list[tuple[float, float]]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            if runs[-1]:
                runs.append([])
            continue
        point = (LEFT + band * (index + 0.5), TOP + PLOT_H * (1 - value))
        runs[-1].append(point)
    for run in runs:
        if len(run) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            out.append(f'<polyline class="{css}" points="{path}"/>')
        if len(run) <= 40:
            out.extend(
                f'<circle class="{css}-dot" cx="{x:.1f}" cy="{y:.1f}" r="3"/>' for x, y in run
            )
    out.append("</svg>")
    return Markup("".join(out))  # noqa: S704 - every piece of text above is escaped
