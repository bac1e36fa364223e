"""What the dashboard pages show, made from the figures: the metrics' names, the two
charts with their tables, the CSV exports (a subject's steps, a table's rows) and an
indicator's value."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup

from backend.i18n import N_, Number, Text
from backend.stats import charts
from backend.stats.formats import NO_DATA, Format
from backend.stats.schemas import (
    Bucket,
    Counts,
    Figures,
    Line,
    Rate,
    Series,
    Step,
    Subject,
    SubjectKind,
)
from backend.stats.service.metrics import METRICS

METRIC_LABELS: dict[str, Text] = {
    "received": N_("Hồ sơ tiếp nhận"),
    "received.online": N_("Tiếp nhận: trực tuyến"),
    "received.counter": N_("Tiếp nhận: tại quầy"),
    "received.post": N_("Tiếp nhận: qua bưu chính"),
    "received.assisted": N_("Tiếp nhận: nộp hộ, hỗ trợ"),
    "received.full": N_("Hồ sơ của thủ tục toàn trình"),
    "received.partial": N_("Hồ sơ của thủ tục một phần"),
    "received.online_capable": N_("Hồ sơ của thủ tục có dịch vụ trực tuyến"),
    "received.full_online": N_("Hồ sơ trực tuyến của thủ tục toàn trình"),
    "received.partial_online": N_("Hồ sơ trực tuyến của thủ tục một phần"),
    "resolved": N_("Hồ sơ có kết quả"),
    "resolved.on_time": N_("Có kết quả đúng hạn"),
    "resolved.days_sum": N_("Tổng số ngày giải quyết"),
    "resolved.unhappy": N_("Có kết quả: trễ hạn, không hài lòng hoặc bị phản ánh"),
    "paid.count": N_("Hồ sơ đã nộp phí, lệ phí"),
    "paid.online": N_("Nộp phí, lệ phí trực tuyến"),
    "ratings.count": N_("Lượt đánh giá"),
    "ratings.satisfied": N_("Đánh giá hài lòng (4–5)"),
    "ratings.counter": N_("Đánh giá tại quầy"),
    "ratings.counter_satisfied": N_("Đánh giá tại quầy hài lòng"),
    "ratings.dossier": N_("Đánh giá hồ sơ"),
    "ratings.dossier_satisfied": N_("Đánh giá hồ sơ hài lòng"),
    "feedback.received": N_("Phản ánh, kiến nghị nhận được"),
    "feedback.answered": N_("Phản ánh, kiến nghị đã trả lời"),
    "feedback.on_time": N_("Trả lời đúng hạn"),
    "feedback.rated": N_("Câu trả lời được đánh giá"),
    "feedback.rated_satisfied": N_("Câu trả lời được đánh giá hài lòng"),
    "feedback.unhappy": N_("Trả lời trễ hạn hoặc bị đánh giá không hài lòng"),
}
# The received chart's parts, bottom first: channel, css class (its colour), name.
CHANNEL_PARTS: tuple[tuple[str, str, Text], ...] = (
    ("online", "chart-online", N_("Trực tuyến")),
    ("counter", "chart-counter", N_("Tại quầy")),
    ("post", "chart-post", N_("Bưu chính")),
    ("assisted", "chart-assisted", N_("Nộp hộ, hỗ trợ")),
)
# The on-time chart's description, by step: whole sentences, so that each language
# says it its own way.
_ON_TIME_DESC: dict[Step, Text] = {
    "day": N_(
        "Đường tỷ lệ đúng hạn, mỗi điểm một ngày, từ 0 % đến 100 %; ngày không có hồ sơ nào "
        "có kết quả thì bỏ trống. Số liệu ở bảng bên cạnh."
    ),
    "week": N_(
        "Đường tỷ lệ đúng hạn, mỗi điểm một tuần, từ 0 % đến 100 %; tuần không có hồ sơ nào "
        "có kết quả thì bỏ trống. Số liệu ở bảng bên cạnh."
    ),
    "month": N_(
        "Đường tỷ lệ đúng hạn, mỗi điểm một tháng, từ 0 % đến 100 %; tháng không có hồ sơ "
        "nào có kết quả thì bỏ trống. Số liệu ở bảng bên cạnh."
    ),
}
_CSV_HEADINGS = (
    N_("Từ ngày"),
    N_("Đến ngày"),
    N_("Phạm vi"),
    N_("Mã"),
    N_("Tên"),
    N_("Mã chỉ số"),
    N_("Chỉ số"),
    N_("Giá trị"),
)
_KINDS: dict[SubjectKind, Text] = {
    "province": N_("Toàn tỉnh"),
    "unit": N_("Đơn vị hành chính"),
    "agency": N_("Cơ quan"),
}


def _received_desc(step: Step, total: int) -> Text:
    """The received chart's description (a whole sentence a step, as above)."""
    if step == "week":
        return N_(
            "Biểu đồ cột chồng, mỗi cột một tuần: trực tuyến, tại quầy, bưu chính, nộp hộ. "
            "Tổng %(total)s hồ sơ. Số liệu ở bảng bên cạnh.",
            total=Number(total),
        )
    if step == "month":
        return N_(
            "Biểu đồ cột chồng, mỗi cột một tháng: trực tuyến, tại quầy, bưu chính, nộp hộ. "
            "Tổng %(total)s hồ sơ. Số liệu ở bảng bên cạnh.",
            total=Number(total),
        )
    return N_(
        "Biểu đồ cột chồng, mỗi cột một ngày: trực tuyến, tại quầy, bưu chính, nộp hộ. "
        "Tổng %(total)s hồ sơ. Số liệu ở bảng bên cạnh.",
        total=Number(total),
    )


def metric_label(metric: str, lang: str) -> str:
    label = METRIC_LABELS.get(metric)
    return label.render(lang) if label else metric


@dataclass(frozen=True)
class Chart:
    id: str
    caption: str
    svg: Markup
    # The table beside it: its column headings and one row a step.
    headings: list[str]
    rows: list[tuple[str, list[str]]]


def _labels(series: Series, fmt: Format) -> list[str]:
    return [fmt.step_label(bucket.start, series.step) for bucket in series.buckets]


def _row_label(bucket: Bucket, fmt: Format) -> str:
    if bucket.start == bucket.end:
        return fmt.date(bucket.start)
    return f"{fmt.date(bucket.start)} – {fmt.date(bucket.end)}"


def received_chart(series: Series, fmt: Format, chart_id: str = "received") -> Chart:
    caption = N_("Hồ sơ tiếp nhận theo kênh").render(fmt.lang)
    total = sum(bucket.count("received") for bucket in series.buckets)
    desc = _received_desc(series.step, total).render(fmt.lang)
    parts = [
        charts.Part(css, [bucket.count(f"received.{channel}") for bucket in series.buckets])
        for channel, css, _ in CHANNEL_PARTS
    ]
    svg = charts.stacked_bars(chart_id, caption, desc, _labels(series, fmt), parts, fmt.number)
    headings = [name.render(fmt.lang) for _, _, name in CHANNEL_PARTS]
    headings.append(N_("Tổng").render(fmt.lang))
    rows = [
        (
            _row_label(bucket, fmt),
            [fmt.number(bucket.count(f"received.{channel}")) for channel, _, _ in CHANNEL_PARTS]
            + [fmt.number(bucket.count("received"))],
        )
        for bucket in series.buckets
    ]
    return Chart(chart_id, caption, svg, headings, rows)


def on_time_chart(series: Series, fmt: Format, chart_id: str = "on-time") -> Chart:
    caption = N_("Tỷ lệ hồ sơ có kết quả đúng hạn").render(fmt.lang)
    svg = charts.line(
        chart_id,
        caption,
        _ON_TIME_DESC[series.step].render(fmt.lang),
        _labels(series, fmt),
        [bucket.on_time.value for bucket in series.buckets],
        percent=fmt.tick,
    )
    headings = [
        N_("Có kết quả").render(fmt.lang),
        N_("Đúng hạn").render(fmt.lang),
        N_("Tỷ lệ").render(fmt.lang),
    ]
    rows = [
        (
            _row_label(bucket, fmt),
            [
                fmt.number(bucket.count("resolved")),
                fmt.number(bucket.count("resolved.on_time")),
                fmt.rate(bucket.on_time),
            ],
        )
        for bucket in series.buckets
    ]
    return Chart(chart_id, caption, svg, headings, rows)


def subject_name(subject: Subject, lang: str) -> str:
    return subject.name_en if lang == "en" else subject.name_vi


def _csv(rows: Iterable[tuple[dt.date, dt.date, Subject, Counts]], lang: str) -> bytes:
    """One row a step or table row, and metric; UTF-8 with a byte-order mark, so that
    Excel reads the Vietnamese labels. Counts only: the shares follow from them (the
    formulas are on the page), and a decimal point would read differently in each
    locale."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([heading.render(lang) for heading in _CSV_HEADINGS])
    for start, end, subject, counts in rows:
        head = [
            start.isoformat(),
            end.isoformat(),
            _KINDS[subject.kind].render(lang),
            subject.code,
            subject_name(subject, lang),
        ]
        for metric in METRICS:
            writer.writerow([*head, metric, metric_label(metric, lang), counts.count(metric)])
    return "\ufeff".encode() + out.getvalue().encode()


def export_csv(series: Series, lang: str) -> bytes:
    """The subject's metrics, a step at a time."""
    return _csv(((b.start, b.end, series.subject, b) for b in series.buckets), lang)


def export_lines(lines: list[Line], start: dt.date, end: dt.date, lang: str) -> bytes:
    """A table's rows (by unit or by agency), each over the whole period."""
    return _csv(((start, end, line.subject, Counts(totals=line.totals)) for line in lines), lang)


def indicator_value(figures: Figures, key: str, fmt: Format) -> tuple[str, str]:
    """An indicator's value as shown, and its detail (numerator / denominator)."""
    value = getattr(figures, key)
    if isinstance(value, Rate):
        detail = f"{fmt.number(value.numerator)} / {fmt.number(value.denominator)}"
        return fmt.rate(value), detail
    if value is None:
        return NO_DATA, ""
    return N_("%(days)s ngày", days=fmt.decimal(value)).render(fmt.lang), ""
