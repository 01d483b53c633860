"""The OpenAPI document declares the error responses each operation can give, in the one error shape."""

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def document():
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method.upper(), operation


def test_the_error_shape_is_a_component(document):
    error = document["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    assert error["properties"]["error"]["required"] == ["code", "message", "details"]


def test_every_operation_declares_the_errors_it_can_give(document):
    missing = []
    for path, method, operation in _operations(document):
        responses = operation["responses"]
        expected = {"401", "403", "429"}
        if "{" in path:
            expected.add("404")
        if "requestBody" in operation or any(p["in"] == "query" for p in operation.get("parameters", [])):
            expected.add("400")
        if "requestBody" in operation:
            expected |= {"413", "415"}
        for status in sorted(expected - set(responses)):
            missing.append(f"{method} {path}: {status}")
        for status in expected:
            schema = responses.get(status, {}).get("content", {}).get("application/json", {}).get("schema", {})
            if status in responses and schema.get("$ref") != "#/components/schemas/Error":
                missing.append(f"{method} {path}: {status} is not the error shape")
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize(("path", "method"), [
    ("/api/v1/tenants/{tenant}/jobs/{id}/cancel/", "post"),
    ("/api/v1/tenants/{tenant}/jobs/{id}/retry/", "post"),
    ("/api/v1/tenants/{tenant}/exports/{id}/download/", "get"),
    ("/api/v1/tenants/{tenant}/trash/datasets/{id}/restore/", "post"),
    ("/api/v1/tenants/{tenant}/datasets/{dataset_pk}/generate/", "post"),
])
def test_conflicts_are_declared_where_services_raise_them(document, path, method):
    assert "409" in document["paths"][path][method]["responses"]


def test_operations_without_conflicts_do_not_declare_them(document):
    assert "409" not in document["paths"]["/api/v1/tenants/{tenant}/datasets/"]["get"]["responses"]
    assert "404" not in document["paths"]["/api/v1/auth/tokens/"]["get"]["responses"]


def test_optional_query_parameters_allow_an_empty_value(document):
    parameters = document["paths"]["/api/v1/tenants/{tenant}/jobs/"]["get"]["parameters"]
    by_name = {parameter["name"]: parameter for parameter in parameters}
    assert by_name["status"]["allowEmptyValue"] is True and by_name["cursor"]["allowEmptyValue"] is True


def test_responses_that_can_be_null_or_blank_say_so(document):
    schemas = document["components"]["schemas"]
    export = schemas["Export"]["properties"]
    assert export["download_url"]["nullable"] is True
    assert export["requested_by"]["nullable"] is True
    assert {"$ref": "#/components/schemas/BlankEnum"} in export["error_code"]["oneOf"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in schemas["Push"]["properties"]["error_code"]["oneOf"]


def test_error_statuses_a_view_declares_carry_the_error_shape(document):
    download = document["paths"]["/api/v1/tenants/{tenant}/exports/{id}/download/"]["get"]["responses"]
    assert download["410"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    assert "*/*" in download["200"]["content"]
