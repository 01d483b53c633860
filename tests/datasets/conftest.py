"""Shared by the records-at-scale tests: a shop spec with a customers table of a chosen size, its owner."""

import pytest

from tests.conftest import SHOP_SPEC


def spec_with_customers(rows: int) -> dict:
    customers = {**SHOP_SPEC["tables"]["customers"], "rows": rows}
    customers["columns"] = {**customers["columns"], "code": {"type": "uuid"}}
    return {**SHOP_SPEC, "tables": {"customers": customers}}


def records_url(version, table="customers"):
    return (f"/api/v1/tenants/{version.tenant.slug}/datasets/{version.dataset_id}/versions/{version.number}/"
            f"records/?table={table}")


@pytest.fixture
def owner(tenant_a):
    return tenant_a[1]["owner"]
