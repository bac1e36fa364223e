"""What the assistant answers (``GET /api/assistant``), in the reader's language."""

from __future__ import annotations

from typing import Literal

import msgspec

AnswerKind = Literal["found", "unknown", "refused"]
Reason = Literal["", "not_understood", "outside", "language"]


class Document(msgspec.Struct, kw_only=True):
    """One document to bring, as the catalogue lists it."""

    name: str
    originals: int  # 0: shown only, nothing handed in
    copies: int
    required: bool


class Fee(msgspec.Struct, kw_only=True):
    label: str
    amount: int
    online_amount: int | None
    # Charged only for some answers of the form, or per item: "tùy trường hợp".
    conditional: bool


class Place(msgspec.Struct, kw_only=True):
    """An agency that carries the procedure out (or takes questions about it)."""

    agency_code: str
    name: str
    address: str
    hours: str
    phone: str | None


class Citation(msgspec.Struct, kw_only=True):
    """Where an answer comes from: a procedure of the catalogue and its page."""

    code: str
    name: str
    url: str


class ProcedureAnswer(msgspec.Struct, kw_only=True):
    citation: Citation
    field: str
    documents: list[Document]
    fees: list[Fee]  # empty: no fee
    processing_days: int  # working days; 0: the same day
    online_level: Literal["full", "partial", "info"]
    # Up to three places; ``your_place``: the first is the commune of the address the
    # person signed in gave. ``places_total``: how many there are in all.
    places: list[Place]
    places_total: int
    your_place: bool
    file_online_url: str | None  # None: the procedure cannot be filed online
    booking_url: str
    # The words of the question (or the everyday phrases) that matched it.
    matched: list[str]


class AssistantReply(msgspec.Struct, kw_only=True):
    kind: AnswerKind
    reason: Reason
    question: str
    message: str
    message_vi: str
    message_en: str
    procedures: list[ProcedureAnswer]
    citations: list[Citation]
    # With no answer: the catalogue's search with the question filled in, and whom
    # to ask (agencies with a phone number, or the province's centre).
    search_url: str | None
    contacts: list[Place]
