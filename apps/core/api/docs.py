"""The API's documentation pages (Swagger UI, ReDoc).

They render through DRF's template renderer, and DRF answers OPTIONS with a metadata response rendered the
same way, for which these pages have no template: a 500. OPTIONS here answers like any Django view: 200 with
the Allow header and no body.
"""

from django.views import View
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView


class _PlainOptions:
    def options(self, request, *args, **kwargs):
        return View.options(self, request, *args, **kwargs)


class SwaggerView(_PlainOptions, SpectacularSwaggerView):
    pass


class RedocView(_PlainOptions, SpectacularRedocView):
    pass
