"""URLs of the server `manage.py bench api` starts (synthhub.settings.bench only): the site's own routes and
the ceiling view, a plain Django view that answers the records page the API answers. Never routed in
production: only the bench settings name this module."""

from django.urls import path

from apps.datasets.benchmarks_api import ceiling_records_view
from synthhub.urls import handler400, handler404, handler500  # noqa: F401
from synthhub.urls import urlpatterns as site_urlpatterns

urlpatterns = [path("bench/ceiling/records/", ceiling_records_view, name="bench-ceiling-records"),
               *site_urlpatterns]
