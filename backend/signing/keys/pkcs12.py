"""Keys as PKCS#12 files in a folder, ``<agency code>.p12``, under one pass-phrase:
each read once, when its agency first signs."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from pyhanko.sign.signers import Signer, SimpleSigner

_CODE = re.compile(r"[0-9A-Za-z.\-]{1,32}")


class Pkcs12Folder:
    def __init__(self, folder: Path, passphrase: bytes) -> None:
        self.folder = folder
        self.passphrase = passphrase

    def signer(self, agency_code: str) -> Signer | None:
        if not _CODE.fullmatch(agency_code):
            return None
        return self._load(agency_code)

    @functools.cache  # noqa: B019 - one store per app, kept for its life
    def _load(self, agency_code: str) -> Signer | None:
        path = self.folder / f"{agency_code}.p12"
        if not path.is_file():
            return None
        try:
            signer: Signer = SimpleSigner.load_pkcs12_data(
                path.read_bytes(), [], passphrase=self.passphrase or None
            )
        except ValueError as error:
            raise ValueError(f"{path}: cannot be opened with the pass-phrase given") from error
        return signer

    def close(self) -> None:
        self._load.cache_clear()
