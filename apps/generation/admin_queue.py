"""The task queue in the operators' site, read only, replacing django-q's pages, which deleted and edited
queue rows directly and resubmitted failed tasks past the services: a generation job is retried with the job
action (`job_retry`), which requeues only its unfinished chunks, audited; an export or push is asked for
again through the API or the console. Schedules are made by migrations (`synthhub: ...`)."""

from django.contrib import admin
from django_q import admin as q_admin
from django_q.models import Failure, OrmQ, Schedule, Success

from apps.core.admin import OperatorOnly


class ReadOnly(OperatorOnly):
    actions = None

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ScheduleView(ReadOnly, q_admin.ScheduleAdmin):
    pass


class SuccessView(ReadOnly, q_admin.TaskAdmin):
    pass


class FailureView(ReadOnly, q_admin.FailAdmin):
    pass


class QueueView(ReadOnly, q_admin.QueueAdmin):
    pass


for model, model_admin in ((Schedule, ScheduleView), (Success, SuccessView), (Failure, FailureView),
                           (OrmQ, QueueView)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
