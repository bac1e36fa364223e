"""Where the agencies' signing keys are kept: one interface, one module per kind of
custody (a folder of PKCS#12 files, a PKCS#11 token or HSM), chosen by the settings.
A key is named by its agency's code; a store never gives out the key itself, only a
pyHanko signer that uses it."""

from __future__ import annotations

from typing import Protocol

from pyhanko.sign.signers import Signer

from backend.settings import SigningSettings


class KeyStore(Protocol):
    def signer(self, agency_code: str) -> Signer | None:
        """The signer of this agency's key, or None when the store holds none."""
        ...

    def close(self) -> None: ...


def open_key_store(settings: SigningSettings) -> KeyStore | None:
    """The store the settings name (None: documents are not signed)."""
    if settings.keys_dir is not None:
        from backend.signing.keys.pkcs12 import Pkcs12Folder

        return Pkcs12Folder(settings.keys_dir, settings.passphrase.encode())
    if settings.pkcs11_module:
        from backend.signing.keys.pkcs11 import Pkcs11Token

        return Pkcs11Token(settings.pkcs11_module, settings.pkcs11_token, settings.pkcs11_pin)
    return None
