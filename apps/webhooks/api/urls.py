from apps.core.api.routers import Router, id_segment

from .views import WebhookDeliveryViewSet, WebhookViewSet

scoped_router = Router()
scoped_router.register("webhooks", WebhookViewSet, basename="webhook")
scoped_router.register(f"webhooks/{id_segment('webhook_pk')}/deliveries", WebhookDeliveryViewSet,
                       basename="webhook-delivery")

scoped_urls = [*scoped_router.urls]
