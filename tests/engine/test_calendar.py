"""The production calendar and working-time arithmetic, on the dates checked against the official calendar."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from engine.time.calendar import DayOverride, WorkCalendar

MSK = ZoneInfo("Europe/Moscow")
CAL = WorkCalendar()


def at(text: str, tz: dt.tzinfo = MSK) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=tz)


def msk(moment: dt.datetime) -> str:
    return moment.astimezone(MSK).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize("day", ["2024-04-27", "2024-11-02", "2024-12-28", "2025-11-01"])
def test_transferred_saturdays_are_working_days(day: str) -> None:
    assert CAL.is_working_day(dt.date.fromisoformat(day))


@pytest.mark.parametrize("day", ["2024-04-29", "2024-04-30", "2024-12-30", "2024-12-31", "2025-05-02",
                                 "2025-05-08", "2025-11-03", "2025-12-31", "2026-01-09", "2026-12-31"])
def test_transferred_days_off_are_not_working(day: str) -> None:
    assert not CAL.is_working_day(dt.date.fromisoformat(day))


@pytest.mark.parametrize("day", ["2025-02-24", "2025-03-10"])
def test_ordinary_mondays_that_other_libraries_get_wrong(day: str) -> None:
    d = CAL.day(dt.date.fromisoformat(day))
    assert d.working and d.periods == ((dt.time(9), dt.time(18)),) and not d.shortened


@pytest.mark.parametrize(("day", "shortened"), [
    ("2024-02-22", True), ("2024-03-07", True), ("2024-05-08", True), ("2024-06-11", True),
    ("2024-04-27", True), ("2024-11-02", True), ("2024-12-28", True), ("2025-03-07", True),
    ("2025-04-30", True), ("2025-06-11", True), ("2025-11-01", True),
    ("2025-05-07", False), ("2024-04-26", False), ("2026-02-20", False),
])
def test_pre_holiday_days_end_an_hour_early(day: str, shortened: bool) -> None:
    d = CAL.day(dt.date.fromisoformat(day))
    assert d.shortened is shortened
    assert d.periods[-1][1] == (dt.time(17) if shortened else dt.time(18))


def test_seed_examples() -> None:
    assert msk(CAL.add_working_hours(at("2024-04-26T17:30"), 1)) == "2024-04-27 09:30"
    received = at("2024-12-27T11:00")
    assert msk(CAL.end_of_working_day(received, 3)) == "2025-01-10 18:00"
    assert msk(CAL.end_of_working_day(received, 14)) == "2025-01-27 18:00"


def test_hours_roll_over_nights_weekends_and_shortened_days() -> None:
    assert msk(CAL.add_working_hours(at("2025-06-10T17:00"), 3)) == "2025-06-11 11:00"
    assert msk(CAL.add_working_hours(at("2025-06-11T15:00"), 3)) == "2025-06-16 10:00"  # 11.06 ends 17:00
    assert msk(CAL.add_working_hours(at("2025-11-21T20:00"), 1)) == "2025-11-24 10:00"
    assert msk(CAL.add_working_hours(at("2025-11-24T17:00"), 1)) == "2025-11-24 18:00"
    assert msk(CAL.add_working_hours(at("2025-11-22T03:00"), 0)) == "2025-11-24 09:00"


def test_any_input_offset_gives_the_same_moment_in_utc() -> None:
    moscow = at("2025-11-24T10:00")
    for other in (moscow.astimezone(dt.UTC), moscow.astimezone(ZoneInfo("Asia/Vladivostok")),
                  moscow.astimezone(dt.timezone(dt.timedelta(hours=-5)))):
        result = CAL.add_working_hours(other, 3)
        assert result == CAL.add_working_hours(moscow, 3) and result.tzinfo == dt.UTC
    assert msk(CAL.add_working_hours(at("2025-11-24T06:30", dt.UTC), 1)) == "2025-11-24 10:30"
    with pytest.raises(ValueError, match="aware"):
        CAL.add_working_hours(dt.datetime(2025, 11, 24, 10), 1)


def test_moscow_has_no_daylight_saving() -> None:
    summer, winter = CAL.add_working_hours(at("2025-07-01T09:00"), 1), CAL.add_working_hours(
        at("2025-01-15T09:00"), 1)
    assert (summer.hour, winter.hour) == (7, 7)


def test_working_days_from_a_day_off_count_from_the_next_working_day() -> None:
    assert msk(CAL.end_of_working_day(at("2025-11-22T12:00"), 3)) == "2025-11-26 18:00"  # Saturday
    assert msk(CAL.end_of_working_day(at("2025-11-24T23:50"), 1)) == "2025-11-25 18:00"
    assert msk(CAL.end_of_working_day(at("2025-12-30T10:00"), 1)) == "2026-01-12 18:00"  # year boundary


def test_working_time_between() -> None:
    assert CAL.working_time_between(at("2025-11-21T17:00"), at("2025-11-24T10:00")) == dt.timedelta(hours=2)
    assert CAL.working_time_between(at("2025-06-11T16:00"), at("2025-06-16T09:30")) == dt.timedelta(hours=1.5)
    assert CAL.working_time_between(at("2025-11-24T12:00"), at("2025-11-24T11:00")) == dt.timedelta(0)
    assert CAL.working_time_between(at("2024-12-27T09:00"), at("2025-01-10T18:00")) == dt.timedelta(hours=9 + 8 + 9 + 9)


def test_lunch_break_and_several_periods() -> None:
    lunch = ((dt.time(9), dt.time(13)), (dt.time(14), dt.time(18)))
    cal = WorkCalendar(week={d: lunch for d in range(5)})
    assert msk(cal.add_working_hours(at("2025-11-24T12:00"), 2)) == "2025-11-24 15:00"
    assert cal.working_time_between(at("2025-11-24T09:00"), at("2025-11-24T18:00")) == dt.timedelta(hours=8)
    assert cal.day(dt.date(2025, 6, 11)).periods == ((dt.time(9), dt.time(13)), (dt.time(14), dt.time(17)))
    with pytest.raises(ValueError, match="overlap"):
        WorkCalendar(week={0: ((dt.time(9), dt.time(13)), (dt.time(12), dt.time(18)))})


def test_overrides_from_qms_win() -> None:
    cal = WorkCalendar(overrides={
        dt.date(2025, 11, 24): DayOverride(dt.date(2025, 11, 24), "day_off", note="региональный праздник"),
        dt.date(2025, 11, 29): DayOverride(dt.date(2025, 11, 29), "working", ((dt.time(10), dt.time(14)),)),
        dt.date(2025, 11, 25): DayOverride(dt.date(2025, 11, 25), "shortened", ((dt.time(9), dt.time(16)),)),
    })
    assert not cal.is_working_day(dt.date(2025, 11, 24))
    assert msk(cal.add_working_hours(at("2025-11-21T17:30"), 1)) == "2025-11-25 09:30"
    assert cal.day(dt.date(2025, 11, 25)).shortened
    assert msk(cal.end_of_working_day(at("2025-11-27T12:00"), 2)) == "2025-11-29 14:00"


def test_years_without_a_transfer_decree_are_provisional() -> None:
    assert not CAL.provisional(2026) and not CAL.provisional(2027)
    assert CAL.provisional(2029)
    day = CAL.day(dt.date(2029, 1, 1))
    assert day.provisional and not day.working
