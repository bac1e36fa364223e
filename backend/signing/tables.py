"""Piccolo tables of the signing domain: one row per document an agency signed, under
the code its QR code carries. The row keeps no personal data, only what the public
verification page may say (what the document is, who signed it, when, its digest)."""

from piccolo.columns import Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class SignedDocument(Table, tablename="signing_document"):
    id: Serial
    # The verification code printed in the signature block and the QR code's address:
    # random, so that nobody can walk through the documents of others.
    code = Varchar(length=16, unique=True)
    kind = Varchar(length=16)  # "result" | "form01" | "fee_receipt"
    # What was signed, once: "result:<file id>", "form01:<dossier code>",
    # "fee_receipt:<receipt number>"; a second signature of it finds this row.
    subject = Varchar(length=80, unique=True)
    # The dossier's code or the receipt's number, as printed on the document.
    reference = Varchar(length=48, default="")
    agency_code = Varchar(length=32, index=True)
    storage_key = Varchar(length=64, unique=True)
    sha256 = Varchar(length=64, index=True)
    size = Integer()
    signer = Text()  # the certificate's subject name
    signer_serial = Varchar(length=64)
    signed_at = Timestamptz()
    # Taken back by the agency before it was released (a result replaced): the
    # verification page says so.
    withdrawn_at = Timestamptz(null=True, default=None)
