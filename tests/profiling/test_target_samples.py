"""Samples read from a table of a target database: read-only, bounded, checked like uploads (needs the local
PostgreSQL for the scratch target; skipped without it outside CI)."""

import psycopg
import pytest

from apps.exports import services as exports
from apps.profiling.models import Sample
from tests.conftest import assert_error_shape
from tests.exports.conftest import scratch_postgres  # noqa: F401 - the fixture

BASE = "/api/v1/tenants/alpha"


@pytest.fixture
def target(tenant_a, scratch_postgres):  # noqa: F811
    tenant, users = tenant_a
    with psycopg.connect(**scratch_postgres, autocommit=True) as connection:
        connection.execute("CREATE SCHEMA shop")
        connection.execute("CREATE TABLE shop.people (id int PRIMARY KEY, name text, born date, score float8)")
        connection.execute("INSERT INTO shop.people SELECT i, 'p' || i, DATE '2000-01-01' + i, i / 3.0 "
                           "FROM generate_series(1, 500) i")
        connection.execute("CREATE TABLE single (id int)")
    return exports.target_create(tenant=tenant, actor=users["owner"], name="scratch",
                                 host=scratch_postgres.get("host", "127.0.0.1"),
                                 port=int(scratch_postgres.get("port", 5432)), dbname=scratch_postgres["dbname"],
                                 user=scratch_postgres.get("user", "postgres"),
                                 password=scratch_postgres.get("password", ""))


def test_an_admin_reads_a_bounded_sample_of_a_target_table(target, tenant_a, api_client_for):
    _, users = tenant_a
    client = api_client_for(users["admin"])
    response = client.post(f"{BASE}/samples/", {"target": target.pk, "source_table": "shop.people",
                                                 "table_name": "people", "rows": 200}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["source"] == "target" and body["row_count"] == 200 and body["source_table"] == "shop.people"
    assert body["columns"] == ["id", "name", "born", "score"]
    assert Sample.objects.get(pk=body["id"]).file.name.startswith("samples/")


def test_target_reads_are_refused_with_their_reason(target, tenant_a, api_client_for):
    _, users = tenant_a
    admin = api_client_for(users["admin"])
    body = {"target": target.pk, "source_table": "shop.missing", "table_name": "people"}
    assert_error_shape(admin.post(f"{BASE}/samples/", body, format="json"), 400, paths={"source_table"})
    body = {"target": target.pk, "source_table": "single", "table_name": "single"}
    assert_error_shape(admin.post(f"{BASE}/samples/", body, format="json"), 400, paths={"source_table"})
    body = {"target": 999_999, "source_table": "shop.people", "table_name": "people"}
    assert_error_shape(admin.post(f"{BASE}/samples/", body, format="json"), 400, paths={"target"})
    editor = api_client_for(users["editor"])
    body = {"target": target.pk, "source_table": "shop.people", "table_name": "people"}
    assert editor.post(f"{BASE}/samples/", body, format="json").status_code == 403
    assert Sample.all_objects.count() == 0


def _sampled_ids(client, target, source_table, rows, seed=None):
    from apps.profiling.selectors import sample_arrow

    body = {"target": target.pk, "source_table": source_table, "table_name": "people", "rows": rows}
    if seed is not None:
        body["seed"] = seed
    response = client.post(f"{BASE}/samples/", body, format="json")
    assert response.status_code == 201, response.content
    return sample_arrow(Sample.objects.get(pk=response.json()["id"])).column("id").to_pylist()


@pytest.fixture
def big_tables(scratch_postgres):  # noqa: F811
    with psycopg.connect(**scratch_postgres, autocommit=True) as connection:
        connection.execute("CREATE TABLE big (id int PRIMARY KEY, label text)")
        connection.execute("INSERT INTO big SELECT i, 'row ' || i FROM generate_series(1, 20000) i")
        connection.execute("ANALYZE big")
        connection.execute("CREATE TABLE fresh (id int, label text)")  # never analysed
        connection.execute("INSERT INTO fresh SELECT i, 'row ' || i FROM generate_series(1, 5000) i")
        connection.execute("CREATE VIEW shop.people_view AS SELECT * FROM shop.people")


def test_a_target_table_is_sampled_at_random_repeatably_for_a_seed(target, big_tables, tenant_a, api_client_for):
    _, users = tenant_a
    admin = api_client_for(users["admin"])
    # A table of 500 rows, well under 10 x 200: read whole, 200 rows drawn by the seeded key.
    first = _sampled_ids(admin, target, "shop.people", 200, seed=7)
    assert len(first) == len(set(first)) == 200
    assert sorted(first) != list(range(1, 201))  # not the first rows
    assert max(first) > 400 and min(first) < 100  # spread over the table
    assert _sampled_ids(admin, target, "shop.people", 200, seed=7) == first  # the same seed, the same rows
    assert set(_sampled_ids(admin, target, "shop.people", 200, seed=8)) != set(first)
    assert set(_sampled_ids(admin, target, "shop.people", 200)) != set(first)  # default seed 0
    # 20,000 rows (analysed), over 10 x 500: TABLESAMPLE BERNOULLI REPEATABLE, then the seeded key.
    big = _sampled_ids(admin, target, "big", 500, seed=3)
    assert len(big) == len(set(big)) == 500 and sorted(big) != list(range(1, 501))
    assert sum(1 for i in big if i > 10_000) > 150  # both halves of the table
    assert _sampled_ids(admin, target, "big", 500, seed=3) == big
    # Never analysed (its size counted up to the bound), and a view (TABLESAMPLE cannot read views).
    fresh = _sampled_ids(admin, target, "fresh", 300, seed=5)
    assert len(fresh) == 300 and sorted(fresh) != list(range(1, 301)) and max(fresh) > 2500
    assert _sampled_ids(admin, target, "fresh", 300, seed=5) == fresh
    view = _sampled_ids(admin, target, "shop.people_view", 50, seed=1)
    assert len(view) == 50 and sorted(view) != list(range(1, 51))
    # Bounded: never more rows than asked, never more than the table has.
    assert len(_sampled_ids(admin, target, "shop.people", 1000, seed=1)) == 500


def test_target_sample_queries_bound_their_work(target, big_tables, scratch_postgres):  # noqa: F811
    from apps.profiling.services import _target_sample_query

    with psycopg.connect(**scratch_postgres) as connection, connection.cursor() as cursor:
        def query(parts, rows):
            return _target_sample_query(cursor, parts, rows, 9).as_string(connection)

        assert "TABLESAMPLE BERNOULLI (7.5) REPEATABLE (9)" in query(["big"], 1000)  # 1.5 x 1,000 of 20,000
        assert "TABLESAMPLE SYSTEM (0.2) REPEATABLE (9)" in query(["big"], 20)  # under 1%: whole pages
        assert "TABLESAMPLE" not in query(["big"], 2000) and query(["big"], 2000).endswith("LIMIT 2000")
        assert "LIMIT 500) AS sample_row" in query(["shop", "people_view"], 50)  # a view: 10 x rows read


def test_bad_seeds_are_refused(target, tenant_a, api_client_for):
    _, users = tenant_a
    admin = api_client_for(users["admin"])
    for seed in (-1, 2**31, "x"):
        body = {"target": target.pk, "source_table": "shop.people", "table_name": "people", "seed": seed}
        assert_error_shape(admin.post(f"{BASE}/samples/", body, format="json"), 400, paths={"seed"})
    assert Sample.all_objects.count() == 0
