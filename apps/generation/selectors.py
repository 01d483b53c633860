"""Tenant- and permission-scoped reads of generation jobs."""

from django.contrib.auth import get_user_model

from apps.core.sql import IdPageStatements, PreparedIdPage, convert
from apps.datasets.models import DatasetVersion, codename
from apps.datasets.selectors import dataset_ids_statement

from .models import GenerationJob

# What the job list reads (JobSerializer's fields: the version's number and the requester's name rather than
# their rows), as `.values(*JOB_LIST_COLUMNS)` names them; the list's rows are api.serializers.job_rows.
JOB_LIST_COLUMNS = ("id", "dataset_id", "version__number", "status", "rows_done", "rows_total", "chunks_done",
                    "chunks_total", "parameters", f"requested_by__{get_user_model().USERNAME_FIELD}", "created_at",
                    "started_at", "finished_at", "last_heartbeat", "attempts", "error")
_JOB_OWN = tuple(name.removesuffix("_id") for name in JOB_LIST_COLUMNS if "__" not in name)  # "dataset": its id


def _job_list_from(n) -> str:
    user = get_user_model()
    own = [n.column(GenerationJob, name, "j") for name in _JOB_OWN]
    return (
        f"SELECT {', '.join(own)}, {n.column(DatasetVersion, 'number', 'v')}, "  # noqa: S608 -- the models' own names
        f"{n.column(user, user.USERNAME_FIELD, 'u')} "
        f"FROM {n.table(GenerationJob)} j INNER JOIN {n.table(DatasetVersion)} v "
        f"ON v.{n.quote(DatasetVersion._meta.pk.column)} = {n.column(GenerationJob, 'version', 'j')} "
        f"LEFT OUTER JOIN {n.table(user)} u ON u.{n.quote(user._meta.pk.column)} = "
        f"{n.column(GenerationJob, 'requested_by', 'j')} "
        f"WHERE {n.column(GenerationJob, 'tenant', 'j')} = %s "
        f"AND {n.column(GenerationJob, 'dataset', 'j')} IN ({dataset_ids_statement(alive=True).text_of(n)})"
    )


_JOB_LIST = IdPageStatements(_job_list_from, lambda n: f"j.{n.quote('id')}")


def _job_list_row(values) -> dict:
    own = convert(GenerationJob, _JOB_OWN, values[:-2])
    own["dataset_id"] = own.pop("dataset")
    own["version__number"], own[JOB_LIST_COLUMNS[9]] = values[-2], values[-1]
    return {name: own[name] for name in JOB_LIST_COLUMNS}


def job_list_page(*, user, tenant) -> PreparedIdPage:
    """The job list's rows with no filter or ordering asked for: the tenant's jobs on the live datasets the user
    may view (the list's get_queryset(): tenant, dataset_ids_allowed), as dicts of JOB_LIST_COLUMNS, read by the
    cursor paginator in id order with one prepared statement."""
    view = codename("view")
    return PreparedIdPage(model=GenerationJob, statements=_JOB_LIST, row=_job_list_row,
                          params=[tenant.pk, tenant.pk, user.pk, view, user.pk, view])
