from django.urls import re_path

from apps.core.api.routers import Router, id_segment

from .views import GenerateView, JobViewSet

scoped_router = Router()
scoped_router.register("jobs", JobViewSet, basename="job")

scoped_urls = [
    *scoped_router.urls,
    re_path(rf"^datasets/{id_segment('dataset_pk')}/generate/$", GenerateView.as_view(), name="dataset-generate"),
]
