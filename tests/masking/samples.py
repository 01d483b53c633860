"""Uploaded samples and profiles for the masking tests: a people table full of PII and an orders table joined
to it, with values that must never leave the samples."""

from __future__ import annotations

import csv
import io
import random

from django.core.files.uploadedfile import SimpleUploadedFile

from apps.profiling import services as profiling

# Values of the samples that must never appear in a suggestion, a record, an error, a log or the audit trail.
SECRET_NAME = "Quenvelda"
SECRET_EMAIL = "quenvelda.marsh@mail.example"
SECRET_IBAN = "NL91ABNA0417164300"

FIRST = ["Anna", "James", "Maria", "Robert", "Linda", "Peter", "Susan"]
LAST = ["Smith", "Jones", "Brown", "Wilson", "Taylor", "Clark"]


def people_csv(rows: int = 120, *, seed: int = 3) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["id", "first_name", "last_name", "email", "phone", "iban", "national_id", "birth_date", "note", "score"]
    )
    for i in range(1, rows + 1):
        first = SECRET_NAME if i == 7 else rng.choice(FIRST)
        last = rng.choice(LAST)
        email = SECRET_EMAIL if i == 7 else f"{first.lower()}.{last.lower()}{i}@mail.example"
        iban = SECRET_IBAN if i == 7 else "NL91ABNA0417164300"
        note = f"Call on +31 6 {rng.randint(10_000_000, 99_999_999)} or write to {email} about the order"
        writer.writerow(
            [
                i,
                first,
                last,
                email,
                f"+31 6 {rng.randint(10_000_000, 99_999_999)}",
                iban,
                f"{rng.randint(100, 899)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
                f"19{rng.randint(40, 99)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                note,
                round(rng.random(), 3),
            ]
        )
    return out.getvalue().encode()


def orders_csv(people: int = 120, *, seed: int = 4) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["order_id", "person_id", "amount"])
    number = 1
    for person in range(1, people + 1):
        for _ in range(rng.randint(1, 2)):
            writer.writerow([number, person, round(rng.uniform(1, 300), 2)])
            number += 1
    return out.getvalue().encode()


def upload(tenant, actor, table: str, content: bytes, filename: str | None = None):
    return profiling.sample_upload(
        tenant=tenant, actor=actor, table_name=table, uploaded=SimpleUploadedFile(filename or f"{table}.csv", content)
    )


def profile_of(tenant, actor, samples, capture):
    with capture(execute=True):
        profile = profiling.profile_create(tenant=tenant, actor=actor, samples=samples)
    profile.refresh_from_db()
    assert profile.status == "succeeded", profile.error
    return profile
