"""The portal domain's rules and queries: the outbox's history lines turned into sync
requests, claimed and recorded (``queue``), and where a dossier's sync stands, asked
again by an official or by the nightly resend (``states``)."""

from backend.portal.service.queue import KINDS, Claim, claim, intake, record, upsert
from backend.portal.service.states import (
    nightly_resend,
    request_resend,
    resend_out_of_step,
    state_of,
)

__all__ = [
    "KINDS",
    "Claim",
    "claim",
    "intake",
    "nightly_resend",
    "record",
    "request_resend",
    "resend_out_of_step",
    "state_of",
    "upsert",
]
