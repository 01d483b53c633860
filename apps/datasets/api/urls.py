from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    DatasetViewSet,
    PreviewView,
    RecordViewSet,
    SpecValidateView,
    TemplateViewSet,
    TrashDatasetViewSet,
    VersionViewSet,
)

scoped_router = SimpleRouter()
scoped_router.register("datasets", DatasetViewSet, basename="dataset")
scoped_router.register("trash/datasets", TrashDatasetViewSet, basename="trash-dataset")
scoped_router.register(r"datasets/(?P<dataset_pk>[0-9]+)/versions", VersionViewSet, basename="version")
scoped_router.register(
    r"datasets/(?P<dataset_pk>[0-9]+)/versions/(?P<number>[0-9]+)/records", RecordViewSet, basename="record"
)

scoped_urls = [
    *scoped_router.urls,
    path("preview/", PreviewView.as_view(), name="preview"),
    path("specs/validate/", SpecValidateView.as_view(), name="spec-validate"),
]

global_router = SimpleRouter()
global_router.register("templates", TemplateViewSet, basename="template")
