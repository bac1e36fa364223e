"""The SVG charts: named for screen readers, text escaped, no inline style, honest axes."""

from __future__ import annotations

import re
from xml.etree import ElementTree

from backend.stats import charts

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ElementTree.Element:
    return ElementTree.fromstring(
        str(markup).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    )


def test_bars_are_an_image_named_by_title_and_description() -> None:
    svg = charts.stacked_bars(
        "c",
        "Hồ sơ <tiếp nhận>",
        "Mô tả & chi tiết",
        ["01/10", "02/10"],
        [charts.Part("chart-online", [3, 0]), charts.Part("chart-counter", [1, 2])],
    )
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c-title c-desc"
    assert root.find(f"{SVG}title").text == "Hồ sơ <tiếp nhận>"  # escaped in the markup
    assert "&lt;tiếp nhận&gt;" in svg and "&amp; chi tiết" in svg
    assert "style=" not in svg
    rects = root.findall(f"{SVG}rect")
    assert [r.get("class") for r in rects] == ["chart-online", "chart-counter", "chart-counter"]
    # The top of the axis is 5 (the tallest bar is 4): the ticks are whole numbers.
    ticks = [t.text for t in root.findall(f"{SVG}text") if t.get("class") == "chart-tick"]
    assert ticks == ["0", "1", "2", "3", "4", "5"]


def test_a_step_without_data_breaks_the_line() -> None:
    svg = charts.line("l", "Đúng hạn", "Tỷ lệ", ["a", "b", "c", "d"], [1.0, None, 0.5, 0.25])
    root = parse(svg)
    lines = root.findall(f"{SVG}polyline")
    assert len(lines) == 1 and len(lines[0].get("points", "").split()) == 2
    assert len(root.findall(f"{SVG}circle")) == 3


def test_axis_tops_and_labels() -> None:
    assert [charts.nice_top(v) for v in (0, 3, 7, 12, 99, 1234)] == [1, 5, 10, 20, 100, 2000]
    assert charts.count_ticks(20) == [0, 5, 10, 15, 20]
    labels = [f"{day:02d}/10" for day in range(1, 31)]
    svg = charts.stacked_bars("m", "t", "d", labels, [charts.Part("x", [1] * 30)])
    shown = re.findall(r'class="chart-label"[^>]*>([^<]*)<', svg)
    assert len(shown) <= charts.MAX_LABELS and shown[0] == "01/10"
