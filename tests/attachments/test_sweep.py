"""The sweep of kept files: what a crash left without a row goes (past the grace
period), every file a row holds stays, whichever domain keeps it."""

from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path

import pytest
from litestar import Litestar

from backend.accounts.tables import Organisation, OrganisationClaim
from backend.app import file_sweep
from backend.attachments import LocalStorage, sweep
from backend.clock import utc_now
from backend.dossiers.runtime import DossiersRuntime
from backend.dossiers.tables import DossierFile
from backend.feedback import service as feedback_service
from backend.feedback.runtime import FeedbackRuntime
from backend.feedback.tables import Feedback
from backend.settings import Settings
from tests.dossiers.conftest import (
    PersonFactory,
    dossiers_app,
    draft_with_files,
    jpeg,
    people,
    runtime,
)
from tests.feedback.test_service import _feedback

__all__ = ["dossiers_app", "people", "runtime"]

HOUR = 3600.0


@pytest.fixture
def feedback(dossiers_app: Litestar) -> FeedbackRuntime:
    runtime: FeedbackRuntime = dossiers_app.state["feedback"]
    return runtime


def files_root(settings: Settings) -> Path:
    return settings.data_dir / "files"


def path_of(settings: Settings, key: str) -> Path:
    return files_root(settings) / key[:2] / key


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


async def kept_by_every_domain(
    runtime: DossiersRuntime, feedback: FeedbackRuntime, people: PersonFactory
) -> list[str]:
    """A dossier's files, a feedback's photo and an organisation claim's certificate,
    each made the way the app makes them; their storage keys."""
    citizen = await people()
    draft = await draft_with_files(runtime, citizen)
    keys = [
        row["storage_key"]
        for row in await DossierFile.select(DossierFile.storage_key).where(
            DossierFile.dossier == draft.id
        )
    ]
    sent = await feedback_service.submit(
        feedback, None, _feedback(anonymous=True), [(jpeg(), "anh.jpg")]
    )
    row = await Feedback.select(Feedback.photos).where(Feedback.code == sent.feedback.code)
    keys += [photo["key"] for photo in json.loads(row[0]["photos"])]
    certificate = await runtime.attachments.storage.put(jpeg())
    organisation = await Organisation.insert(
        Organisation(
            name="Hộ kinh doanh Thử",
            tax_code=f"{citizen.account_id:010d}"[-10:],
            address="1 Lê Lợi",
            created_by=citizen.account_id,
            created_at=utc_now(),
        )
    ).returning(Organisation.id)
    await OrganisationClaim.insert(
        OrganisationClaim(
            organisation=organisation[0]["id"],
            account=citizen.account_id,
            reason="Tôi là chủ hộ.",
            file_key=certificate,
            file_media_type="image/jpeg",
            file_name="giay.jpg",
            created_at=utc_now(),
        )
    )
    return [*keys, certificate]


async def test_files_without_a_row_go_and_every_kept_file_stays(
    settings: Settings, runtime: DossiersRuntime, feedback: FeedbackRuntime, people: PersonFactory
) -> None:
    held = await kept_by_every_domain(runtime, feedback, people)
    storage = runtime.attachments.storage
    # What a kill -9 between the bytes and the row leaves, and one mid-write.
    orphans = [await storage.put(jpeg()) for _ in range(3)]
    folder = path_of(settings, orphans[0]).parent
    half = folder / ".upload-interrupted.tmp"
    half.write_bytes(b"\xff\xd8 half a photo")
    # An upload still running: its bytes are kept, its row not yet written.
    running = await storage.put(jpeg())
    for key in [*held, *orphans]:
        age(path_of(settings, key), 2 * HOUR)
    age(half, 2 * HOUR)
    # Something that is not ours in the store is left alone.
    stranger = folder / "README"
    stranger.write_text("not a kept file")
    age(stranger, 2 * HOUR)

    removed = await file_sweep(dataclasses.replace(settings, orphan_grace_s=int(HOUR))).run()

    assert removed >= 4
    assert all(path_of(settings, key).exists() for key in held)
    assert not any(path_of(settings, key).exists() for key in orphans)
    assert not half.exists() and stranger.exists()
    assert path_of(settings, running).exists()
    for key in held:  # and each is still served
        assert await storage.get(key)


async def test_a_sweep_asked_of_no_holder_refuses_to_run(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "files")
    key = await storage.put(b"\xff\xd8 photo")
    age(tmp_path / "files" / key[:2] / key, 2 * HOUR)
    with pytest.raises(ValueError, match="holders"):
        await sweep(storage, [], grace_s=HOUR)
    assert await storage.get(key)
