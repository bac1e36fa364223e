"""Signing through the service: once per subject, refused with a key it must not use
(the test CA's in production, an expired one, none), and the held files of the sweep."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from backend.db import Database
from backend.errors import InvalidInput
from backend.signing import service, verify
from backend.signing.runtime import SigningRuntime
from backend.signing.testca import LocalCa
from tests.signing.conftest import a_pdf, signing_runtime

AGENCY = "000.01.40.H56"


async def sign(runtime: SigningRuntime, subject: str, agency: str = AGENCY) -> service.SignedRead:
    return await service.sign(
        runtime,
        kind="fee_receipt",
        subject=subject,
        reference="MC-26E-0000001",
        agency_code=agency,
        document=a_pdf("Biên lai thu phí, lệ phí"),
        reason="Biên lai thu phí, lệ phí",
    )


async def test_a_subject_is_signed_once_and_its_file_is_held(
    runtime: SigningRuntime, database: Database
) -> None:
    first = await sign(runtime, f"fee_receipt:test-{id(runtime)}")
    second = await sign(runtime, f"fee_receipt:test-{id(runtime)}")
    assert second.code == first.code and second.sha256 == first.sha256
    key = await service.storage_key_of(first.code)
    assert await service.held_files([key, "0" * 32]) == {key}
    found = await service.check_code(runtime, first.code)
    assert found.outcome == "valid" and found.document is not None
    assert found.document.reference == "MC-26E-0000001"
    stored = await runtime.storage.get(key)
    checked = await asyncio.to_thread(verify.check_pdf, stored, runtime.trust_roots, fetch=False)
    assert checked.outcome == "valid"


async def test_keys_that_must_not_sign_are_refused_and_nothing_is_kept(
    ca: LocalCa, runtime: SigningRuntime, database: Database, tmp_path: Path
) -> None:
    with pytest.raises(InvalidInput, match="no digital certificate"):
        await sign(runtime, "fee_receipt:nobody", agency="000.99.99.H56")
    production = dataclasses.replace(runtime, production=True)
    with pytest.raises(InvalidInput, match="test CA"):
        await sign(production, "fee_receipt:in-production")
    later = dataclasses.replace(runtime, now=lambda: dt.datetime(2040, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(InvalidInput, match="expired"):
        await sign(later, "fee_receipt:too-late")
    for subject in ("fee_receipt:nobody", "fee_receipt:in-production", "fee_receipt:too-late"):
        assert await service.open_signed(runtime, subject) is None
    files = tmp_path / "files"
    assert not files.exists() or not [path for path in files.rglob("*") if path.is_file()]


async def test_a_timestamping_authority_that_does_not_answer_is_a_503_and_seals_wait(
    ca: LocalCa, database: Database, tmp_path: Path
) -> None:
    runtime = signing_runtime(ca, tmp_path / "files", tsa="http://127.0.0.1:9/tsa")
    from backend.errors import Unavailable

    with pytest.raises(Unavailable):
        await sign(runtime, "fee_receipt:no-tsa")

    async def render() -> bytes:
        return a_pdf("Biên lai")

    sealed = await service.signed_copy(
        runtime,
        kind="fee_receipt",
        subject="fee_receipt:no-tsa",
        reference="",
        agency_code=AGENCY,
        render=render,
        reason="Biên lai thu phí, lệ phí",
    )
    assert sealed is None  # the caller serves it unsigned
