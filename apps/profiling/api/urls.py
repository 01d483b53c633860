from apps.core.api.routers import Router

from .views import ProfileViewSet, SampleViewSet

scoped_router = Router()
scoped_router.register("samples", SampleViewSet, basename="sample")
scoped_router.register("profiles", ProfileViewSet, basename="profile")

scoped_urls = [*scoped_router.urls]
