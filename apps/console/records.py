"""The records browser of a version's table: columns as columns, filters on fields (the API's own filter
rules), cursor paging by row index."""

from django.http import Http404
from django.template.response import TemplateResponse
from rest_framework.exceptions import APIException

from apps.datasets.api.filters import data_lookups
from apps.datasets.selectors import records_of

from .base import problems_of

PAGE_ROWS = 50


def _int(raw, default=None):
    try:
        return int(raw)
    except (TypeError, ValueError):
        return default


def records_view(request, model_admin, object_id, table):
    version = model_admin.get_queryset(request).filter(pk=_int(object_id, -1), deleted_at__isnull=True).first()
    if version is None or table not in version.row_counts:
        raise Http404
    columns = list(version.spec_snapshot.get("tables", {}).get(table, {}).get("columns", {}))
    context = {**model_admin.admin_site.each_context(request), "opts": model_admin.opts, "version": version,
               "table": table, "tables": list(version.row_counts), "columns": columns, "rows": [],
               "title": f"{version}: {table}", "filters": {c: request.GET.get(f"data__{c}", "") for c in columns}}
    params = {key: value for key, value in request.GET.items() if key.startswith("data__") and value != ""}
    try:
        queryset = records_of(version=version, table=table).filter(**data_lookups(params, columns=columns))
    except APIException as exc:
        context["problems"] = problems_of(exc)
        return TemplateResponse(request, "console/versions/records.html", context)
    after, before = _int(request.GET.get("after")), _int(request.GET.get("before"))
    if before is not None:
        page = list(queryset.filter(row_index__lt=before).order_by("-row_index")
                    .values_list("row_index", "data")[:PAGE_ROWS])[::-1]
    else:
        page = list(queryset.filter(row_index__gt=-1 if after is None else after).order_by("row_index")
                    .values_list("row_index", "data")[:PAGE_ROWS + 1])
        context["has_next"] = len(page) > PAGE_ROWS
        page = page[:PAGE_ROWS]
    if before is not None:
        context["has_next"] = True
    if page:
        context["first_index"], context["last_index"] = page[0][0], page[-1][0]
        context["has_previous"] = queryset.filter(row_index__lt=page[0][0]).exists()
    context["rows"] = [(index, [data.get(c) for c in columns]) for index, data in page]
    query = "&".join(f"{k}={v}" for k, v in params.items())
    context["filter_query"] = query
    return TemplateResponse(request, "console/versions/records.html", context)
