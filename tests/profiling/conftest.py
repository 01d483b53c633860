"""Sample files for the profiling tests: small known tables, and the bad uploads the API refuses."""

import csv
import io
import random

import pytest

# A value that occurs in the samples and must never leave them (spec, errors, logs, audit).
SECRET_NAME = "Quenvelda"
SECRET_SEGMENT = "Zyxwvortex"


def customers_csv(rows: int = 300, *, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "first_name", "email", "segment", "income", "age", "signup", "code"])
    for i in range(1, rows + 1):
        age = rng.randint(18, 80)
        segment = SECRET_SEGMENT if i % 7 == 0 else rng.choice(["retail", "pro", "enterprise"])
        name = SECRET_NAME if i == 5 else rng.choice(["Anna", "James", "Maria", "Robert", "Linda"])
        writer.writerow([i, name, f"{name.lower()}{i}@example.org", segment, round(age * 800 + rng.gauss(0, 3000), 2),
                         age, f"20{rng.randint(10, 23)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                         f"{rng.choice('ABC')}{rng.choice('XYZ')}-{rng.randint(10000, 99999)}"])
    return out.getvalue().encode()


def orders_csv(customers: int = 300, *, seed: int = 2) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["order_id", "customer_id", "amount"])
    number = 1
    for customer in range(1, customers + 1):
        for _ in range(rng.randint(1, 3)):
            writer.writerow([number, customer, round(rng.expovariate(1 / 40), 2)])
            number += 1
    return out.getvalue().encode()


@pytest.fixture
def upload(api_client_for):
    """POST a file to the samples route as `user`: returns the response."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    def post(user, content: bytes, filename: str = "customers.csv", table_name: str = "customers", slug="alpha",
             **extra):
        client = api_client_for(user)
        data = {"file": SimpleUploadedFile(filename, content), "table_name": table_name, **extra}
        return client.post(f"/api/v1/tenants/{slug}/samples/", data, format="multipart")

    return post
