"""Equality filters on `data` reach each loaded version's GIN index (PostgreSQL), and answer alike everywhere."""

import pytest

from apps.datasets import selectors, services
from apps.datasets.api.filters import data_lookups
from apps.datasets.models import Record
from apps.datasets.partitions import gin_index_name, partition_name
from tests.datasets.conftest import records_url, spec_with_customers


@pytest.mark.django_db
def test_an_equality_filter_on_data_uses_the_versions_gin_index(on_postgres, tenant_a, owner, make_dataset,
                                                                 django_capture_on_commit_callbacks):
    dataset = make_dataset(tenant_a[0], owner, spec=spec_with_customers(20_000))
    version, _ = services.version_create(dataset=dataset, actor=owner)
    with django_capture_on_commit_callbacks(execute=True):
        services.version_generate(version=version)
    wanted = Record.objects.get(version=version, table_name="customers", row_index=12_345).data
    # The query the records list runs: the selector, the filter lookups, the cursor paginator's order and limit.
    queryset = selectors.records_of(version=version, table="customers").filter(
        **data_lookups({"data__code": wanted["code"], "data__country": wanted["country"]},
                       columns=["id", "country", "age", "name", "code"]))
    page = queryset.order_by("row_index")[:51]
    plan = page.explain()
    assert gin_index_name(version.pk) in plan, plan
    assert "Bitmap Index Scan" in plan, plan
    assert partition_name(version.pk) in plan and "datasets_record_v" not in plan.replace(
        partition_name(version.pk), ""), plan  # pruned to this version's partition only
    assert [record.row_index for record in page] == [12_345]


@pytest.mark.django_db
def test_equality_filters_answer_the_same_on_every_database(tenant_a, owner, make_dataset, make_version,
                                                             api_client_for):
    version = make_version(make_dataset(tenant_a[0], owner))
    client = api_client_for(owner)
    expected = sorted(row_index for row_index, data in Record.objects.filter(
        version=version, table_name="customers").values_list("row_index", "data") if data["country"] == "NL")
    response = client.get(records_url(version) + "&data__country=NL&page_size=1000")
    assert response.status_code == 200, response.content
    assert [row["row_index"] for row in response.json()["results"]] == expected
    age = Record.objects.get(version=version, table_name="customers", row_index=3).data["age"]
    response = client.get(records_url(version) + f"&data__country=NL&data__age={age}&page_size=1000")
    assert [row["row_index"] for row in response.json()["results"]] == [
        i for i in expected if Record.objects.get(version=version, table_name="customers", row_index=i).data["age"]
        == age]


@pytest.mark.django_db
def test_equalities_merge_into_one_containment_and_operators_stay_lookups(on_postgres):
    lookups = data_lookups({"data__country": "NL", "data__age__gte": "30", "data__address__city": "Delft"})
    assert lookups == {"data__contains": {"country": "NL", "address": {"city": "Delft"}}, "data__age__gte": 30}
