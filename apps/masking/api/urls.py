from django.urls import path

from apps.core.api.routers import Router

from .views import MaskingKeyView, MaskingRuleSetViewSet, MaskingViewSet

scoped_router = Router()
scoped_router.register("masking-rules", MaskingRuleSetViewSet, basename="masking-rules")
scoped_router.register("maskings", MaskingViewSet, basename="masking")

scoped_urls = [*scoped_router.urls, path("masking-keys/", MaskingKeyView.as_view(), name="masking-keys")]
