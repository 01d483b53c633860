from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import GenerateView, JobViewSet

scoped_router = SimpleRouter()
scoped_router.register("jobs", JobViewSet, basename="job")

scoped_urls = [
    *scoped_router.urls,
    path("datasets/<int:dataset_pk>/generate/", GenerateView.as_view(), name="dataset-generate"),
]
