from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from apps.audit.api.urls import scoped_router as audit_scoped_router
from apps.console.site import console_site
from apps.core import health
from apps.core.api.docs import RedocView, SwaggerView
from apps.datasets.api.urls import global_router as datasets_global_router
from apps.datasets.api.urls import scoped_urls as datasets_scoped_urls
from apps.exports.api.urls import scoped_urls as exports_scoped_urls
from apps.generation.api.urls import scoped_urls as generation_scoped_urls
from apps.masking.api.urls import scoped_urls as masking_scoped_urls
from apps.profiling.api.urls import scoped_urls as profiling_scoped_urls
from apps.schedules.api.urls import scoped_urls as schedules_scoped_urls
from apps.tenants.api.urls import auth_router, tenant_router
from apps.tenants.api.urls import scoped_router as tenant_scoped_router
from apps.webhooks.api.urls import scoped_urls as webhooks_scoped_urls
from synthhub import metrics

# The operators' site. "View site" leads to the team console, the web page of the tenants' members.
admin.site.site_url = "/console/"
admin.site.site_header = "SynthHub operators"
admin.site.site_title = "SynthHub operators"

tenant_scoped_urls = [
    *tenant_scoped_router.urls,
    *audit_scoped_router.urls,
    *datasets_scoped_urls,
    *generation_scoped_urls,
    *exports_scoped_urls,
    *schedules_scoped_urls,
    *webhooks_scoped_urls,
    *profiling_scoped_urls,
    *masking_scoped_urls,
]

api_v1 = [
    *auth_router.urls,
    *datasets_global_router.urls,
    path("tenants/<slug:tenant>/", include(tenant_scoped_urls)),
    *tenant_router.urls,
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", RedocView.as_view(url_name="schema"), name="redoc"),
    path("api-auth/", include("rest_framework.urls")),
    path("health/live", health.live, name="health-live"),
    path("health/ready", health.ready, name="health-ready"),
    path("metrics", metrics.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("console/", console_site.urls),
]

# API paths answer in the error shape even when no route matches (a malformed id is a 404 like a missing one).
handler400 = "apps.core.errors.bad_request_view"
handler404 = "apps.core.errors.not_found_view"
handler500 = "apps.core.errors.server_error_view"
