"""The events integrators get from a real dossier: submitted, then received at the
counter, through the dossiers' history, the outbox's fan-out and the worker's job."""

from __future__ import annotations

from backend.dossiers import service as dossiers
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import ActionIn
from backend.webhooks.runtime import WebhooksRuntime
from tests.dossiers.conftest import AGENCY, PersonFactory, dossiers_app, people, runtime, submitted
from tests.webhooks.conftest import Staff, drain, subscribe
from tests.webhooks.receiver import Receiver

__all__ = ["dossiers_app", "people", "runtime"]


async def test_a_received_dossier_s_events_reach_its_agency_s_subscriber(
    hooks: WebhooksRuntime, staff: Staff, runtime: DossiersRuntime, people: PersonFactory
) -> None:
    admin = await staff("admin", AGENCY)
    other = await staff("admin", "000.00.13.H56")
    async with Receiver() as receiver:
        created = await subscribe(
            admin,
            url=receiver.url("/own"),
            events=["dossier.received", "dossier.status_changed"],
        )
        await subscribe(other, url=receiver.url("/other"), events=["dossier.received"])
        receiver.secrets[created["key"]["key_id"]] = created["key"]["secret"]
        citizen = await people("citizen")
        reception = await people("staff", "reception")
        dossier = await submitted(runtime, citizen)
        await dossiers.act(
            runtime, reception, dossier.id, ActionIn(action="receive", version=dossier.version)
        )
        await drain(hooks)
    received = receiver.at("/own")
    assert receiver.at("/other") == []
    assert all(r.verified for r in received)
    types = [(r.event["type"], r.event["data"]["action"]) for r in received]
    assert ("dossier.received", "receive") in types
    assert ("dossier.status_changed", "receive") in types
    assert ("dossier.status_changed", "submit") in types
    for r in received:
        data = r.event["data"]
        assert data["dossier_id"] == dossier.id
        assert data["agency_code"] == AGENCY or data["receiving_agency"] == AGENCY
        # Codes and states, never the person.
        assert citizen.name not in r.body.decode()
