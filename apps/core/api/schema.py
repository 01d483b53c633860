"""OpenAPI generation: typed path parameters shared by every endpoint, the error responses each operation can
give (in the one error shape of apps.core.errors), and the token auth scheme."""

import re

import uritemplate
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter

from .routers import SLUG_PATTERN

# Path variables whose meaning is the same on every route that has them.
SHARED_PATH_PARAMETERS = {
    "tenant": OpenApiParameter("tenant", {"type": "string", "pattern": f"^{SLUG_PATTERN}$"}, OpenApiParameter.PATH,
                               description="The tenant's slug."),
    "token_key": OpenApiParameter(
        "token_key", {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}, OpenApiParameter.PATH,
        description="The token's public key (its prefix).",
    ),
}

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every API error: a code, a message, and for invalid input every problem with its field path.",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
                        "required": ["path", "message"],
                    },
                },
            },
            "required": ["code", "message", "details"],
        },
    },
    "required": ["error"],
}

ERROR_DESCRIPTIONS = {
    "400": "Invalid input: every problem with its path (body fields, query parameters, `cursor`).",
    "401": "Not signed in, or the token is unknown, revoked or expired.",
    "403": "Signed in without the role or the dataset permission this needs.",
    "404": "No such object in this tenant (or not visible to the caller), or no such tenant membership.",
    "409": "The object's state does not allow this now.",
    "413": "The request body is larger than the server accepts.",
    "415": "The body is not JSON.",
    "429": "Too many requests; retry after the time in Retry-After.",
}

# Operations whose services raise Conflict (409), as (path pattern, methods): the state of a job, an export,
# a version, a profile, a webhook endpoint or a trashed dataset decides, not the input.
CONFLICT_OPERATIONS = [
    (re.compile(r"/jobs/\{id\}/(cancel|retry)/$"), {"POST"}),  # only queued/running or failed jobs
    (re.compile(r"/exports/\{id\}/download/$"), {"GET"}),  # only succeeded exports
    (re.compile(r"/datasets/\{id\}/restore/$"), {"POST"}),  # a live dataset has the name
    (re.compile(r"/datasets/\{dataset_pk\}/generate/$"), {"POST"}),  # another version at the same moment
    (re.compile(r"/records/"), {"GET", "DELETE", "POST"}),  # the version was cancelled: no records
    (re.compile(r"/profiles/\{id\}/(cancel|dataset)/$"), {"POST"}),  # only queued/running; only succeeded
    (re.compile(r"/profiles/\{id\}/$"), {"PATCH", "PUT"}),  # a review needs a succeeded profile
    (re.compile(r"/webhooks/\{id\}/test/$"), {"POST"}),  # a disabled endpoint gets no test delivery
    (re.compile(r"/masking-keys/$"), {"POST"}),  # another rotation at the same moment
]


def error_statuses(path: str, method: str, operation: dict) -> list[str]:
    """The error statuses an operation can give, from what it declares: auth, path and query parameters, body."""
    statuses = []
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    if has_body or any(parameter.get("in") == "query" for parameter in parameters):
        statuses.append("400")
    security = operation.get("security")
    if security is None or {} not in security:
        statuses += ["401", "403"]
    if "{" in path:
        statuses.append("404")
    if any(pattern.search(path) and method in methods for pattern, methods in CONFLICT_OPERATIONS):
        statuses.append("409")
    if has_body:
        statuses += ["413", "415"]
    statuses.append("429")
    return statuses


class SynthHubAutoSchema(AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        component = ResolvedComponent(name=ERROR_COMPONENT, type=ResolvedComponent.SCHEMA, object=ERROR_COMPONENT,
                                      schema=ERROR_SCHEMA)
        registry.register_on_missing(component)
        responses = operation.setdefault("responses", {})
        error_content = {"application/json": {"schema": component.ref}}
        for status in error_statuses(path, method.upper(), operation):
            responses.setdefault(status, {"content": error_content, "description": ERROR_DESCRIPTIONS[status]})
        for status, response in responses.items():
            if status.startswith(("4", "5")) and "content" not in response:
                response["content"] = error_content  # e.g. a view's own 410: still the error shape
        for parameter in operation.get("parameters", []):
            # Filters, search, ordering, cursor and page size treat an empty value as not given.
            if parameter.get("in") == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
        return operation

    def get_override_parameters(self):
        declared = list(super().get_override_parameters())
        names = {getattr(p, "name", None) for p in declared}
        for variable in uritemplate.variables(self.path):
            if variable in SHARED_PATH_PARAMETERS and variable not in names:
                declared.append(SHARED_PATH_PARAMETERS[variable])
        return declared


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "apps.tenants.authentication.AuditedTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <secret>`: create one at /api/v1/auth/tokens/ or with `manage.py token_create`.",
        }
