"""The citizen's dossier pages: start a dossier, fill it in step by step, submit it,
keep the receipt, follow it, add what the agency asks for, withdraw it; keep the
documents in "Giấy tờ của tôi" and reuse them; and public tracking by code or by the
receipt's QR link.

Every page works without JavaScript: each step is a plain form (the upload steps a
multipart one) that saves on the server and comes back with every error next to its
field and in a summary, keeping what was typed. The rules all live in ``service``.
"""

from backend.dossiers.pages.dossier import DossierPages
from backend.dossiers.pages.start import StartPages
from backend.dossiers.pages.steps import StepPages
from backend.dossiers.pages.store import StorePages
from backend.dossiers.pages.supplement import AfterSubmissionPages
from backend.dossiers.pages.tracking import TrackingPages

__all__ = ["DOSSIER_PAGES"]

DOSSIER_PAGES = [
    StartPages,
    DossierPages,
    StepPages,
    StorePages,
    AfterSubmissionPages,
    TrackingPages,
]
