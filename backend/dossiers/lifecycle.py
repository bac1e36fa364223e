"""A dossier's lifecycle as one explicit state machine (Decree 61/2018, Circular 01/2018).

Every change of state goes through ``transition``: the table below says, for each
action, who may take it and from which states; nothing else in the code moves a
dossier. The service layer adds what the table cannot say (the dossier's agency, its
owner, the assignee), and appends one history line per transition.

    draft ─submit→ submitted ─receive→ received ─assign→ processing ─propose→ proposed
    proposed ─decide→ approved | rejected ─attach_result→ result_ready ─return_result→ returned
    submitted ─refuse→ refused;  processing ─transfer→ received (at the other agency)
    submitted | received | processing | proposed ─request_supplement→ supplement_requested
    supplement_requested ─supplement→ the state it was requested from (processing for
    the later steps); the citizen may withdraw until the leader has decided.

Two rules depend on more than the state, and are said here too: a supplement is
requested at most once per dossier (``supplemented``), and a step waits for the fees
due before it (``waits_for_fees``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, get_args

from backend.errors import Conflict, Forbidden
from backend.i18n import N_, Text

Status = Literal[
    "draft",
    "submitted",
    "received",
    "supplement_requested",
    "refused",
    "processing",
    "proposed",
    "approved",
    "rejected",
    "result_ready",
    "returned",
    "withdrawn",
]
Action = Literal[
    "submit",
    "receive",
    "request_supplement",
    "supplement",
    "refuse",
    "assign",
    "transfer",
    "propose",
    "send_back",
    "decide",
    "attach_result",
    "return_result",
    "withdraw",
    "apologise",
]
# The citizen is the dossier's owner or a member of its organisation; officials act by role.
Actor = Literal["citizen", "reception", "processing", "leader"]
Decision = Literal["approve", "reject"]

STATUSES: tuple[Status, ...] = get_args(Status)
ACTIONS: tuple[Action, ...] = get_args(Action)
ACTORS: tuple[Actor, ...] = get_args(Actor)

FINAL: frozenset[Status] = frozenset({"refused", "returned", "withdrawn"})
# The clock runs from reception until the result is ready, except while the dossier
# waits for the citizen's supplement.
CLOCK_RUNNING: frozenset[Status] = frozenset(
    {"received", "processing", "proposed", "approved", "rejected"}
)
# States whose dossier an official's queue shows as "being handled".
IN_PROGRESS: frozenset[Status] = CLOCK_RUNNING | {"submitted", "supplement_requested"}

# The citizen may withdraw until the leader has decided.
_WITHDRAWABLE: frozenset[Status] = frozenset(
    {"submitted", "received", "processing", "proposed", "supplement_requested"}
)


@dataclass(frozen=True, slots=True)
class Rule:
    """Who may take an action, from which states, and where it leads.

    ``to`` is None when the target depends on the dossier (the supplement goes back
    where it came from, the decision picks approved or rejected, an apology changes
    only the date)."""

    sources: Mapping[Actor, frozenset[Status]]
    to: Status | None


RULES: dict[Action, Rule] = {
    "submit": Rule({"citizen": frozenset({"draft"})}, "submitted"),
    "receive": Rule({"reception": frozenset({"submitted"})}, "received"),
    "refuse": Rule({"reception": frozenset({"submitted"})}, "refused"),
    "request_supplement": Rule(
        {
            "reception": frozenset({"submitted", "received"}),
            "processing": frozenset({"processing"}),
            "leader": frozenset({"received", "processing", "proposed"}),
        },
        "supplement_requested",
    ),
    "supplement": Rule({"citizen": frozenset({"supplement_requested"})}, None),
    "assign": Rule(
        {
            "reception": frozenset({"received"}),
            "leader": frozenset({"received", "processing"}),
        },
        "processing",
    ),
    "transfer": Rule(
        {"processing": frozenset({"processing"}), "leader": frozenset({"processing"})},
        "received",
    ),
    "propose": Rule({"processing": frozenset({"processing"})}, "proposed"),
    "send_back": Rule({"leader": frozenset({"proposed"})}, "processing"),
    "decide": Rule({"leader": frozenset({"proposed"})}, None),
    "attach_result": Rule(
        {
            "processing": frozenset({"approved", "rejected"}),
            "leader": frozenset({"approved", "rejected"}),
            "reception": frozenset({"approved", "rejected"}),
        },
        "result_ready",
    ),
    "return_result": Rule({"reception": frozenset({"result_ready"})}, "returned"),
    "withdraw": Rule({"citizen": _WITHDRAWABLE}, "withdrawn"),
    "apologise": Rule(
        {
            "reception": CLOCK_RUNNING,
            "processing": CLOCK_RUNNING,
            "leader": CLOCK_RUNNING,
        },
        None,
    ),
}


class TransitionRefused(Conflict):
    code = "transition_refused"


class ActionForbidden(Forbidden):
    code = "action_forbidden"


class SupplementAlreadyRequested(TransitionRefused):
    code = "supplement_already_requested"


# Decree 61/2018 (as amended by Decree 107/2021): the agency lists everything missing
# once, in writing (Form 02); a dossier still incomplete after that is refused at
# reception, or proposed for rejection once being processed, with the reasons.
SUPPLEMENT_ONCE = N_(
    "Hồ sơ này đã được yêu cầu bổ sung một lần. Theo Nghị định 61/2018/NĐ-CP, mỗi hồ sơ chỉ "
    "được yêu cầu bổ sung một lần; nếu hồ sơ vẫn chưa đầy đủ, hãy từ chối tiếp nhận hoặc đề "
    "xuất không phê duyệt, nêu rõ lý do."
)


STATUS_LABELS: dict[Status, Text] = {
    "draft": N_("Bản nháp"),
    "submitted": N_("Đã nộp, chờ tiếp nhận"),
    "received": N_("Đã tiếp nhận"),
    "supplement_requested": N_("Cần bổ sung"),
    "refused": N_("Từ chối tiếp nhận"),
    "processing": N_("Đang giải quyết"),
    "proposed": N_("Chờ lãnh đạo phê duyệt"),
    "approved": N_("Đã phê duyệt"),
    "rejected": N_("Không được chấp thuận"),
    "result_ready": N_("Có kết quả, chờ trả"),
    "returned": N_("Đã trả kết quả"),
    "withdrawn": N_("Đã rút hồ sơ"),
}

# What people read of their own dossier (their pages, the list kept on the phone for
# offline use); officials read STATUS_LABELS.
CITIZEN_STATUS_LABELS: dict[Status, Text] = {
    "draft": N_("Bản nháp, chưa nộp"),
    "submitted": N_("Đã nộp, chờ cán bộ kiểm tra"),
    "received": N_("Cơ quan đã nhận hồ sơ"),
    "supplement_requested": N_("Cần bạn bổ sung"),
    "refused": N_("Hồ sơ không được nhận"),
    "processing": N_("Đang giải quyết"),
    "proposed": N_("Đang chờ ký duyệt"),
    "approved": N_("Đã được duyệt, đang làm kết quả"),
    "rejected": N_("Không được chấp thuận, đang làm văn bản trả lời"),
    "result_ready": N_("Đã có kết quả"),
    "returned": N_("Đã trả kết quả"),
    "withdrawn": N_("Đã rút hồ sơ"),
}

ACTION_LABELS: dict[Action, Text] = {
    "submit": N_("Nộp hồ sơ"),
    "receive": N_("Tiếp nhận hồ sơ"),
    "request_supplement": N_("Yêu cầu bổ sung"),
    "supplement": N_("Bổ sung hồ sơ"),
    "refuse": N_("Từ chối tiếp nhận"),
    "assign": N_("Chuyển cán bộ xử lý"),
    "transfer": N_("Chuyển cơ quan khác"),
    "propose": N_("Trình lãnh đạo"),
    "send_back": N_("Trả lại để xử lý tiếp"),
    "decide": N_("Lãnh đạo quyết định"),
    "attach_result": N_("Có kết quả"),
    "return_result": N_("Trả kết quả"),
    "withdraw": N_("Rút hồ sơ"),
    "apologise": N_("Xin lỗi, hẹn lại ngày trả"),
}


def allowed(status: Status, action: Action, actor: Actor) -> bool:
    sources = RULES[action].sources.get(actor)
    return sources is not None and status in sources


def actions_for(status: Status, actor: Actor, *, supplemented: bool = False) -> list[Action]:
    """What this actor may do now, in the table's order (the buttons a page shows).

    ``supplemented``: a supplement was requested of this dossier before."""
    return [
        action
        for action in ACTIONS
        if allowed(status, action, actor) and not (supplemented and action == "request_supplement")
    ]


def waits_for_fees(
    action: Action, *, payment_stage: str, fee_total: int, payment_status: str
) -> bool:
    """Whether ``action`` must wait until the dossier's fees are paid: fees due at
    reception before it is received, every fee before the result is handed over. A
    dossier that owes nothing never waits."""
    if fee_total <= 0 or payment_status == "paid":
        return False
    return action == "return_result" or (action == "receive" and payment_stage == "reception")


def transition(
    status: Status,
    action: Action,
    actor: Actor,
    *,
    resume: Status | None = None,
    decision: Decision | None = None,
    supplemented: bool = False,
) -> Status:
    """The state after ``action``, or an error a person can read.

    ``resume`` is the state a supplement request came from; ``decision`` the leader's;
    ``supplemented`` whether a supplement was requested of this dossier before."""
    rule = RULES[action]
    if actor not in rule.sources:
        raise ActionForbidden(
            N_("Bạn không có quyền thực hiện thao tác “%(action)s”.", action=ACTION_LABELS[action])
        )
    if status not in rule.sources[actor]:
        raise TransitionRefused(
            N_(
                "Không thể “%(action)s” khi hồ sơ đang ở trạng thái “%(status)s”.",
                action=ACTION_LABELS[action],
                status=STATUS_LABELS[status],
            )
        )
    if action == "request_supplement" and supplemented:
        raise SupplementAlreadyRequested(SUPPLEMENT_ONCE, field="action")
    if rule.to is not None:
        return rule.to
    if action == "supplement":
        return supplement_return(resume)
    if action == "decide":
        if decision is None:
            raise TransitionRefused(N_("Hãy chọn phê duyệt hoặc không phê duyệt."))
        return "approved" if decision == "approve" else "rejected"
    return status  # apologise: only the date changes


def supplement_return(requested_from: Status | None) -> Status:
    """Where a supplemented dossier goes back to: before reception it waits for
    reception again; after it, the processing officer takes it up again."""
    if requested_from == "submitted" or requested_from == "received":
        return requested_from
    return "processing"
