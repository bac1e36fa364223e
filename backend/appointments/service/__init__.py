"""Appointments: an agency's opening hours and closures (``hours``), where a procedure
is received and the places left, a person's bookings (``bookings``), the agency's side
and the arrival at the entrance (``desk``), reminders and the day's end
(``reminders``). This module is their facade."""

from backend.appointments.figures import counter_days
from backend.appointments.service.bookings import (
    DAYS_OFFERED,
    HORIZON_DAYS,
    MAX_UPCOMING,
    availability,
    book,
    booking_of,
    bookings_of,
    cancel,
    change,
    places_for,
    vietnam_now,
)
from backend.appointments.service.desk import (
    CANCELLED,
    DeskBooking,
    booked_today,
    check_in,
    close_day,
    day_of,
    desk_booking,
    mark_arrived,
    mark_no_show,
)
from backend.appointments.service.hours import (
    DEFAULT_WEEK,
    clock,
    list_closures,
    openings_read,
    remove_closure,
    set_week,
    week_of,
)
from backend.appointments.service.personal import bookings_of_person, forget_booker
from backend.appointments.service.reminders import REMINDER, chore

__all__ = [
    "CANCELLED",
    "DAYS_OFFERED",
    "DEFAULT_WEEK",
    "HORIZON_DAYS",
    "MAX_UPCOMING",
    "REMINDER",
    "DeskBooking",
    "availability",
    "book",
    "booked_today",
    "booking_of",
    "bookings_of",
    "bookings_of_person",
    "cancel",
    "change",
    "check_in",
    "chore",
    "clock",
    "close_day",
    "counter_days",
    "day_of",
    "desk_booking",
    "forget_booker",
    "list_closures",
    "mark_arrived",
    "mark_no_show",
    "openings_read",
    "places_for",
    "remove_closure",
    "set_week",
    "vietnam_now",
    "week_of",
]
