from piccolo.columns import Date, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.table import Table


class WorkdayException(Table, tablename="workdays_exception"):
    """A day that breaks the Monday-to-Friday rule: a weekday off ("holiday": a public
    holiday, a compensatory day off or a swapped day off) or a weekend day worked
    ("working": làm bù). Days not listed follow the rule."""

    id: Serial  # added by Piccolo; declared for the type checker
    day = Date(unique=True)
    kind = Varchar(length=16)  # "holiday" | "working"
    name_vi = Text()
    name_en = Text()
    updated_at = Timestamptz()
    # The administrator's account id; None for rows from the official seed.
    updated_by = Integer(null=True, default=None)
