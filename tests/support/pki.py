"""One test CA for the whole test session (RSA keys take a while): the agencies of the
demo catalogue certified by it, and the settings that make an app sign with it."""

from __future__ import annotations

import atexit
import functools
import json
import shutil
import tempfile
from pathlib import Path

from backend.catalogue.service import DEMO_CATALOGUE
from backend.signing.testca import LocalCa


def demo_agencies() -> list[tuple[str, str]]:
    demo = json.loads(DEMO_CATALOGUE.read_text(encoding="utf-8"))
    return [(agency["code"], agency["name_vi"]) for agency in demo["agencies"]]


@functools.cache
def session_ca() -> LocalCa:
    root = Path(tempfile.mkdtemp(prefix="motcua-test-ca-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    ca = LocalCa.create(root / "pki")
    ca.issue_all(demo_agencies())
    return ca


def signing_env(ca: LocalCa | None = None) -> dict[str, str]:
    ca = ca or session_ca()
    return {
        "MOTCUA_SIGNING_KEYS": str(ca.keys),
        "MOTCUA_SIGNING_PASSPHRASE": ca.passphrase.decode(),
        "MOTCUA_SIGNING_TRUST_ROOTS": str(ca.folder / "root.pem"),
        "MOTCUA_SIGNING_TSA": str(ca.folder / "tsa.p12"),
    }
