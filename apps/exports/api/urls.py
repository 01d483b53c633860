from apps.core.api.routers import Router

from .views import ExportViewSet, PushViewSet, TargetConnectionViewSet, TrashExportViewSet

scoped_router = Router()
scoped_router.register("exports", ExportViewSet, basename="export")
scoped_router.register("trash/exports", TrashExportViewSet, basename="trash-export")
scoped_router.register("targets", TargetConnectionViewSet, basename="target")
scoped_router.register("pushes", PushViewSet, basename="push")

scoped_urls = [*scoped_router.urls]
