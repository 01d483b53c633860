"""`GET .../{id}/events/` on the routes of every kind of job: the job is looked up (and scoped) by the route's
own viewset, so its events answer to exactly the job's permissions (another tenant: 404)."""

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from ..events import timeline
from .serializers import JobTimelineSerializer


class JobEventsMixin:
    """Mixed into a job viewset; `events_kind` is the JobKind of its rows."""

    events_kind: str = ""

    @extend_schema(request=None, responses={200: JobTimelineSerializer},
                   description="The job's timeline, oldest first: queued, claimed by a worker, chunks done, retried, "
                               "re-queued, failed, cancelled, succeeded. Never contains generated values.")
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def events(self, request, *args, **kwargs):
        job = self.get_object()
        return Response(JobTimelineSerializer(timeline(kind=self.events_kind, job_id=job.pk)).data)
