"""Due dates in working days: the 15:00 rule, weekends, public holidays, swapped Saturdays."""

from datetime import date, datetime

import pytest

from lookup.calendar import VN_TZ, WorkingCalendar


@pytest.fixture(scope="module")
def calendar() -> WorkingCalendar:
    return WorkingCalendar.load()


def at(y, m, d, hh=9, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=VN_TZ)


def test_received_in_the_morning_counts_the_same_day(calendar):
    # Monday 16/11/2026, 3 working days: Mon, Tue, Wed.
    assert calendar.due_at(at(2026, 11, 16, 9), 3) == at(2026, 11, 18, 17)


def test_received_after_15h_counts_from_the_next_working_day(calendar):
    assert calendar.due_at(at(2026, 11, 16, 15, 1), 3) == at(2026, 11, 19, 17)


def test_received_at_exactly_15h_counts_from_the_next_working_day(calendar):
    assert calendar.due_at(at(2026, 11, 16, 15, 0), 1) == at(2026, 11, 17, 17)


def test_weekends_are_skipped(calendar):
    # Thursday 19/11/2026 + 3 days: Thu, Fri, Mon.
    assert calendar.due_at(at(2026, 11, 19), 3) == at(2026, 11, 23, 17)


def test_received_on_sunday_counts_from_monday(calendar):
    assert calendar.due_at(at(2026, 11, 22, 10), 1) == at(2026, 11, 23, 17)


def test_tet_holidays_are_skipped(calendar):
    # Friday 13/02/2026, 2 days: Fri 13, then Tết 16-20/02 and the weekend, so Monday 23/02.
    assert calendar.due_at(at(2026, 2, 13), 2) == at(2026, 2, 23, 17)


def test_national_day_is_skipped(calendar):
    # Monday 31/08/2026 + 2 days: Mon 31, then 1-2/09 off, so Thursday 03/09.
    assert calendar.due_at(at(2026, 8, 31), 2) == at(2026, 9, 3, 17)


def test_a_swapped_saturday_is_a_working_day(calendar):
    assert calendar.is_working_day(date(2026, 1, 10))
    assert not calendar.is_working_day(date(2026, 1, 17))


def test_part_days_round_up_and_zero_means_the_same_day(calendar):
    assert calendar.due_at(at(2026, 11, 16), 0.5) == at(2026, 11, 16, 17)
    assert calendar.due_at(at(2026, 11, 16), 1.5) == at(2026, 11, 17, 17)


def test_a_time_without_zone_is_refused(calendar):
    with pytest.raises(ValueError, match="timezone"):
        calendar.due_at(datetime(2026, 11, 16, 9), 3)


def test_utc_times_are_read_in_vietnam_time(calendar):
    # 08:30 UTC is 15:30 in Kon Tum: after the cutoff.
    from datetime import UTC

    assert calendar.due_at(datetime(2026, 11, 16, 8, 30, tzinfo=UTC), 1) == at(2026, 11, 17, 17)
