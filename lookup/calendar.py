"""Working days of Vietnamese state agencies and the due date (ngày hẹn trả) of a dossier.

Rules, as receipts apply them: weekends and public holidays are not working days, except the
Saturdays worked in exchange for a bridged holiday; a dossier received after 15:00, or on a day
that is not a working day, counts from the next working day; the result is due at the close of
office on the last counted working day.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

VN_TZ = timezone(timedelta(hours=7), "ICT")  # Vietnam has no daylight saving time.
CUTOFF = time(15, 0)
CLOSE_OF_OFFICE = time(17, 0)
HOLIDAYS_PATH = Path(__file__).resolve().parent.parent / "fixtures" / "holidays.json"


class WorkingCalendar:
    def __init__(self, holidays: Iterable[date], extra_working_days: Iterable[date] = ()) -> None:
        self.holidays = frozenset(holidays)
        self.extra_working_days = frozenset(extra_working_days)

    @classmethod
    def load(cls, path: Path = HOLIDAYS_PATH) -> WorkingCalendar:
        data = json.loads(path.read_text(encoding="utf-8"))
        holidays = {date.fromisoformat(d) for days in data["holidays"].values() for d in days}
        extra = {date.fromisoformat(d) for d in data.get("extra_working_days", [])}
        return cls(holidays, extra)

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def first_counted_day(self, received_at: datetime) -> date:
        local = received_at.astimezone(VN_TZ)
        day = local.date()
        if self.is_working_day(day) and local.time() < CUTOFF:
            return day
        return self.next_working_day(day)

    def due_at(self, received_at: datetime, working_days: float) -> datetime:
        """Close of office on the last of `working_days` counted days (part days round up)."""
        if received_at.tzinfo is None:
            raise ValueError("received_at must be timezone-aware")
        remaining = max(1, math.ceil(working_days))
        day = self.first_counted_day(received_at)
        for _ in range(remaining - 1):
            day = self.next_working_day(day)
        return datetime.combine(day, CLOSE_OF_OFFICE, VN_TZ)

    def working_days_left(self, now: datetime, due_at: datetime) -> int | None:
        """Working days after today up to the due date's (0: due today); None once past due."""
        if now > due_at:
            return None
        day, due = now.astimezone(VN_TZ).date(), due_at.astimezone(VN_TZ).date()
        left = 0
        while day < due:
            day += timedelta(days=1)
            left += self.is_working_day(day)
        return left
