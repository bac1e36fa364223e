"""The dashboard pages: the leaders' (``/lanh-dao/thong-ke``, with its CSV export) and
the public one (``/thong-ke``, the province's figures).

A leader sees their own agency; an administrator chooses an agency or the whole
province. The period and the step come from a plain GET form that works without
JavaScript. Charts are inline SVG drawn by ``charts``, each with a table of the same
numbers beside it; every formula is written on the page.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.params import QueryParameter
from litestar.response import Template
from markupsafe import Markup

from backend.accounts.guards import require_staff
from backend.accounts.schemas import Principal
from backend.catalogue import service as catalogue
from backend.catalogue.schemas import AgencyRead
from backend.stats import charts, service
from backend.stats.schemas import Bucket, Figures, Period, Rate, Series, Step
from backend.web.templates import language, page

LEADERS_PATH = "/lanh-dao/thong-ke"
PUBLIC_PATH = "/thong-ke"
PERIODS: tuple[Period, ...] = ("7d", "30d", "month", "year", "custom")
STEPS: tuple[Step, ...] = ("day", "week", "month")
# More steps than this and a chart (and its table) stops being readable on a phone:
# the step is made coarser and the page says so.
MAX_BUCKETS = 62
MAX_DAYS = 5 * 366
EARLIEST = dt.date(2000, 1, 1)
PUBLIC_MAX_AGE = 300

METRIC_LABELS: dict[str, tuple[str, str]] = {
    "received": ("Hồ sơ tiếp nhận", "Dossiers received"),
    "received.online": ("Tiếp nhận: trực tuyến", "Received: online"),
    "received.counter": ("Tiếp nhận: tại quầy", "Received: at the counter"),
    "received.post": ("Tiếp nhận: qua bưu chính", "Received: by post"),
    "received.assisted": ("Tiếp nhận: nộp hộ, hỗ trợ", "Received: assisted"),
    "received.full": ("Hồ sơ của thủ tục toàn trình", "Dossiers of full-online procedures"),
    "received.partial": ("Hồ sơ của thủ tục một phần", "Dossiers of partly online procedures"),
    "received.online_capable": (
        "Hồ sơ của thủ tục có dịch vụ trực tuyến",
        "Dossiers of procedures offered online",
    ),
    "received.full_online": (
        "Hồ sơ trực tuyến của thủ tục toàn trình",
        "Online dossiers of full-online procedures",
    ),
    "received.partial_online": (
        "Hồ sơ trực tuyến của thủ tục một phần",
        "Online dossiers of partly online procedures",
    ),
    "resolved": ("Hồ sơ có kết quả", "Dossiers resolved"),
    "resolved.on_time": ("Có kết quả đúng hạn", "Resolved on time"),
    "resolved.days_sum": ("Tổng số ngày giải quyết", "Processing days, summed"),
    "resolved.unhappy": (
        "Có kết quả: trễ hạn, không hài lòng hoặc bị phản ánh",
        "Resolved: late, rated badly or complained about",
    ),
    "paid.count": ("Hồ sơ đã nộp phí, lệ phí", "Dossiers whose fees were paid"),
    "paid.online": ("Nộp phí, lệ phí trực tuyến", "Fees paid online"),
    "ratings.count": ("Lượt đánh giá", "Ratings"),
    "ratings.satisfied": ("Đánh giá hài lòng (4–5)", "Satisfied ratings (4–5)"),
    "ratings.counter": ("Đánh giá tại quầy", "Ratings at the counter"),
    "ratings.counter_satisfied": (
        "Đánh giá tại quầy hài lòng",
        "Satisfied ratings at the counter",
    ),
    "ratings.dossier": ("Đánh giá hồ sơ", "Ratings of dossiers"),
    "ratings.dossier_satisfied": ("Đánh giá hồ sơ hài lòng", "Satisfied ratings of dossiers"),
    "feedback.received": ("Phản ánh, kiến nghị nhận được", "Feedback received"),
    "feedback.answered": ("Phản ánh, kiến nghị đã trả lời", "Feedback answered"),
    "feedback.on_time": ("Trả lời đúng hạn", "Answered on time"),
    "feedback.rated": ("Câu trả lời được đánh giá", "Answers rated"),
    "feedback.rated_satisfied": ("Câu trả lời được đánh giá hài lòng", "Answers rated 4–5"),
    "feedback.unhappy": (
        "Trả lời trễ hạn hoặc bị đánh giá không hài lòng",
        "Answered late or rated badly",
    ),
}
CHANNEL_PARTS = (
    ("online", "chart-online", ("Trực tuyến", "Online")),
    ("counter", "chart-counter", ("Tại quầy", "At the counter")),
    ("post", "chart-post", ("Bưu chính", "By post")),
    ("assisted", "chart-assisted", ("Nộp hộ, hỗ trợ", "Assisted")),
)


# --------------------------------------------------------------- formatting


@dataclass(frozen=True)
class Format:
    """Numbers as people of the page's language write them."""

    lang: str

    def number(self, value: float) -> str:
        text = f"{round(value):,}"
        return text.replace(",", ".") if self.lang == "vi" else text

    def decimal(self, value: float | None, places: int = 1) -> str:
        if value is None:
            return "—"
        text = f"{value:,.{places}f}"
        if self.lang == "vi":
            text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
        return text

    def share(self, value: float | None) -> str:
        if value is None:
            return "—"
        return self.decimal(value * 100) + (" %" if self.lang == "vi" else "%")

    def tick(self, value: float) -> str:
        return f"{round(value * 100)} %" if self.lang == "vi" else f"{round(value * 100)}%"

    def rate(self, rate: Rate) -> str:
        return self.share(rate.value)

    def date(self, day: dt.date) -> str:
        return day.strftime("%d/%m/%Y") if self.lang == "vi" else day.strftime("%d %b %Y")

    def step_label(self, start: dt.date, step: Step) -> str:
        if step == "month":
            return start.strftime("%m/%Y")
        return start.strftime("%d/%m") if self.lang == "vi" else start.strftime("%d %b")

    def text(self, pair: tuple[str, str]) -> str:
        return pair[0] if self.lang == "vi" else pair[1]

    def metric(self, metric: str) -> str:
        return self.text(METRIC_LABELS.get(metric, (metric, metric)))


# ------------------------------------------------------------------ choices


@dataclass
class Choice:
    """What the form asked for, checked, or the errors (field id, message)."""

    agency: str | None
    period: Period
    start: dt.date
    end: dt.date
    step: Step
    step_changed: bool = False
    errors: list[tuple[str, str]] = field(default_factory=list)


def _parse_day(text: str) -> dt.date | None:
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def period_days(period: Period, today: dt.date) -> tuple[dt.date, dt.date]:
    if period == "7d":
        return today - dt.timedelta(days=6), today
    if period == "month":
        return today.replace(day=1), today
    if period == "year":
        return today.replace(month=1, day=1), today
    return today - dt.timedelta(days=29), today


def default_step(start: dt.date, end: dt.date) -> Step:
    days = (end - start).days + 1
    return "day" if days <= 31 else "week" if days <= 183 else "month"


def choose(
    principal: Principal,
    agencies: list[AgencyRead],
    today: dt.date,
    lang: str,
    *,
    agency: str,
    period: str,
    start: str,
    end: str,
    step: str,
) -> Choice:
    """Read the form: leaders get their own agency whatever they ask; administrators
    the agency chosen, or the province."""
    fmt = Format(lang)
    errors: list[tuple[str, str]] = []

    def error(target: str, vi: str, en: str) -> None:
        errors.append((target, fmt.text((vi, en))))

    chosen: str | None = principal.agency_code
    if principal.role == "admin":
        chosen = agency or None
        if chosen is not None and chosen not in {a.code for a in agencies}:
            error(
                "agency", "Hãy chọn một cơ quan trong danh sách.", "Choose an agency from the list."
            )
            chosen = None
    kind: Period = period if period in PERIODS else "30d"
    first, last = period_days(kind, today)
    if kind == "custom":
        parsed_start, parsed_end = _parse_day(start), _parse_day(end)
        if parsed_start is None:
            error(
                "start",
                "Hãy nhập ngày bắt đầu, ví dụ 01/10/2026.",
                "Enter the first day, for example 01/10/2026.",
            )
        if parsed_end is None:
            error(
                "end",
                "Hãy nhập ngày kết thúc, ví dụ 31/10/2026.",
                "Enter the last day, for example 31/10/2026.",
            )
        if parsed_start is not None and parsed_end is not None:
            if parsed_start > parsed_end:
                error(
                    "end",
                    "Ngày kết thúc phải sau ngày bắt đầu.",
                    "The last day must come after the first.",
                )
            elif (parsed_end - parsed_start).days >= MAX_DAYS:
                error(
                    "start",
                    "Khoảng thời gian tối đa là 5 năm.",
                    "The period may be at most 5 years.",
                )
            elif parsed_start < EARLIEST or parsed_end > today + dt.timedelta(days=366):
                error(
                    "start", "Ngày nằm ngoài khoảng cho phép.", "A day is out of the range allowed."
                )
            else:
                first, last = parsed_start, parsed_end
    wanted: Step = step if step in STEPS else default_step(first, last)
    chosen_step = wanted
    for candidate in STEPS[STEPS.index(wanted) :]:
        chosen_step = candidate
        if len(service.steps(first, last, candidate)) <= MAX_BUCKETS:
            break
    return Choice(
        agency=chosen,
        period=kind,
        start=first,
        end=last,
        step=chosen_step,
        step_changed=chosen_step != wanted,
        errors=errors,
    )


# ------------------------------------------------------------------- charts


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
    labels = _labels(series, fmt)
    caption = fmt.text(("Hồ sơ tiếp nhận theo kênh", "Dossiers received by channel"))
    total = sum(bucket.count("received") for bucket in series.buckets)
    desc = fmt.text(
        (
            f"Biểu đồ cột chồng, mỗi cột một {_step_name(series.step, 'vi')}: trực tuyến, tại "
            f"quầy, bưu chính, nộp hộ. Tổng {fmt.number(total)} hồ sơ. Số liệu ở bảng bên "
            "cạnh.",
            f"Stacked bars, one a {_step_name(series.step, 'en')}: online, at the counter, by "
            f"post, assisted. {fmt.number(total)} dossiers in all. The numbers are in the "
            "table beside it.",
        )
    )
    parts = [
        charts.Part(css, [bucket.count(f"received.{channel}") for bucket in series.buckets])
        for channel, css, _ in CHANNEL_PARTS
    ]
    svg = charts.stacked_bars(chart_id, caption, desc, labels, parts, fmt.number)
    headings = [fmt.text(name) for _, _, name in CHANNEL_PARTS] + [fmt.text(("Tổng", "Total"))]
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
    labels = _labels(series, fmt)
    caption = fmt.text(("Tỷ lệ hồ sơ có kết quả đúng hạn", "Dossiers resolved on time"))
    desc = fmt.text(
        (
            f"Đường tỷ lệ đúng hạn, mỗi điểm một {_step_name(series.step, 'vi')}, từ 0 % đến "
            "100 %; bước không có hồ sơ nào có kết quả thì bỏ trống. Số liệu ở bảng bên cạnh.",
            f"A line of the on-time share, one point a {_step_name(series.step, 'en')}, from "
            "0% to 100%; a step without any result is left empty. The numbers are in the "
            "table beside it.",
        )
    )
    svg = charts.line(
        chart_id,
        caption,
        desc,
        labels,
        [bucket.on_time.value for bucket in series.buckets],
        percent=fmt.tick,
    )
    headings = [
        fmt.text(("Có kết quả", "Resolved")),
        fmt.text(("Đúng hạn", "On time")),
        fmt.text(("Tỷ lệ", "Share")),
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


def _step_name(step: Step, lang: str) -> str:
    names = {"day": ("ngày", "day"), "week": ("tuần", "week"), "month": ("tháng", "month")}
    return names[step][0 if lang == "vi" else 1]


# --------------------------------------------------------------------- pages


def _agency_name(agencies: list[AgencyRead], code: str | None, fmt: Format) -> str:
    if code is None:
        return fmt.text(("Toàn tỉnh", "The whole province"))
    for agency in agencies:
        if agency.code == code:
            return fmt.text((agency.name_vi, agency.name_en))
    return code


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _today() -> dt.date:
    return service.vietnam_today(_now())


async def _chosen(
    request: Request[Any, Any, Any],
    principal: Principal,
    agency: str,
    period: str,
    start: str,
    end: str,
    step: str,
) -> tuple[Choice, list[AgencyRead], Format]:
    if principal.role != "admin" and not principal.agency_code:
        raise PermissionDeniedException()  # a leader of no agency sees nothing
    lang = language(request)
    agencies = await catalogue.list_agencies()
    choice = choose(
        principal,
        agencies,
        _today(),
        lang,
        agency=agency,
        period=period,
        start=start,
        end=end,
        step=step,
    )
    return choice, agencies, Format(lang)


AgencyParam = Annotated[str, QueryParameter(name="co_quan", max_length=32)]
PeriodParam = Annotated[str, QueryParameter(name="ky", max_length=8)]
StartParam = Annotated[str, QueryParameter(name="tu", max_length=10)]
EndParam = Annotated[str, QueryParameter(name="den", max_length=10)]
StepParam = Annotated[str, QueryParameter(name="buoc", max_length=8)]


class LeaderPages(Controller):
    path = LEADERS_PATH
    include_in_schema = False
    guards = [require_staff("leader")]

    @get("", name="stats-leaders")
    async def dashboard(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agency: AgencyParam = "",
        period: PeriodParam = "30d",
        start: StartParam = "",
        end: EndParam = "",
        step: StepParam = "",
    ) -> Template:
        choice, agencies, fmt = await _chosen(request, principal, agency, period, start, end, step)
        context: dict[str, Any] = {
            "choice": choice,
            "agencies": agencies if principal.role == "admin" else [],
            "admin": principal.role == "admin",
            "agency_name": _agency_name(agencies, choice.agency, fmt),
            "fmt": fmt,
            "groups": service.GROUPS,
            "periods": PERIODS,
            "steps": STEPS,
            "csv_query": request.url.query,
            # What was typed stays in the boxes when it was wrong.
            "start_value": start if choice.errors else choice.start.isoformat(),
            "end_value": end if choice.errors else choice.end.isoformat(),
            "indicator_value": indicator_value,
        }
        if not choice.errors:
            figures = await service.figures(choice.agency, choice.start, choice.end, _now())
            series = await service.series(choice.agency, choice.start, choice.end, choice.step)
            context |= {
                "figures": figures,
                "charts": [received_chart(series, fmt), on_time_chart(series, fmt)],
            }
        template = page(
            request,
            "stats/leaders.html",
            422 if choice.errors else 200,
            **context,
        )
        template.headers["Cache-Control"] = "private, no-store"
        return template


class LeaderExport(Controller):
    path = LEADERS_PATH + ".csv"
    include_in_schema = False
    guards = [require_staff("leader")]

    @get("", name="stats-leaders-csv")
    async def export(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        agency: AgencyParam = "",
        period: PeriodParam = "30d",
        start: StartParam = "",
        end: EndParam = "",
        step: StepParam = "",
    ) -> Response[bytes]:
        choice, _, fmt = await _chosen(request, principal, agency, period, start, end, step)
        if choice.errors:
            return Response(
                "\n".join(message for _, message in choice.errors).encode(),
                status_code=422,
                media_type="text/plain; charset=utf-8",
                headers={"Cache-Control": "private, no-store"},
            )
        series = await service.series(choice.agency, choice.start, choice.end, choice.step)
        body = export_csv(series, fmt)
        name = f"thong-ke-{choice.agency or 'toan-tinh'}-{choice.start}-{choice.end}.csv"
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={
                "Content-Disposition": f'attachment; filename="{name}"',
                "Cache-Control": "private, no-store",
            },
        )


def export_csv(series: Series, fmt: Format) -> bytes:
    """One row a step and metric; UTF-8 with a byte-order mark, so that Excel reads
    the Vietnamese labels. Counts only: the shares follow from them (the formulas are
    on the page), and a decimal point would read differently in each locale."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            fmt.text(("Từ ngày", "From")),
            fmt.text(("Đến ngày", "To")),
            fmt.text(("Cơ quan", "Agency")),
            fmt.text(("Mã chỉ số", "Metric")),
            fmt.text(("Chỉ số", "Label")),
            fmt.text(("Giá trị", "Value")),
        ]
    )
    agency = series.agency_code or service.PROVINCE
    for bucket in series.buckets:
        for metric in service.METRICS:
            writer.writerow(
                [
                    bucket.start.isoformat(),
                    bucket.end.isoformat(),
                    agency,
                    metric,
                    fmt.metric(metric),
                    bucket.count(metric),
                ]
            )
    return "\ufeff".encode() + out.getvalue().encode()


class PublicStats(Controller):
    path = PUBLIC_PATH
    include_in_schema = False

    @get("", name="stats-public")
    async def public(self, request: Request[Any, Any, Any]) -> Template:
        fmt = Format(language(request))
        today = _today()
        month_start, _ = period_days("30d", today)
        year_start, _ = period_days("year", today)
        recent = await service.figures(None, month_start, today, _now())
        year = await service.figures(None, year_start, today, _now())
        series = await service.series(None, year_start, today, "month")
        template = page(
            request,
            "stats/public.html",
            recent=recent,
            year=year,
            fmt=fmt,
            groups=service.GROUPS,
            indicator_value=indicator_value,
            charts=[received_chart(series, fmt), on_time_chart(series, fmt)],
        )
        template.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
        return template


STATS_PAGES: list[Any] = [LeaderPages, LeaderExport, PublicStats]


def indicator_value(figures: Figures, key: str, fmt: Format) -> tuple[str, str]:
    """An indicator's value as shown, and its detail (numerator / denominator)."""
    value = getattr(figures, key)
    if isinstance(value, Rate):
        detail = f"{fmt.number(value.numerator)} / {fmt.number(value.denominator)}"
        return fmt.rate(value), detail
    if value is None:
        return "—", ""
    return fmt.decimal(value) + fmt.text((" ngày", " days")), ""
