"""The forms of the one-stop shop (Circular 01/2018/TT-VPCP, forms 01 to 05) for one
dossier, as A4 PDFs in Vietnamese, as the law writes them, in Noto Sans (Vietnamese
glyphs). ``sheet`` holds the drawing they share; each form has its module.

Rendering is synchronous and CPU-bound: callers run it in a thread.
"""

from backend.dossiers.forms.apology import Apology
from backend.dossiers.forms.control import ControlSlip
from backend.dossiers.forms.kinds import (
    FORM_ACTIONS,
    FORM_TITLES,
    FormContext,
    FormKind,
    latest_event,
)
from backend.dossiers.forms.receipt import Receipt
from backend.dossiers.forms.refusal import Refusal
from backend.dossiers.forms.sheet import FormSheet
from backend.dossiers.forms.supplement import SupplementRequest
from backend.dossiers.schemas import DossierRead, EventRead

__all__ = ["FORM_ACTIONS", "FORM_TITLES", "FormContext", "FormKind", "render_form"]

FORMS: dict[FormKind, type[FormSheet]] = {
    "01": Receipt,
    "02": SupplementRequest,
    "03": Refusal,
    "04": Apology,
    "05": ControlSlip,
}


def render_form(
    kind: FormKind,
    dossier: DossierRead,
    context: FormContext,
    event: EventRead | None = None,
) -> bytes:
    """One form of ``dossier`` as a PDF. ``event`` is the event that forms 02, 03 and
    04 document (by default the dossier's latest of that action); forms 01 and 05 are
    drawn from the dossier itself."""
    if kind not in FORMS:
        raise ValueError(f"unknown form {kind!r}")
    if not dossier.code:
        raise ValueError("a draft has no code and no forms")
    action = FORM_ACTIONS.get(kind)
    if action is not None:
        if event is None:
            event = latest_event(dossier, action)
            if event is None:
                raise ValueError(f"form {kind} documents a “{action}” event; the dossier has none")
        elif event.action != action:
            raise ValueError(f"form {kind} documents a “{action}” event, not “{event.action}”")
    form = FORMS[kind](kind, dossier, context)
    form.draw(event)
    return bytes(form.pdf.output())
