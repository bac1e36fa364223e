"""Keys on a PKCS#11 token (a USB token or an HSM, as Vietnamese agencies keep them):
the private key and its certificate both labelled with the agency's code. One session,
opened at the first signature; PKCS#11 sessions are not shared between threads, so
signing through it is serialised."""

from __future__ import annotations

import threading
from typing import Any

from pyhanko.sign.signers import Signer


class Pkcs11Token:
    def __init__(self, module: str, token: str, pin: str) -> None:
        self.module, self.token, self.pin = module, token, pin
        self._session: Any = None
        self._signers: dict[str, Signer | None] = {}
        self.lock = threading.Lock()

    def _open(self) -> Any:
        if self._session is None:
            from pkcs11.exceptions import PKCS11Error
            from pyhanko.config.pkcs11 import TokenCriteria
            from pyhanko.sign import pkcs11

            try:
                self._session = pkcs11.open_pkcs11_session(
                    self.module, token_criteria=TokenCriteria(label=self.token), user_pin=self.pin
                )
            except PKCS11Error as error:
                # PinIncorrect, TokenNotPresent...: the name is the whole message.
                raise ValueError(f"PKCS#11 token {self.token!r}: {type(error).__name__}") from None
        return self._session

    def signer(self, agency_code: str) -> Signer | None:
        with self.lock:
            if agency_code not in self._signers:
                self._signers[agency_code] = self._find(agency_code)
            return self._signers[agency_code]

    def _find(self, agency_code: str) -> Signer | None:
        from pkcs11 import Attribute, ObjectClass
        from pyhanko.sign import pkcs11

        session = self._open()
        labelled = {Attribute.LABEL: agency_code}
        keys = list(session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY, **labelled}))
        certificates = list(
            session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE, **labelled})
        )
        if not keys or not certificates:
            return None
        return pkcs11.PKCS11Signer(session, cert_label=agency_code, key_label=agency_code)

    def close(self) -> None:
        with self.lock:
            if self._session is not None:
                self._session.close()
                self._session = None
            self._signers.clear()
