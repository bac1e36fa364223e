"""Piccolo tables of the appointments domain.

An agency's week is a list of ``Opening`` rows (a weekday's opening, split in slots of
``slot_minutes``, each slot holding ``per_counter`` bookings at each counter); an
agency with none keeps the administrative hours (``service.hours.DEFAULT_WEEK``). A
``Closure`` is a day the agency does not receive, beside the province's holidays.

A ``Slot`` row is made when its first booking comes: ``taken`` counts its bookings and
is raised only while below ``capacity``, in one conditional UPDATE, so two people can
never hold the last place ((agency, counter, day, starts) unique: a raw index in the
migration). A ``Booking`` is one person's visit."""

from piccolo.columns import Date, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class Opening(Table, tablename="appointments_opening"):
    id: Serial  # added by Piccolo; declared for the type checker
    agency_code = Varchar(length=32, index=True)
    weekday = Integer()  # 0 Monday ... 6 Sunday
    opens = Integer()  # minutes after midnight, Vietnam time
    closes = Integer()
    slot_minutes = Integer(default=30)
    per_counter = Integer(default=2)


class Closure(Table, tablename="appointments_closure"):
    """(agency_code, day) is unique: a raw index in the migration."""

    id: Serial  # added by Piccolo; declared for the type checker
    agency_code = Varchar(length=32, index=True)
    day = Date()
    reason_vi = Text(default="")
    reason_en = Text(default="")


class Slot(Table, tablename="appointments_slot"):
    id: Serial  # added by Piccolo; declared for the type checker
    agency_code = Varchar(length=32)
    counter_number = Integer()
    day = Date()
    starts = Integer()  # minutes after midnight, Vietnam time
    capacity = Integer()
    taken = Integer(default=0)


class Booking(Table, tablename="appointments_booking"):
    id: Serial  # added by Piccolo; declared for the type checker
    code = Varchar(length=16, unique=True)  # what the booking's QR code and page name
    account_id = Integer(index=True)
    device = Varchar(length=32, default="", index=True)
    agency_code = Varchar(length=32, index=True)
    counter_number = Integer()
    procedure_code = Varchar(length=32)
    day = Date(index=True)
    starts = Integer()
    slot_minutes = Integer()
    # "booked" | "cancelled" | "arrived" | "no_show"
    state = Varchar(length=12, default="booked")
    created_at = Timestamptz()
    updated_at = Timestamptz()
    reminded_at = Timestamptz(null=True, default=None)
    arrived_at = Timestamptz(null=True, default=None)
    # The queue ticket given on arrival (its page), if any.
    ticket_path = Varchar(length=80, default="")
