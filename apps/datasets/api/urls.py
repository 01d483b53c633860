from django.urls import path

from apps.core.api.routers import Router, id_segment
from apps.documents.api import DocumentReportViewSet

from .views import (
    DatasetViewSet,
    PreviewView,
    RecordViewSet,
    SpecValidateView,
    TemplateViewSet,
    TrashDatasetViewSet,
    VersionViewSet,
)

scoped_router = Router()
scoped_router.register("datasets", DatasetViewSet, basename="dataset")
scoped_router.register("trash/datasets", TrashDatasetViewSet, basename="trash-dataset")
scoped_router.register(f"datasets/{id_segment('dataset_pk')}/versions", VersionViewSet, basename="version")
scoped_router.register(
    f"datasets/{id_segment('dataset_pk')}/versions/{id_segment('number')}/records", RecordViewSet, basename="record"
)
scoped_router.register(
    f"datasets/{id_segment('dataset_pk')}/versions/{id_segment('number')}/documents-report", DocumentReportViewSet,
    basename="version-documents-report",
)

scoped_urls = [
    *scoped_router.urls,
    path("preview/", PreviewView.as_view(), name="preview"),
    path("specs/validate/", SpecValidateView.as_view(), name="spec-validate"),
]

global_router = Router()
global_router.register("templates", TemplateViewSet, basename="template")
