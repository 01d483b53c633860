"""The `bench-persons` and `bench-coherent` benchmark tables and pure functions measuring the engine against
plain Faker loops making the same columns."""

from __future__ import annotations

import time
from datetime import UTC, datetime

BENCH_REFERENCE_TIME = datetime(2025, 1, 1, tzinfo=UTC)

BENCH_PERSONS: dict = {
    "version": 1,
    "name": "bench-persons",
    "description": "Twelve columns of person data, the engine's throughput benchmark",
    "locale": "en_US",
    "seed": 20250101,
    "tables": {
        "persons": {
            "rows": 1_000_000,
            "primary_key": "id",
            "columns": {
                "id": {"type": "sequence", "start": 1},
                "first_name": {"type": "faker", "provider": "first_name", "pii": True},
                "last_name": {"type": "faker", "provider": "last_name", "pii": True},
                "email": {"type": "template", "template": "{first_name}.{last_name}@example.com", "lower": True,
                          "unique": True, "pii": True},
                "phone": {"type": "faker", "provider": "phone_number", "pii": True},
                "street_address": {"type": "faker", "provider": "street_address", "pii": True},
                "city": {"type": "faker", "provider": "city"},
                "date_of_birth": {"type": "date", "start": "1950-01-01", "end": "2006-12-31", "pii": True},
                "salary": {"type": "float", "min": 25000, "max": 250000, "precision": 2,
                           "distribution": {"lognormal": {"mean": 11.0, "sigma": 0.45}}},
                "department": {"type": "choice",
                               "values": ["Engineering", "Sales", "Marketing", "Support", "Finance", "HR"],
                               "weights": [35, 25, 12, 15, 8, 5]},
                "external_id": {"type": "uuid"},
                "created_at": {"type": "datetime", "start": "2018-01-01T00:00:00Z", "end": "now"},
            },
        }
    },
}


COHERENT_COUNTRIES = ["USA", "DEU", "FRA", "GBR", "ITA", "ESP", "JPN", "SWE"]
COHERENT_MAKES = ["Toyota", "Ford", "Volkswagen", "BMW", "Honda", "Tesla", "Volvo", "Renault"]

# Version 1.1 features on one table: a locale per row (names and cities of the driver's country), dates
# bounded by other columns and date arithmetic (licensed at 16 or later, registered after the model year,
# an odometer growing with the vehicle's age plus noise), and VINs of the row's make and model year.
BENCH_COHERENT: dict = {
    "version": 1.1,
    "name": "bench-coherent",
    "description": "Drivers and their vehicles whose dates, names and VINs agree with the row",
    "locale": "en_US",
    "seed": 20250101,
    "tables": {
        "drivers": {
            "rows": 1_000_000,
            "primary_key": "id",
            "columns": {
                "id": {"type": "sequence", "start": 1},
                "country": {"type": "choice", "values": COHERENT_COUNTRIES},
                "first_name": {"type": "faker", "provider": "first_name", "locale": {"column": "country"}},
                "last_name": {"type": "faker", "provider": "last_name", "locale": {"column": "country"}},
                "city": {"type": "faker", "provider": "city", "locale": {"column": "country"}},
                "birth_date": {"type": "date", "start": "-80y", "end": "-18y"},
                "licensed_on": {"type": "date", "start": "birth_date + 16y", "end": "today"},
                "make": {"type": "choice", "values": COHERENT_MAKES},
                "model_year": {"type": "integer", "min": 2000, "max": 2025},
                "vin": {"type": "vin", "make": "make", "year": "model_year"},
                # Not before the driver's licence, nor more than six months before the model year's anniversary.
                "registered_on": {"type": "date", "end": "today",
                                  "start": "max(licensed_on, add_months(today, 12 * (model_year - year(today)) - 6))"},
                "odometer_km": {"type": "expression",
                                "expr": "max(0, (today - registered_on) * 40 + normal(0, 2000))"},
            },
        }
    },
}


def bench_document(base: dict, rows: int) -> dict:
    """A benchmark document with its one table resized to `rows`."""
    (name, table), = base["tables"].items()
    return {**base, "tables": {name: {**table, "rows": rows}}}


def run_engine_bench(rows: int, chunk_size: int, document: dict = BENCH_PERSONS) -> dict:
    """Generate `rows` rows of a benchmark table (bench-persons unless told) chunk by chunk (generate_chunk +
    json_rows) on this core.

    Returns rows, chunk_size, seconds, rows_per_second, output_bytes and peak_rss_mb: the process's peak
    resident memory so far (everything the process holds, Faker and numpy included).
    """
    from . import generate_chunk, parse_spec, plan

    doc = bench_document(document, rows)
    the_plan = plan(parse_spec(doc), reference_time=BENCH_REFERENCE_TIME, chunk_size=chunk_size)
    started = time.perf_counter()
    produced = 0
    for chunk in the_plan.chunks:
        produced += sum(map(len, generate_chunk(the_plan, chunk.table, chunk.start, chunk.stop).json_rows()))
    seconds = time.perf_counter() - started
    return {"rows": rows, "chunk_size": chunk_size, "seconds": round(seconds, 3),
            "rows_per_second": round(rows / seconds) if seconds else None, "output_bytes": produced,
            "peak_rss_mb": round(_peak_rss_bytes() / 2**20, 1)}


def _peak_rss_bytes() -> int:
    import resource
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux reports KiB


def naive_faker_rows_per_second(sample: int) -> float:
    """Rows per second of a plain Faker loop making the same 12 columns as dicts (the baseline)."""
    import uuid

    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(1)
    departments = ["Engineering", "Sales", "Marketing", "Support", "Finance", "HR"]
    started = time.perf_counter()
    rows = []
    for i in range(sample):
        first, last = fake.first_name(), fake.last_name()
        rows.append({
            "id": i + 1,
            "first_name": first,
            "last_name": last,
            "email": f"{first}.{last}@example.com".lower(),
            "phone": fake.phone_number(),
            "street_address": fake.street_address(),
            "city": fake.city(),
            "date_of_birth": fake.date_of_birth(minimum_age=18, maximum_age=75).isoformat(),
            "salary": round(fake.pyfloat(min_value=25000, max_value=250000), 2),
            "department": fake.random_element(departments),
            "external_id": str(uuid.UUID(int=fake.random.getrandbits(128), version=4)),
            "created_at": fake.date_time_between(start_date="-7y").isoformat() + "Z",
        })
    seconds = time.perf_counter() - started
    return sample / seconds


def naive_coherent_rows_per_second(sample: int) -> float:
    """Rows per second of a plain Faker loop making bench-coherent's columns as dicts: one Faker per country,
    the same date rules in Python, and Faker's own (make-agnostic) VIN."""
    import random
    from datetime import date, timedelta

    from faker import Faker

    from .row_locales import ALPHA3_LOCALES

    fakers = {code: Faker(ALPHA3_LOCALES[code]) for code in COHERENT_COUNTRIES}
    for fake in fakers.values():
        fake.seed_instance(1)
    rng = random.Random(1)
    today = BENCH_REFERENCE_TIME.date()
    started = time.perf_counter()
    rows = []
    for i in range(sample):
        country = rng.choice(COHERENT_COUNTRIES)
        fake = fakers[country]
        birth = fake.date_between(today - timedelta(days=80 * 365), today - timedelta(days=18 * 365))
        licensed = fake.date_between(date(birth.year + 16, birth.month, min(birth.day, 28)), today)
        model_year = rng.randint(2000, 2025)
        registered = fake.date_between(max(licensed, date(model_year, 1, 1) - timedelta(days=180)), today)
        rows.append({
            "id": i + 1, "country": country, "first_name": fake.first_name(), "last_name": fake.last_name(),
            "city": fake.city(), "birth_date": birth.isoformat(), "licensed_on": licensed.isoformat(),
            "make": rng.choice(COHERENT_MAKES), "model_year": model_year, "vin": fake.vin(),
            "registered_on": registered.isoformat(),
            "odometer_km": max(0.0, (today - registered).days * 40 + rng.gauss(0, 2000)),
        })
    seconds = time.perf_counter() - started
    return sample / seconds
