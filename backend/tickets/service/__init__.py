"""The queue tickets' rules and queries; what other domains may call.

- ``issuing``: taking a ticket (the day, the counter, the limits, the gapless number);
- ``calling``: the officials' calls, recalls, ends and transfers, and the notices;
- ``reads``: a ticket's status, the lines, the hall's screen, a counter's line;
- ``rows``: tickets read back; ``figures`` (the domain's): the dashboard's day figures.
"""

from __future__ import annotations

import datetime as dt

from backend.tickets import tokens
from backend.tickets.figures import day_figures
from backend.tickets.schemas import CounterDayFigures, TicketRead, TicketStatus, display_code
from backend.tickets.service.calling import (
    NEAR,
    QUEUE_ROLES,
    NotCalled,
    agency_of,
    call_next,
    finish,
    own_counter,
    own_ticket,
    recall,
    transfer,
)
from backend.tickets.service.issuing import (
    CHOOSE,
    NO_COUNTER,
    PER_CENTRE_DAY,
    NoCounter,
    QueueClosed,
    TicketLimit,
    check_open,
    counter_for_procedure,
    issue,
)
from backend.tickets.service.personal import forget_holder, tickets_of_person
from backend.tickets.service.reads import counter_tickets, display, held_by, lines, status
from backend.tickets.service.rows import by_id, by_public_id, vietnam_day
from backend.tickets.tokens import InvalidEntrance, OtherDayEntrance

TICKET_PAGE = "/so-thu-tu"
ENTRANCE_PAGE = "/lay-so"
DISPLAY_PAGE = "/man-hinh"


def entrance_token(secret_key: str, key_version: int, agency_code: str, day: dt.date) -> str:
    """The text of an agency's entrance QR for one Vietnamese day."""
    return tokens.sign_entrance(secret_key, key_version, agency_code, day)


def agency_of_entrance(secret_key: str, key_version: int, token: str, today: dt.date) -> str:
    """The agency of today's entrance QR; InvalidEntrance (404) for a forged or altered
    one, OtherDayEntrance (410) for one of another day."""
    return tokens.read_entrance(secret_key, key_version, token, today)


def entrance_path(secret_key: str, key_version: int, agency_code: str, day: dt.date) -> str:
    return f"{ENTRANCE_PAGE}/{entrance_token(secret_key, key_version, agency_code, day)}"


def display_token(secret_key: str, key_version: int, agency_code: str) -> str:
    return tokens.sign_display(secret_key, key_version, agency_code)


def agency_of_display(secret_key: str, key_version: int, token: str) -> str | None:
    return tokens.read_display(secret_key, key_version, token)


def ticket_path(ticket: TicketRead) -> str:
    """The ticket's own page (its address is the ticket's secret)."""
    return f"{TICKET_PAGE}/{ticket.public_id}"


__all__ = [
    "CHOOSE",
    "DISPLAY_PAGE",
    "ENTRANCE_PAGE",
    "NEAR",
    "NO_COUNTER",
    "PER_CENTRE_DAY",
    "QUEUE_ROLES",
    "TICKET_PAGE",
    "CounterDayFigures",
    "InvalidEntrance",
    "NoCounter",
    "NotCalled",
    "OtherDayEntrance",
    "QueueClosed",
    "TicketLimit",
    "TicketRead",
    "TicketStatus",
    "agency_of",
    "agency_of_display",
    "agency_of_entrance",
    "by_id",
    "by_public_id",
    "call_next",
    "check_open",
    "counter_for_procedure",
    "counter_tickets",
    "day_figures",
    "display",
    "display_code",
    "display_token",
    "entrance_path",
    "entrance_token",
    "finish",
    "forget_holder",
    "held_by",
    "issue",
    "lines",
    "own_counter",
    "own_ticket",
    "recall",
    "status",
    "ticket_path",
    "tickets_of_person",
    "transfer",
    "vietnam_day",
]
