"""Piccolo tables of the queue tickets.

A ``Ticket`` is one person's place in a counter's line on one Vietnamese day. Its
number comes from the ``Sequence`` row of the counter it was first issued at and that
day (``counter_number`` 0 is the agency's own row: the tickets issued there that day,
which also serialises the limits per device and account of one agency). Both unique
keys are raw indexes in the migration, as SQLite rejects Piccolo's composite
constraint. Days are ISO text ("2026-10-05"), the same on both databases."""

from piccolo.columns import Boolean, Integer, Serial, Timestamptz, Varchar
from piccolo.table import Table


class Sequence(Table, tablename="tickets_sequence"):
    id: Serial  # added by Piccolo; declared for the type checker
    agency_code = Varchar(length=32)
    counter_number = Integer()
    day = Varchar(length=10)
    last_number = Integer(default=0)


class Ticket(Table, tablename="tickets_ticket"):
    id: Serial  # added by Piccolo; declared for the type checker
    # The unguessable part of the ticket's page address.
    public_id = Varchar(length=32, unique=True)
    agency_code = Varchar(length=32)
    counter_number = Integer()  # the line it is in now
    issued_counter = Integer()  # the counter whose sequence gave its number
    day = Varchar(length=10)
    number = Integer()
    state = Varchar(length=10, default="waiting")  # waiting, called, served, skipped
    booked = Boolean(default=False)
    account_id = Integer(null=True, default=None)
    device = Varchar(length=64, default="")
    procedure_code = Varchar(length=32, null=True, default=None)
    # Its place in a line: booked first, then by this (the issue time, kept through a
    # transfer so that a person sent to another counter does not queue again).
    queued_at = Timestamptz()
    issued_at = Timestamptz()
    called_at = Timestamptz(null=True, default=None)  # first call
    last_called_at = Timestamptz(null=True, default=None)  # the latest call or recall
    finished_at = Timestamptz(null=True, default=None)
    times_called = Integer(default=0)
    called_by = Integer(null=True, default=None)  # the official's account
    finished_by = Integer(null=True, default=None)
    transferred_from = Integer(null=True, default=None)  # the counter before the last transfer
    # Seconds from issue to the first call, and from the first call to the end: the
    # day's figures and the wait estimate read them without date arithmetic in SQL.
    wait_s = Integer(null=True, default=None)
    service_s = Integer(null=True, default=None)
