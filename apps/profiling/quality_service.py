"""The quality and privacy report of a stored version: requested from the API or the console, computed in a
queued task with progress, stored on the version (DatasetVersion.quality_report).

The sample of a version is the set of samples of the profile its dataset was created from
(Profile.created_dataset); a version of a dataset written by hand has none, and asking for its report is a 400 that
says so. The report is computed once per version (a version never changes) and recomputed only after a
failure, or when it was queued so long ago that the queue lost it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from rest_framework.exceptions import PermissionDenied

from apps.core.errors import ServiceValidationError
from apps.datasets.models import DatasetVersion, VersionStatus

logger = logging.getLogger(__name__)

RUN_QUALITY_TASK = "apps.profiling.quality_tasks.run_quality_report"
REQUEUE_AFTER = timedelta(minutes=15)
PROGRESS_READ = 0.4  # share of the work that is reading the tables; the rest is scoring them


def samples_of(version: DatasetVersion, *, user=None) -> dict:
    """table -> Sample of the profile the version's dataset was inferred from; 400 (path `sample`) if none.

    With `user`: the samples are real data, so a report built from them is only for those who may view every
    one of them (403 otherwise), whatever they may do on the dataset."""
    try:
        from apps.profiling.models import Profile
        from apps.profiling.permissions import profiles_allowed
        from apps.profiling.selectors import samples_by_table
    except ImportError:  # the profiling models are not installed in this build
        Profile = None  # noqa: N806
    profile = None
    if Profile is not None:
        profile = Profile.objects.filter(created_dataset_id=version.dataset_id).order_by("-id").first()
    if profile is not None and user is not None and not profiles_allowed(
            Profile.objects.filter(pk=profile.pk), user=user, tenant=version.tenant).exists():
        raise PermissionDenied("You may not view the samples this version is compared with.")
    if profile is None:
        raise ServiceValidationError([("sample", "this version's dataset was not created from a profile of "
                                                  "samples, so there is nothing to compare it with")])
    samples = samples_by_table(profile)
    tables = [t for t in samples if t in (version.row_counts or {})]
    if not tables:
        raise ServiceValidationError([("sample", "none of the profile's sample tables was generated in this "
                                                  "version")])
    return {table: samples[table] for table in tables}


def _state(version: DatasetVersion, **changes) -> dict:
    state = {**(version.quality_report or {}), **changes}
    DatasetVersion.all_objects.filter(pk=version.pk).update(quality_report=state)
    version.quality_report = state
    return state


def quality_request(*, version: DatasetVersion, user=None) -> dict:
    """The stored report, or its progress; queues its computation when there is none (or it failed)."""
    if version.status != VersionStatus.READY:
        raise ServiceValidationError([("version", f"version {version.number} is {version.status}; a report "
                                                   "needs a ready version")])
    samples_of(version, user=user)
    state = version.quality_report or {}
    queued_long_ago = state.get("status") == "queued" and state.get("queued_at", "") < (
        timezone.now() - REQUEUE_AFTER).isoformat()
    if state.get("status") in ("ready", "running") or (state.get("status") == "queued" and not queued_long_ago):
        return state
    state = _state(version, status="queued", progress=0.0, error="", report=None,
                   queued_at=timezone.now().isoformat())
    transaction.on_commit(lambda: _enqueue(version.pk))
    return state


def _enqueue(version_id: int) -> None:
    from django_q.tasks import async_task

    try:
        async_task(RUN_QUALITY_TASK, version_id, task_name=f"quality-{version_id}")
    except Exception as exc:  # the broker is down: the report stays queued and a later request queues it again
        logger.warning("quality report of version %s not queued (%s)", version_id, type(exc).__name__)


def quality_compute(*, version_id: int) -> str:
    """Reads the sample and the version, scores them, stores the report; failures are stored, not raised."""
    from apps.profiling.selectors import sample_dataframe, version_dataframe

    from .reports import build_report, typed_text

    version = DatasetVersion.all_objects.filter(pk=version_id).first()
    if version is None:
        return "gone"
    _state(version, status="running", progress=0.0, started_at=timezone.now().isoformat())
    try:
        samples = samples_of(version)
        real, synthetic = {}, {}
        for done, (table, sample) in enumerate(samples.items(), start=1):
            real[table] = sample_dataframe(sample).apply(typed_text)
            synthetic[table] = version_dataframe(version, table).apply(typed_text)
            _state(version, progress=PROGRESS_READ * done / len(samples))
        report = build_report(real, synthetic, version.spec_snapshot,
                              progress=lambda share: _state(version, progress=PROGRESS_READ +
                                                            (1 - PROGRESS_READ) * share))
    except ServiceValidationError as exc:
        _state(version, status="failed", error=exc.problems[0][1])
        return "failed"
    except (ValueError, TypeError, KeyError, OSError, MemoryError) as exc:
        logger.exception("quality report of version %s failed", version_id)
        _state(version, status="failed", error=f"the report could not be computed ({type(exc).__name__})")
        return "failed"
    _state(version, status="ready", progress=1.0, report=report, computed_at=timezone.now().isoformat())
    return "ready"
