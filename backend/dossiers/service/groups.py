"""Fee exemptions by applicant group on a dossier: the groups a person may declare
(those whose fee rules lower what this dossier owes, where, when and how it is filed),
and the evidence the declared group must attach (a file of purpose "evidence", checked
by content like any other). The amounts themselves are the catalogue's
(``catalogue.fee_lines``); here only who may claim what, and what it needs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from backend.accounts.schemas import Principal
from backend.catalogue import service as catalogue
from backend.catalogue.schemas import ApplicantGroup, FeeRuleRead
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import DossierRead
from backend.dossiers.service.access import readable
from backend.errors import FieldProblem, NotFound
from backend.i18n import N_, Localized

# The input of the group's choice and of its evidence (errors name them).
GROUP_FIELD = "applicant_group"
EVIDENCE_FIELD = "group_evidence"


async def rules_of(procedure_code: str) -> list[FeeRuleRead]:
    """The procedure's fee rules as the catalogue has them now: the rules in force on
    the day of submission are the law of that day, whenever the draft was begun. A
    procedure since removed from the catalogue has none."""
    try:
        procedure = await catalogue.get_procedure(procedure_code)
    except NotFound:
        return []
    return procedure.fee_rules


def lowering(
    fees: Sequence[Mapping[str, Any]],
    channel: str,
    answers: Mapping[str, str],
    *,
    rules: Sequence[FeeRuleRead],
    on: dt.date,
    agency_code: str,
) -> list[ApplicantGroup]:
    """The groups a person may declare on these fee lines (in the catalogue's order):
    those a rule exempts at this agency, on this day and by this channel, and whose
    exemption lowers what is owed. A group that changes nothing (the fee is already
    waived online, say) is not offered, so nobody attaches evidence for nothing."""
    granted = catalogue.groups_for(rules, agency_code, on, channel=channel)

    def owed(group: str) -> int:
        lines = catalogue.fee_lines(
            fees, channel, answers, rules=rules, on=on, agency_code=agency_code, group=group
        )
        return catalogue.fees_total(lines)

    if not granted:
        return []
    base = owed("")
    return [group for group in granted if owed(group.code) < base]


async def groups_offered(
    runtime: DossiersRuntime, principal: Principal, dossier_id: int
) -> list[ApplicantGroup]:
    """The groups the person filing this draft may declare today, with its answers."""
    row, _ = await readable(principal, dossier_id)
    return lowering(
        row.fees,
        row.channel,
        row.form_data,
        rules=await rules_of(row.procedure_code),
        on=runtime.today(),
        agency_code=row.receiving_agency,
    )


def group_of(code: str) -> ApplicantGroup | None:
    """The group of this code, with its names and evidence (None: none or unknown)."""
    return catalogue.APPLICANT_GROUPS.get(code) if code else None


def group_named(code: str) -> Localized:
    group = group_of(code)
    if group is None:
        return Localized(code, code)
    return Localized(group.name_vi, group.name_en)


def not_offered(code: str) -> FieldProblem:
    return FieldProblem(
        GROUP_FIELD,
        N_(
            "Đối tượng “%(group)s” không được miễn, giảm thêm phí, lệ phí của hồ sơ này "
            "(tại nơi nộp đã chọn, vào ngày hôm nay). Hãy chọn đối tượng khác hoặc “Không "
            "thuộc đối tượng nào”.",
            group=group_named(code),
        ),
    )


def no_evidence(code: str) -> FieldProblem:
    group = group_of(code)
    evidence = Localized(group.evidence_vi, group.evidence_en) if group else Localized("", "")
    return FieldProblem(
        EVIDENCE_FIELD,
        N_(
            "Bạn khai thuộc đối tượng “%(group)s”: hãy đính kèm giấy tờ chứng minh "
            "(%(evidence)s), hoặc chọn “Không thuộc đối tượng nào”.",
            group=group_named(code),
            evidence=evidence,
        ),
    )


def group_problems(dossier: DossierRead, offered: Sequence[ApplicantGroup]) -> list[FieldProblem]:
    """What submission refuses about the declared group: one the rules do not exempt
    (here, now), or one without its evidence."""
    code = dossier.applicant_group
    if not code:
        return []
    if code not in {group.code for group in offered}:
        return [not_offered(code)]
    if not any(f.purpose == "evidence" for f in dossier.files):
        return [no_evidence(code)]
    return []
