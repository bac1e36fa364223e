"""How a citizen's dossier page is drawn: the steps of a draft, where an error points
(the input a field's problem names), and answers as people read them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from litestar import Request
from litestar.response import Template

from backend.catalogue.schemas import FormField
from backend.dossiers import service
from backend.dossiers.lifecycle import CITIZEN_STATUS_LABELS
from backend.dossiers.schemas import ComponentSnapshot, DossierRead
from backend.i18n import Localized, format_date
from backend.web.forms import SUMMARY
from backend.web.forms import render as render_form

StepKind = Literal["applicant", "answers", "component", "group", "review"]


@dataclass(frozen=True, slots=True)
class Step:
    kind: StepKind
    component: ComponentSnapshot | None = None


def steps_of(dossier: DossierRead, *, groups: bool) -> list[Step]:
    """The applicant, the procedure's questions (if it asks any), one step per document
    that can be uploaded, the applicant group for a fee exemption (when the fee rules
    offer one where it is filed, ``groups``, or one was declared: it may be taken
    back), and the review."""
    steps = [Step("applicant")]
    if dossier.form_fields:
        steps.append(Step("answers"))
    steps += [Step("component", c) for c in dossier.components if c.uploadable]
    if groups or dossier.applicant_group:
        steps.append(Step("group"))
    steps.append(Step("review"))
    return steps


def step_url(dossier_id: int, number: int) -> str:
    return f"/ho-so/{dossier_id}/buoc/{number}"


def anchor(field: str | None) -> str:
    """The id of the input a problem names (answers are ``f-<name>``)."""
    if not field:
        return SUMMARY
    if field.startswith("form_data."):
        return "f-" + field.removeprefix("form_data.")
    return field


def answer_text(field: FormField, value: str, lang: str) -> str:
    """An answer as the review and the dossier page show it."""
    if not value:
        return ""
    if field.type == "choice":
        for option in field.options:
            if option.value == value:
                return Localized(option.label_vi, option.label_en).render(lang)
        return value
    if field.type == "date":
        try:
            return format_date(dt.date.fromisoformat(value), lang)
        except ValueError:
            return value
    return value


def render(
    request: Request[Any, Any, Any], name: str, status_code: int = 200, **context: Any
) -> Template:
    """A dossier page with its helpers; never cached when it holds personal data."""
    return render_form(
        request,
        name,
        status_code,
        answer_text=answer_text,
        citizen_status=CITIZEN_STATUS_LABELS,
        active=service.active,
        step_url=step_url,
        **context,
    )
