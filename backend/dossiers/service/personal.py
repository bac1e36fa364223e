"""A person's dossiers for their data archive, and what deleting their account does
to dossiers (``backend.privacy``).

A submitted dossier is the agency's legal record (the one-stop handling rules, the law
on archives): its applicant fields, files and history stay, and only its link to the
account goes. A draft was never filed: it goes with its files.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from backend.attachments import Storage
from backend.db import write_transaction
from backend.dossiers.service.reads import RELEASED
from backend.dossiers.tables import Dossier, DossierEvent, DossierFile

# (path inside the archive, how to read its bytes)
ArchiveFile = tuple[str, Callable[[], Awaitable[bytes]]]


def safe_name(name: str) -> str:
    """A file name safe in any archive tool: no folders, no control characters."""
    cleaned = re.sub(r"[^\w.\- ]+", "_", name).strip(" .") or "tep"
    return cleaned[:80]


async def dossiers_of_person(
    account_id: int, storage: Storage
) -> tuple[list[dict[str, Any]], list[ArchiveFile]]:
    """Every dossier the person owns, with every field, its history and its files'
    details; the files themselves as the person may download them (a result once
    released)."""
    rows = (
        await Dossier.select(*Dossier.all_columns(exclude=[Dossier.claim_code_hash]))
        .where(Dossier.owner_id == account_id)
        .order_by(Dossier.id)
        .output(load_json=True)
    )
    files: list[ArchiveFile] = []
    for row in rows:
        row["history"] = (
            await DossierEvent.select(*DossierEvent.all_columns(exclude=[DossierEvent.dossier]))
            .where(DossierEvent.dossier == row["id"])
            .order_by(DossierEvent.id)
            .output(load_json=True)
        )
        folder = f"files/dossiers/{row['code'] or 'nhap-' + str(row['id'])}"
        row["files"] = []
        for file in (
            await DossierFile.select()
            .where(DossierFile.dossier == row["id"])
            .order_by(DossierFile.id)
        ):
            if file["purpose"] == "result" and row["status"] not in RELEASED:
                continue
            path = f"{folder}/{file['id']}-{safe_name(file['display_name'])}"
            row["files"].append(
                {
                    "path": path,
                    "purpose": file["purpose"],
                    "round": file["round"],
                    "media_type": file["media_type"],
                    "size": file["size"],
                    "sha256": file["sha256"],
                    "created_at": file["created_at"],
                }
            )
            files.append((path, partial(storage.get, file["storage_key"])))
    return rows, files


async def forget_owner(account_id: int, storage: Storage) -> tuple[int, int]:
    """The person's drafts deleted with their files; their submitted dossiers kept,
    no longer linked to the account. Answers (drafts deleted, dossiers unlinked)."""
    async with write_transaction():
        drafts = [
            row["id"]
            for row in await Dossier.select(Dossier.id).where(
                (Dossier.owner_id == account_id) & (Dossier.status == "draft")
            )
        ]
        keys = []
        if drafts:
            keys = [
                row["storage_key"]
                for row in await DossierFile.select(DossierFile.storage_key).where(
                    DossierFile.dossier.is_in(drafts)
                )
            ]
            await Dossier.delete().where(Dossier.id.is_in(drafts) & (Dossier.status == "draft"))
        unlinked = (
            await Dossier.update({Dossier.owner_id: None})
            .where(Dossier.owner_id == account_id)
            .returning(Dossier.id)
        )
    # After the commit, as ``delete_draft`` does: a crash between leaves files no row
    # holds, which the orphan sweep removes.
    for key in keys:
        await storage.delete(key)
    return len(drafts), len(unlinked)
