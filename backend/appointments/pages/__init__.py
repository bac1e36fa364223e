"""The appointments' pages: the person's (``citizen``), the agency's (``desk``), and the
blocks drawn on the queue's entrance page and the leaders' dashboard (``blocks``)."""

from backend.appointments.pages.blocks import (
    DASHBOARD_SLOT,
    ENTRANCE_SLOT,
    dashboard_box,
    entrance_box,
)
from backend.appointments.pages.citizen import BookingPages
from backend.appointments.pages.desk import DeskPages, HoursPages
from backend.appointments.pages.desk import register as register_sections
from backend.web.blocks import Blocks
from backend.web.console import Console

APPOINTMENT_PAGES = [BookingPages, DeskPages, HoursPages]


def register(blocks: Blocks, console: Console) -> None:
    register_sections(console)
    blocks.add(ENTRANCE_SLOT, "appointments.entrance", entrance_box)
    blocks.add(DASHBOARD_SLOT, "appointments.dashboard", dashboard_box)


__all__ = ["APPOINTMENT_PAGES", "register"]
