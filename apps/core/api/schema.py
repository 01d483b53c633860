"""OpenAPI generation: typed path parameters shared by every endpoint, and the token auth scheme."""

import uritemplate
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

# Path variables whose meaning is the same on every route that has them.
SHARED_PATH_PARAMETERS = {
    "tenant": OpenApiParameter("tenant", OpenApiTypes.STR, OpenApiParameter.PATH, description="The tenant's slug."),
    "token_key": OpenApiParameter(
        "token_key", OpenApiTypes.STR, OpenApiParameter.PATH, description="The token's public key (its prefix)."
    ),
}


class SynthHubAutoSchema(AutoSchema):
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
