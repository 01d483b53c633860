from apps.core.api.routers import Router, id_segment

from .views import ScheduleRunViewSet, ScheduleViewSet

scoped_router = Router()
scoped_router.register("schedules", ScheduleViewSet, basename="schedule")
scoped_router.register(f"schedules/{id_segment('schedule_pk')}/runs", ScheduleRunViewSet, basename="schedule-run")

scoped_urls = [*scoped_router.urls]
