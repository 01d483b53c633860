"""Writing and reading job timelines (JobEvent).

Cheap by construction: an event is one indexed MAX and one INSERT (a chunk writes one event when it is done;
being claimed is an event only for a job's first claim and for a retried attempt), never per-row work.

Bounded per job: at most SYNTHHUB_JOB_EVENTS_MAX events are kept. Past that, each new event drops the oldest
event after the first HEAD_EVENTS (the start of the story: queued, claimed, the first chunks, stays; so does
the end: failed or succeeded), and the timeline reports how many it dropped: `seq` numbers every event a job
ever had, so dropped = last seq - events kept.

Callers hold the job's row lock (or write in the transaction that created the job): that keeps `seq` unique
without a retry loop. Messages are in the platform's words: names of tables, workers, users, counts and times,
exception class names, failure categories; never a generated or sample value, nor an exception's text (a
database error quotes the values it refused).
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from .models import EventType, JobEvent, JobKind

HEAD_EVENTS = 20
MESSAGE_CHARS = 500


def max_events() -> int:
    return max(int(getattr(settings, "SYNTHHUB_JOB_EVENTS_MAX", 200)), HEAD_EVENTS + 10)


def record(*, kind: str, job_id: int, tenant_id: int, type: str, message: str, worker: str = "", chunk: str = "",
           rows: int | None = None, seconds: float | None = None, attempt: int | None = None) -> None:
    events = JobEvent.objects.filter(kind=kind, job_id=job_id)
    seq = (events.aggregate(last=Max("seq"))["last"] or 0) + 1
    JobEvent.objects.create(tenant_id=tenant_id, kind=kind, job_id=job_id, seq=seq, at=timezone.now(), type=type,
                            message=message[:MESSAGE_CHARS], worker=worker[:200], chunk=chunk[:100], rows=rows,
                            seconds=None if seconds is None else round(seconds, 3), attempt=attempt)
    if seq > max_events():
        oldest_middle = events.filter(seq__gt=HEAD_EVENTS).order_by("seq").values("pk")[:1]
        JobEvent.objects.filter(pk__in=oldest_middle).delete()


def actor_name(actor) -> str:
    """Who asked, for a message: a user's name, or the platform itself (schedules, the reaper)."""
    return actor.get_username() if actor is not None and getattr(actor, "is_authenticated", False) else "the system"


def timeline(*, kind: str, job_id: int) -> dict:
    """The job's kept events, oldest first, and how many were dropped from the middle."""
    events = list(JobEvent.objects.filter(kind=kind, job_id=job_id).order_by("seq"))
    last = events[-1].seq if events else 0
    return {"kind": kind, "job": job_id, "dropped": last - len(events), "events": events}


def events_prune() -> int:
    """Events of jobs that no longer exist (purged with their dataset or tenant): run by the scheduler."""
    from apps.exports.models import Export, Push
    from apps.generation.models import GenerationJob
    from apps.profiling.models import Profile

    removed = 0
    for kind, model in ((JobKind.GENERATION, GenerationJob), (JobKind.EXPORT, Export), (JobKind.PUSH, Push),
                        (JobKind.PROFILE, Profile)):
        orphans = JobEvent.objects.filter(kind=kind).exclude(job_id__in=model._base_manager.values("pk"))
        removed += orphans.delete()[0]
    return removed


__all__ = ["EventType", "JobKind", "actor_name", "max_events", "record", "timeline", "events_prune"]
