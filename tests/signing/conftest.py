"""Fixtures of the signing tests: the session's test CA, a signing runtime of its own
(files in a temporary folder), and PDFs to sign."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fpdf import FPDF

from backend.attachments import LocalStorage
from backend.documents import FONT, font_file
from backend.settings import SigningSettings
from backend.signing.runtime import SigningRuntime
from backend.signing.testca import LocalCa
from tests.support.pki import session_ca


def signing_settings(ca: LocalCa, **changes: object) -> SigningSettings:
    values: dict[str, object] = {
        "keys_dir": ca.keys,
        "passphrase": ca.passphrase.decode(),
        "trust_roots": (ca.folder / "root.pem",),
        "tsa": str(ca.folder / "tsa.p12"),
        **changes,
    }
    return SigningSettings(**values)  # type: ignore[arg-type]


def signing_runtime(ca: LocalCa, storage_dir: Path, **changes: object) -> SigningRuntime:
    return SigningRuntime.of(
        signing_settings(ca, **changes),
        LocalStorage(storage_dir),
        "http://localhost:8000",
        production=False,
    )


def a_pdf(text: str = "Giấy chứng nhận kết quả giải quyết thủ tục hành chính") -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.add_font(FONT, "", font_file())
    pdf.set_font(FONT, size=13)
    pdf.set_y(40)
    pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


@pytest.fixture(scope="session")
def ca() -> LocalCa:
    return session_ca()


@pytest.fixture
def runtime(ca: LocalCa, tmp_path: Path) -> Iterator[SigningRuntime]:
    runtime = signing_runtime(ca, tmp_path / "files")
    yield runtime
    if runtime.keys is not None:
        runtime.keys.close()


def reader(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)
