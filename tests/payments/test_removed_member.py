"""A member removed from an organisation loses its dossiers at once (issue 15, sweep
2): the dossiers they filed for it, their actions, its fees and the orders paid in its
name, on every read and every step; the organisation keeps them all."""

from __future__ import annotations

from typing import Any

import pytest

from backend.accounts import service as accounts
from backend.accounts.service import Client
from backend.dossiers import service as dossiers
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.schemas import ActionIn
from backend.errors import NotFound
from backend.payments import service
from backend.payments.runtime import PaymentsRuntime
from tests.accounts.helpers import Clock, token_of
from tests.dossiers.conftest import PersonFactory
from tests.payments.conftest import organisation_of, submitted_with_fees
from tests.payments.test_service import pay_order

CLIENT = Client(address="10.0.0.2", device="test")


async def test_a_removed_member_keeps_nothing_of_the_organisation(
    payments_app: Any,
    runtime: DossiersRuntime,
    payments: PaymentsRuntime,
    clock: Clock,
    people: PersonFactory,
) -> None:
    owner = await people()
    member = await people()
    company = await organisation_of(payments_app, owner, 320_000_000 + owner.account_id)
    accounts_runtime = payments_app.state["accounts"]
    invitation = await accounts.create_invitation(accounts_runtime, owner, company, CLIENT)
    await accounts.accept_invitation(accounts_runtime, member, token_of(invitation.url), CLIENT)
    filed = await submitted_with_fees(runtime, member, organisation_id=company)
    paid_for = await submitted_with_fees(runtime, member, organisation_id=company)
    order = await pay_order(payments, member, [paid_for.id], payer="organisation")
    own = await submitted_with_fees(runtime, member)  # the member's own dossier
    before = await dossiers.get_dossier(runtime, member, filed.id)
    assert "withdraw" in before.actions

    await accounts.remove_member(accounts_runtime, owner, company, member.account_id, CLIENT)

    for dossier_id in (filed.id, paid_for.id):
        with pytest.raises(NotFound):
            await dossiers.get_dossier(runtime, member, dossier_id)
    with pytest.raises(NotFound):
        await dossiers.act(
            runtime, member, filed.id, ActionIn(action="withdraw", version=before.version)
        )
    with pytest.raises(NotFound):
        await service.quote(payments, member, [filed.id])
    with pytest.raises(NotFound):
        await pay_order(payments, member, [filed.id])
    with pytest.raises(NotFound):
        await service.get_payment(payments, member, order.reference, "vi")
    with pytest.raises(NotFound):
        await service.receipt_of(payments, member, order.reference, "vi")
    listed = {d.id for d in await dossiers.my_dossiers(runtime, member)}
    assert listed == {own.id}
    # No more notices of them either.
    assert member.account_id not in await dossiers.recipients(member.account_id, company)
    # The organisation keeps everything; the member keeps their own dossier.
    assert (await dossiers.get_dossier(runtime, owner, filed.id)).actions
    assert (await service.get_payment(payments, owner, order.reference, "vi")).reference
    assert (await dossiers.get_dossier(runtime, member, own.id)).id == own.id
