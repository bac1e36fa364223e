"""The officials' console of dossiers (``/can-bo``): the agency's queues, one dossier
with its files, answers, history and the steps the official may take now, and counter
entry for walk-in citizens.

Reception, processing and leader officials only (administrators have no dossier
access): anyone else gets a 403 page, and nobody signed in goes to the sign-in page.
Plain HTML forms that work without JavaScript (a small script adds the PDF viewer's
page turning without reloading and a confirmation before irreversible steps). Every
rule lives in the service: these modules turn forms into Structs, and refusals into
pages that name the input at fault.
"""

from backend.accounts.schemas import OFFICIAL_ROLES
from backend.dossiers.console.actions import ActionPages
from backend.dossiers.console.claims import ClaimPages
from backend.dossiers.console.dossier import DossierConsolePages, again
from backend.dossiers.console.entry import EntryPages, require_entry
from backend.dossiers.console.queues import QueuePages
from backend.i18n import N_
from backend.web.blocks import Blocks
from backend.web.console import CONSOLE_HOME, Console, Section

__all__ = ["CONSOLE_PAGES", "register", "require_entry"]

CONSOLE_PAGES = [QueuePages, DossierConsolePages, ActionPages, EntryPages, ClaimPages]


def register(blocks: Blocks, console: Console) -> None:
    """The dossiers' section of the console, and its dossier page, which carries other
    domains' blocks (slot ``"dossier.console"``) and may be shown again with one."""
    console.add_section(Section("dossiers", N_("Hồ sơ"), CONSOLE_HOME, OFFICIAL_ROLES))
    console.add_page("dossier", again)
