"""The banks a VietQR transfer may go to, by their NAPAS BIN: the name a person looks
for in a banking app's list ("Vietcombank", not "Ngân hàng TMCP Ngoại thương Việt
Nam").

Only the main banks, each BIN checked against VietQR's bank list (the ``bin`` and
``shortName`` fields of https://api.vietqr.io/v2/banks, described at
https://www.vietqr.io/api-bank) and an independent copy of it. A BIN not here is shown
as is: an agency whose bank is missing adds it here.

No links to open a banking app: the only published format found is VietQR.io's
redirector (https://www.vietqr.io/deeplink, ``https://dl.vietqr.io/pay?app=...``), a
private company's server that would receive the agency's account, the amount and
the reference and choose where the citizen lands, and which must know the payer's
own app. No bank publishes a scheme of its own. The saved QR image, picked from the
gallery in any banking app, does the same without a third party.
"""

from __future__ import annotations

BANKS: dict[str, str] = {
    "970405": "Agribank",
    "970436": "Vietcombank",
    "970415": "VietinBank",
    "970418": "BIDV",
    "970407": "Techcombank",
    "970422": "MB",
    "970416": "ACB",
    "970432": "VPBank",
    "970403": "Sacombank",
    "970423": "TPBank",
    "970437": "HDBank",
    "970443": "SHB",
    "970441": "VIB",
    "970448": "OCB",
    "970426": "MSB",
    "970449": "LPBank",
    "970440": "SeABank",
    "970431": "Eximbank",
}


def bank_name(bank_bin: str) -> str:
    """The bank's short name, or "BIN 970xxx" for one not in the table."""
    return BANKS.get(bank_bin, f"BIN {bank_bin}")
