"""The trust-service mapping: problems with paths, and an upsert into a PostgreSQL target, pushed twice."""

import os

import psycopg
import pytest

from apps.documents.trust_push import normalise_mapping, push_trust_service
from apps.exports.target_tables import UnmanagedTable

from .example import example, make_plan, table_rows

TARGET_DB = "synthhub_pki_target_test"  # test-looking, as the push safe-name rule wants
ADMIN_URL = os.environ.get("EXPORTS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
MAPPING = {
    "trust_anchors": {"table": "trust_anchors", "source": {"table": "cscas", "column": "certificate"}},
    "dsc_certificates": {"table": "dsc_certificates", "source": {"table": "signers", "column": "certificate"}},
    "crl_cache": {"table": "crl_cache", "source": {"table": "crls", "column": "crl"}},
    "master_lists": {"table": "master_lists", "source": {"table": "master_lists", "column": "master_list"}},
}


@pytest.fixture(scope="module")
def generated():
    the_plan = make_plan(example(passports=5))
    return the_plan, {t: table_rows(the_plan, t) for t in ("cscas", "signers", "crls", "master_lists")}


@pytest.fixture
def target():
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"PostgreSQL does not answer: {exc}")
    admin.execute(f'DROP DATABASE IF EXISTS "{TARGET_DB}" WITH (FORCE)')
    admin.execute(f'CREATE DATABASE "{TARGET_DB}"')
    connection = psycopg.connect(ADMIN_URL.rsplit("/", 1)[0] + f"/{TARGET_DB}")
    try:
        yield connection
    finally:
        connection.close()
        admin.execute(f'DROP DATABASE IF EXISTS "{TARGET_DB}" WITH (FORCE)')
        admin.close()


def _reader(rows):
    return lambda table, column: (row[column] for row in rows[table])


def test_the_mapping_is_checked_with_paths(generated):
    the_plan, _ = generated
    doc = the_plan.spec.doc
    mapping, problems = normalise_mapping(MAPPING, doc)
    assert problems == [] and mapping == MAPPING
    _, problems = normalise_mapping({
        "trust_anchors": {"table": "Trust-Anchors", "source": {"table": "cscas", "column": "certificate"}},
        "dsc_certificates": {"table": "dsc", "source": {"table": "cscas", "column": "certificate"}},
        "crl_cache": {"table": "crls", "source": {"table": "crls", "column": "nope"}},
        "anchors": {},
        "master_lists": {"table": "dsc", "source": {"table": "master_lists", "column": "master_list"}},
    }, doc)
    assert dict(problems) == {
        "trust_service.trust_anchors.table": "must be a lower-case SQL name: a-z, 0-9, _ (at most 63 characters)",
        "trust_service.dsc_certificates.source": "the version has no x509_certificate column of role ds "
                                                 "cscas.certificate",
        "trust_service.crl_cache.source": "the version has no crl column crls.nope",
        "trust_service.anchors": "unknown kind; expected one of trust_anchors, dsc_certificates, crl_cache, "
                                 "master_lists",
        "trust_service.master_lists.table": "table 'dsc' is the target of another kind",
    }
    assert normalise_mapping([], doc)[1] == [("trust_service", "must be a mapping of one or more of trust_anchors, "
                                                                "dsc_certificates, crl_cache, master_lists")]


def test_pushing_twice_upserts_on_country_and_serial(generated, target):
    _, rows = generated
    first = push_trust_service(target, MAPPING, _reader(rows))
    assert first == {"trust_anchors": len(rows["cscas"]), "dsc_certificates": len(rows["signers"]),
                     "crl_cache": len(rows["crls"]), "master_lists": 1}
    again = push_trust_service(target, MAPPING, _reader(rows))
    assert again == first
    count = target.execute("SELECT count(*), count(DISTINCT country_code) FROM trust_anchors").fetchone()
    assert count == (len(rows["cscas"]), len(rows["cscas"]))
    csca = rows["cscas"][0]
    anchor = target.execute("SELECT serial_number, subject, not_before::date::text FROM trust_anchors "
                            "WHERE country_code = %s", [csca["code"]]).fetchone()
    assert anchor == (format(csca["serial"], "X"),
                      f"CN=CSCA {csca['code']} 2,O=CSCA {csca['code']} 2,C={csca['code']}", csca["valid_from"])
    assert target.execute("SELECT count(*) FROM dsc_certificates").fetchone()[0] == len(rows["signers"])
    numbers = target.execute("SELECT crl_number FROM crl_cache ORDER BY crl_number").fetchall()
    assert [int(n) for (n,) in numbers] == sorted(r["number"] for r in rows["crls"])
    listed = target.execute("SELECT certificate_count FROM master_lists").fetchone()[0]
    assert listed == 2 * len(rows["cscas"])  # each current CSCA with its link certificate
    comment = target.execute("SELECT obj_description('trust_anchors'::regclass, 'pg_class')").fetchone()[0]
    assert comment.startswith("synthhub:managed")
    # A changed object under the same natural key is updated in place, not added.
    changed = {**rows, "cscas": [dict(rows["cscas"][0])] + rows["cscas"][1:]}
    changed["cscas"][0]["certificate"] = rows["cscas"][1]["certificate"]
    push_trust_service(target, {"trust_anchors": MAPPING["trust_anchors"]}, _reader(changed))
    assert target.execute("SELECT count(*) FROM trust_anchors").fetchone()[0] == len(rows["cscas"])
    target.commit()


def test_a_table_the_trust_service_owns_is_refused_and_nothing_is_written(generated, target):
    _, rows = generated
    target.execute("CREATE TABLE dsc_certificates (id integer)")
    target.commit()
    with pytest.raises(UnmanagedTable, match="dsc_certificates"):
        push_trust_service(target, MAPPING, _reader(rows))
    target.rollback()
    assert target.execute("SELECT to_regclass('trust_anchors')").fetchone()[0] is None
    assert target.execute("SELECT count(*) FROM dsc_certificates").fetchone()[0] == 0


@pytest.mark.django_db
def test_a_push_request_with_the_mapping_upserts_twice_and_bad_mappings_are_400(
        tenant_a, tenant_b, make_dataset, make_version, api_client_for, target, django_capture_on_commit_callbacks):
    from apps.exports import services
    from tests.conftest import assert_error_shape

    tenant, users = tenant_a
    dataset = make_dataset(tenant, users["owner"], name="pki", spec=example(passports=5))
    version = make_version(dataset, users["owner"])
    info = target.info
    sink = services.target_create(tenant=tenant, actor=users["owner"], name="trust", host=info.host or "127.0.0.1",
                                  port=int(info.port), dbname=TARGET_DB, user=info.user)
    client = api_client_for(users["admin"])
    url = f"/api/v1/tenants/{tenant.slug}/targets/{sink.pk}/push/"
    body = {"dataset": dataset.pk, "version": version.number, "trust_service": MAPPING}
    for attempt in (1, 2):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, body, format="json")
        assert response.status_code == 202, response.content
        push = client.get(f"/api/v1/tenants/{tenant.slug}/pushes/{response.json()['id']}/").json()
        assert push["status"] == "succeeded", (attempt, push["error"])
        assert push["trust_service"] == MAPPING
        assert push["row_counts"] == {"trust_anchors": version.row_counts["cscas"],
                                      "dsc_certificates": version.row_counts["signers"],
                                      "crl_cache": version.row_counts["crls"], "master_lists": 1}
    assert target.execute("SELECT count(*) FROM dsc_certificates").fetchone()[0] == version.row_counts["signers"]
    bad = {**body, "trust_service": {"crl_cache": {"table": "crl cache", "source": {"table": "crls",
                                                                                    "column": "crl"}}}}
    assert_error_shape(client.post(url, bad, format="json"), 400, paths={"trust_service.crl_cache.table"})
    both = {**body, "tables": ["cscas"]}
    assert_error_shape(client.post(url, both, format="json"), 400, paths={"tables"})
    outsider = api_client_for(tenant_b[1]["owner"])
    assert_error_shape(outsider.post(url, body, format="json"), 404)
