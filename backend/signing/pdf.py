"""PAdES signatures on PDF files (pyHanko): a visible block in the first page's top
right corner with the QR code of the document's verification page, as Decree 30/2020
places an agency's signature on an electronic copy, an RFC 3161 timestamp, and the
certificates and CRLs that let it be checked years later embedded (PAdES B-LT).

Signing is CPU work (a few hundred milliseconds) and may wait for the timestamping
authority: callers run it in a thread."""

from __future__ import annotations

import datetime as dt
import functools
import io
import os
from dataclasses import dataclass
from pathlib import Path

import pypdf
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.stamp import QRStampStyle
from pyhanko_certvalidator import ValidationContext

from backend.documents import font_file
from backend.vietnam import VIETNAM

FIELD = "MotCuaSignature"
# Points from the top right corner of the first page: inside the 20 mm top margin of
# an administrative document (Decree 30/2020, Appendix I), 17.6 mm from the top.
_BLOCK_WIDTH, _BLOCK_HEIGHT, _EDGE = 250, 44, 6
# The QR code holds the whole address; the text names where to type the code.
_TEXT = "Ký bởi: %(who)s\nThời gian ký: %(when)s\nMã văn bản: %(code)s\nKiểm tra tại: %(where)s"


@dataclass(frozen=True, slots=True)
class SignRequest:
    pdf: bytes
    code: str  # the document's verification code, printed in the block
    url: str  # its verification page, in the QR code
    who: str  # the agency, as its certificate names it
    reason: str


# Every letter the block may show: ASCII and Vietnamese (Latin-1, Latin Extended-A/B
# for Đ đ Ơ ơ Ư ư, Latin Extended Additional for the letters with two marks).
_BLOCK_LETTERS = "".join(
    chr(c)
    for first, last in ((0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x323), (0x1EA0, 0x1EF9))
    for c in range(first, last + 1)
)


@functools.cache
def _block_font() -> str:
    """Noto Sans cut down to the block's letters, once per process: pyHanko subsets the
    font it embeds at every signature, and subsetting all of Noto Sans was two thirds
    of a signature's CPU (tests/bench/signing.py)."""
    from fontTools import subset

    source = Path(font_file())
    path = source.with_name(f"{source.stem}-signature-block-v2.ttf")
    if not path.exists():
        # The block's text is precomposed (NFC): no shaping, no hinting needed.
        options = subset.Options()
        options.layout_features = []
        options.hinting = False
        font = subset.load_font(str(source), options)
        subsetter = subset.Subsetter(options)
        subsetter.populate(text=_BLOCK_LETTERS)
        subsetter.subset(font)
        partial = path.with_suffix(f".{os.getpid()}.part")
        subset.save_font(font, str(partial), options)
        partial.replace(path)
    return str(path)


@functools.cache
def _style() -> QRStampStyle:
    return QRStampStyle(
        stamp_text=_TEXT,
        text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(_block_font()), font_size=6),
        border_width=1,
        innsep=2,
    )


def first_page_box(pdf: bytes) -> tuple[int, int, int, int]:
    # pypdf resolves a page size inherited from the page tree.
    box = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].cropbox
    right, top = int(box.right), int(box.top)
    return (
        right - _EDGE - _BLOCK_WIDTH,
        top - _EDGE - _BLOCK_HEIGHT,
        right - _EDGE,
        top - _EDGE,
    )


def sign_pdf(
    request: SignRequest,
    signer: signers.Signer,
    *,
    timestamper: TimeStamper | None,
    validation: ValidationContext,
) -> bytes:
    """The file signed: an incremental update of the original, whose bytes stay as they
    were, so what the agency issued is what the signature covers."""
    writer = IncrementalPdfFileWriter(io.BytesIO(request.pdf), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=FIELD,
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=request.reason,
        location="Việt Nam",
        embed_validation_info=True,
        validation_context=validation,
        md_algorithm="sha256",
    )
    box = first_page_box(request.pdf)
    pdf_signer = signers.PdfSigner(
        meta,
        signer,
        timestamper=timestamper,
        stamp_style=_style(),
        new_field_spec=fields.SigFieldSpec(FIELD, on_page=0, box=box),
    )
    when = dt.datetime.now(VIETNAM).strftime("%H:%M:%S %d/%m/%Y +07:00")
    out = pdf_signer.sign_pdf(
        writer,
        appearance_text_params={
            "who": request.who,
            "when": when,
            "code": request.code,
            "url": request.url,
            "where": request.url.rsplit("/", 1)[0].split("://", 1)[-1],
        },
    )
    data: bytes = out.getvalue()
    return data


def load_timestamper(tsa: str, passphrase: bytes) -> TimeStamper | None:
    """An RFC 3161 server by its address, or (outside production) a timestamping key in
    a PKCS#12 file that stamps in process."""
    if not tsa:
        return None
    if tsa.startswith(("http://", "https://")):
        from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

        return RequestsHTTPTimeStamper(tsa, timeout=10)  # type: ignore[no-untyped-call]
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    loaded = signers.SimpleSigner.load_pkcs12_data(
        Path(tsa).read_bytes(), [], passphrase=passphrase or None
    )
    return DummyTimeStamper(
        tsa_cert=loaded.signing_cert,
        tsa_key=loaded.signing_key,
        certs_to_embed=loaded.cert_registry,
    )
