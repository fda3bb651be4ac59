"""Age bands of the demographic segments, computed from a birth date and today's date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class AgeBand:
    key: str
    min_age: int  # inclusive; a band ends where the next one starts


# Youngest first; each band holds ages from its min_age up to the next band's min_age.
AGE_BANDS: tuple[AgeBand, ...] = (
    AgeBand("under_18", 0),
    AgeBand("18_24", 18),
    AgeBand("25_34", 25),
    AgeBand("35_44", 35),
    AgeBand("45_54", 45),
    AgeBand("55_plus", 55),
)
YOUNGEST = AGE_BANDS[0].key
UNKNOWN_AGE = "unknown"  # no birth date
AGE_BAND_KEYS: tuple[str, ...] = (*(band.key for band in AGE_BANDS), UNKNOWN_AGE)


def age_on(birth_date: date, today: date) -> int:
    """Completed years; born on 29 February, one turns a year older on 1 March in common years."""
    birthday_passed = (today.month, today.day) >= (birth_date.month, birth_date.day)
    return today.year - birth_date.year - (0 if birthday_passed else 1)


def latest_birth_date_for_age(age: int, today: date) -> date:
    """Whoever was born on or before this date is at least `age` years old `today`."""
    year = today.year - age
    if (today.month, today.day) == (2, 29) and not _is_leap(year):
        return date(year, 2, 28)
    return today.replace(year=year)


def age_band(birth_date: date | None, today: date) -> str:
    if birth_date is None:
        return UNKNOWN_AGE
    age = age_on(birth_date, today)
    # A birth date in the future (a typo upstream) counts with the youngest band.
    return next((band.key for band in reversed(AGE_BANDS) if age >= band.min_age), YOUNGEST)


def age_band_cutoffs(today: date) -> list[tuple[str, date]]:
    """(band, latest birth date in it), oldest band first, for bucketing many birth dates at once.

    A birth date belongs to the first band whose cutoff is on or after it; dates after every
    cutoff belong to the youngest band. Equivalent to `age_band`, without computing each age.
    """
    return [
        (band.key, latest_birth_date_for_age(band.min_age, today))
        for band in reversed(AGE_BANDS)
        if band.min_age > 0
    ]


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
