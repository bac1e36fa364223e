"""PAdES signatures made with the agency's key and checked by pyHanko's validator, and
independently: pypdf reads the signature dictionary, the digest of the bytes it covers
is compared with the CMS's, and the CMS signature is verified with the certificate's
public key by ``cryptography``."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pypdf
import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

from backend.signing import pdf, verify
from backend.signing.keys.pkcs12 import Pkcs12Folder
from backend.signing.runtime import SigningRuntime
from backend.signing.testca import LocalCa
from tests.signing.conftest import a_pdf, signing_runtime

AGENCY = "000.01.40.H56"  # UBND phường Hạc Thành in the demo catalogue


def sign(runtime: SigningRuntime, document: bytes, agency: str = AGENCY) -> bytes:
    assert runtime.keys is not None
    signer = runtime.keys.signer(agency)
    assert signer is not None
    request = pdf.SignRequest(
        pdf=document,
        code="K7QW3MZP2A",
        url=runtime.verification_url("K7QW3MZP2A"),
        who="UBND phường Hạc Thành",
        reason="Kết quả giải quyết thủ tục hành chính",
    )
    return pdf.sign_pdf(
        request, signer, timestamper=runtime.timestamper, validation=runtime.validation()
    )


def check(runtime: SigningRuntime, data: bytes) -> verify.PdfCheck:
    return verify.check_pdf(data, runtime.trust_roots, fetch=True)


@pytest.fixture(scope="module")
def signed(ca: LocalCa, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    runtime = signing_runtime(ca, tmp_path_factory.mktemp("files"))
    return sign(runtime, a_pdf())


def test_a_signed_result_is_valid_timestamped_and_names_the_agency(
    runtime: SigningRuntime, signed: bytes
) -> None:
    found = check(runtime, signed)
    assert found.outcome == "valid"
    (signature,) = found.signatures
    assert signature.signer == "Ủy ban nhân dân phường Hạc Thành"
    assert signature.signer_code == AGENCY
    assert signature.timestamped
    assert signature.signed_at is not None
    assert abs(signature.signed_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)


def test_pypdf_reads_a_pades_dictionary_whose_digest_and_signature_hold(signed: bytes) -> None:
    reader = pypdf.PdfReader(io.BytesIO(signed))
    value = reader.get_fields()[pdf.FIELD]["/V"]
    assert value["/Filter"] == "/Adobe.PPKLite"
    assert value["/SubFilter"] == "/ETSI.CAdES.detached"
    start, first, second, rest = (int(n) for n in value["/ByteRange"])
    # The signature covers the whole revision but its own /Contents.
    assert start == 0 and second > first and second + rest <= len(signed)
    covered = signed[start:first] + signed[second : second + rest]
    content = cms.ContentInfo.load(bytes(value["/Contents"]))
    signer_info = content["content"]["signer_infos"][0]
    attributes = {a["type"].native: a["values"][0] for a in signer_info["signed_attrs"]}
    assert attributes["message_digest"].native == hashlib.sha256(covered).digest()
    serial = signer_info["sid"].chosen["serial_number"].native
    (der,) = [
        c.chosen.dump()
        for c in content["content"]["certificates"]
        if c.chosen.serial_number == serial
    ]
    certificate = x509.load_der_x509_certificate(der)
    # What is signed is the attributes' DER as a SET (RFC 5652 5.4), not as [0].
    attributes_der = b"\x31" + signer_info["signed_attrs"].dump()[1:]
    certificate.public_key().verify(  # type: ignore[call-arg, union-attr]
        signer_info["signature"].native,
        attributes_der,
        padding.PKCS1v15(),  # type: ignore[arg-type]
        hashes.SHA256(),  # type: ignore[arg-type]
    )
    # PAdES: the signing certificate is bound by its digest, not by the name alone.
    assert "signing_certificate_v2" in attributes
    # Long-term validation data: the chain (and CRLs where named) kept in the file.
    assert len(reader.trailer["/Root"]["/DSS"]["/Certs"]) >= 2


def test_the_qr_code_of_the_block_opens_the_verification_page(signed: bytes) -> None:
    import pypdfium2
    import zxingcpp

    document = pypdfium2.PdfDocument(signed)
    document.init_forms()
    image = document[0].render(scale=4, may_draw_forms=True).to_pil()
    qr_only = zxingcpp.BarcodeFormat.QRCode
    found = [barcode.text for barcode in zxingcpp.read_barcodes(image, formats=qr_only)]
    assert found == ["http://localhost:8000/xac-thuc/K7QW3MZP2A"]


def test_a_byte_changed_after_signing_is_reported_as_modified(
    runtime: SigningRuntime, signed: bytes
) -> None:
    reader = pypdf.PdfReader(io.BytesIO(signed))
    _, first, _, _ = (int(n) for n in reader.get_fields()[pdf.FIELD]["/V"]["/ByteRange"])
    changed = bytearray(signed)
    changed[first // 2] ^= 0x01
    assert check(runtime, bytes(changed)).outcome == "modified"


def test_a_page_added_after_signing_is_reported_as_modified(
    runtime: SigningRuntime, signed: bytes
) -> None:
    # An incremental update leaves the signed bytes alone: only the changes tell.
    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    from pyhanko.pdf_utils import generic

    page["/Rotate"] = generic.NumberObject(90)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    assert check(runtime, out.getvalue()).outcome == "modified"


def test_a_signature_by_another_ca_is_an_unknown_signer(
    runtime: SigningRuntime, tmp_path: Path
) -> None:
    other = LocalCa.create(tmp_path / "other", name="Một Cửa Other Test CA")
    other.issue(AGENCY, "UBND phường Hạc Thành")
    forged = sign(signing_runtime(other, tmp_path / "files"), a_pdf())
    found = check(runtime, forged)
    assert found.outcome == "unknown_signer"
    assert found.signatures[0].signer == "UBND phường Hạc Thành"


def test_a_signature_made_with_an_expired_certificate_says_so(
    ca: LocalCa, runtime: SigningRuntime, tmp_path: Path
) -> None:
    folder = LocalCa(ca.folder)
    path = folder.issue(
        "000.02.40.H56",
        "Chứng thư đã hết hạn",
        not_before=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        not_after=dt.datetime(2021, 1, 1, tzinfo=dt.UTC),
    )
    try:
        signer = Pkcs12Folder(path.parent, ca.passphrase).signer("000.02.40.H56")
        assert signer is not None
        # Our own signing refuses such a key (tests/signing/test_service.py); pyHanko
        # alone, without checking first, signs with it.
        meta = signers.PdfSignatureMetadata(
            field_name="Sig", subfilter=fields.SigSeedSubFilter.PADES
        )
        out = signers.PdfSigner(meta, signer).sign_pdf(
            IncrementalPdfFileWriter(io.BytesIO(a_pdf()))
        )
        assert check(runtime, out.getvalue()).outcome == "expired"
    finally:
        path.unlink()
        # Back to the session's certificate of that agency.
        folder.issue("000.02.40.H56", "UBND xã Đông Sơn")


def test_a_pdf_without_signature_is_unsigned_and_a_photo_is_no_pdf(
    runtime: SigningRuntime,
) -> None:
    assert check(runtime, a_pdf()).outcome == "unsigned"
    with pytest.raises(verify.NotAPdf):
        check(runtime, b"\xff\xd8\xff\xe0 a photo, not a PDF")
    with pytest.raises(verify.NotAPdf):
        check(runtime, b"%PDF-1.7\n garbage that is no PDF at all")


# ---------------------------------------------------------------- revocation


class CrlServer:
    """The CRL of a test CA over HTTP, as its certificates name it; it can be stopped."""

    def __init__(self, ca_folder: Path) -> None:
        folder = ca_folder

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = (folder / "crl.der").read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "application/pkix-crl")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                """Quiet: the test reads the CRL's effect, not the server's log."""

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/test-ca.crl"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def crl_server(tmp_path: Path) -> Iterator[CrlServer]:
    # The address goes into the certificates: the server first, then the CA.
    server = CrlServer(tmp_path / "crl-ca")
    yield server
    server.stop()


def test_a_revoked_certificate_is_told_by_its_crl_and_an_unreachable_crl_is_not_valid(
    crl_server: CrlServer, tmp_path: Path
) -> None:
    ca = LocalCa.create(tmp_path / "crl-ca", crl_url=crl_server.url, name="Một Cửa CRL Test CA")
    ca.issue(AGENCY, "UBND phường Hạc Thành")
    runtime = signing_runtime(ca, tmp_path / "files")
    signed = sign(runtime, a_pdf())
    assert check(runtime, signed).outcome == "valid"

    ca.revoke(AGENCY)
    found = check(runtime, signed)
    assert found.outcome == "revoked"

    crl_server.stop()
    assert check(runtime, signed).outcome == "unchecked"


def test_any_byte_changed_anywhere_gives_an_answer_never_an_error(
    runtime: SigningRuntime, signed: bytes
) -> None:
    import random

    chance = random.Random(17)
    answers = set()
    for _ in range(40):
        changed = bytearray(signed)
        changed[chance.randrange(len(changed))] ^= 1 << chance.randrange(8)
        try:
            answers.add(check(runtime, bytes(changed)).outcome)
        except verify.NotAPdf:
            answers.add("not a PDF")
    # A change where no reader looks (a comment, padding) may leave it valid; none
    # is ever an error, and most are caught.
    assert answers <= {"modified", "valid", "unsigned", "not a PDF"}
    assert "modified" in answers
