from datetime import date, timedelta

import pytest
from crm_analytics.domain.age import (
    AGE_BANDS,
    UNKNOWN_AGE,
    YOUNGEST,
    age_band,
    age_band_cutoffs,
    age_on,
)


@pytest.mark.parametrize(
    ("birth_date", "today", "age"),
    [
        (date(2000, 6, 15), date(2018, 6, 14), 17),
        (date(2000, 6, 15), date(2018, 6, 15), 18),
        (date(2000, 6, 15), date(2018, 6, 16), 18),
        (date(2000, 12, 31), date(2001, 1, 1), 0),
        # Born on a leap day: a year older on 1 March in common years, on 29 February in leap ones.
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
        (date(2008, 2, 29), date(2028, 2, 28), 19),
        (date(2008, 2, 29), date(2028, 2, 29), 20),
        # Today a leap day, birthday the day before.
        (date(2010, 2, 28), date(2028, 2, 29), 18),
        (date(2010, 3, 1), date(2028, 2, 29), 17),
    ],
)
def test_age_counts_completed_years(birth_date: date, today: date, age: int) -> None:
    assert age_on(birth_date, today) == age


@pytest.mark.parametrize(
    ("age_on_birthday", "band", "band_before"),
    [
        (18, "18_24", "under_18"),
        (25, "25_34", "18_24"),
        (35, "35_44", "25_34"),
        (45, "45_54", "35_44"),
        (55, "55_plus", "45_54"),
    ],
)
def test_a_band_starts_on_the_birthday(age_on_birthday: int, band: str, band_before: str) -> None:
    today = date(2025, 5, 20)
    birthday = date(2025 - age_on_birthday, 5, 20)
    assert age_band(birthday, today) == band
    assert age_band(birthday + timedelta(days=1), today) == band_before


def test_bands_cover_the_young_the_old_and_the_unknown() -> None:
    today = date(2025, 5, 20)
    assert age_band(today, today) == "under_18"
    assert age_band(date(1920, 1, 1), today) == "55_plus"
    assert age_band(None, today) == UNKNOWN_AGE
    assert age_band(today + timedelta(days=30), today) == YOUNGEST  # a birth date in the future


def test_a_leap_day_birth_reaches_18_on_1_march_in_a_common_year() -> None:
    born = date(2008, 2, 29)
    assert age_band(born, date(2026, 2, 28)) == "under_18"
    assert age_band(born, date(2026, 3, 1)) == "18_24"


@pytest.mark.parametrize(
    "today",
    [
        date(2024, 2, 28),
        date(2024, 2, 29),
        date(2024, 3, 1),
        date(2025, 2, 28),
        date(2025, 3, 1),
        date(2025, 12, 31),
        date(2028, 2, 29),
    ],
)
def test_cutoffs_bucket_birth_dates_exactly_like_age_band(today: date) -> None:
    cutoffs = age_band_cutoffs(today)

    def bucket(birth_date: date) -> str:
        return next((band for band, cutoff in cutoffs if birth_date <= cutoff), YOUNGEST)

    for band in AGE_BANDS[1:]:
        # Every day of the year around each threshold, leap days included.
        around = date(today.year - band.min_age, 1, 1)
        for offset in range(-400, 400):
            birth_date = around + timedelta(days=offset)
            assert bucket(birth_date) == age_band(birth_date, today), birth_date
