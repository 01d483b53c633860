"""Column statistics of a version's table, computed by the database and cached per version (a ready version
never changes): a histogram for numbers and dates, the top values for text and choices, and the null share."""

from django.core.cache import cache
from django.db import DatabaseError, transaction
from django.db.models import Count, FloatField, Max, Min
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Floor, Substr

from apps.datasets.models import Record

NUMERIC_TYPES = {"integer", "float", "decimal", "sequence", "number", "money", "latitude", "longitude",
                 "distribution"}
DATE_TYPES = {"date", "datetime", "timestamp", "timeseries", "series_time", "date_between", "time"}
BUCKETS = 20
TOP_VALUES = 10
CACHE_SECONDS = 7 * 24 * 3600


def column_kind(column: dict) -> str:
    kind = str(column.get("type", ""))
    if kind in NUMERIC_TYPES:
        return "number"
    if kind in DATE_TYPES or "date" in kind or "time" in kind:
        return "date"
    return "text"


def _numbers(rows, key: str) -> dict:
    values = rows.annotate(v=Cast(KeyTextTransform(key, "data"), FloatField())).exclude(v__isnull=True)
    bounds = values.aggregate(low=Min("v"), high=Max("v"))
    low, high = bounds["low"], bounds["high"]
    if low is None:
        return {"buckets": []}
    width = (high - low) / BUCKETS or 1.0
    counted = dict(values.annotate(b=Floor((Cast("v", FloatField()) - low) / width)).values("b")
                   .annotate(n=Count("id")).values_list("b", "n"))
    buckets = []
    for index in range(BUCKETS):
        n = counted.get(float(index), 0) + (counted.get(float(BUCKETS), 0) if index == BUCKETS - 1 else 0)
        buckets.append((f"{low + index * width:.4g}", n))
    return {"buckets": buckets, "min": low, "max": high}


def _dates(rows, key: str) -> dict:
    text = rows.annotate(v=KeyTextTransform(key, "data")).exclude(v__isnull=True)
    months = list(text.annotate(b=Substr("v", 1, 7)).values("b").annotate(n=Count("id")).order_by("b")
                  .values_list("b", "n")[:240])
    if len(months) == 1:  # one month: by day
        months = list(text.annotate(b=Substr("v", 1, 10)).values("b").annotate(n=Count("id")).order_by("b")
                      .values_list("b", "n")[:62])
    return {"buckets": months}


def _top(rows, key: str) -> dict:
    values = rows.annotate(v=KeyTextTransform(key, "data")).exclude(v__isnull=True)
    top = list(values.values("v").annotate(n=Count("id")).order_by("-n", "v").values_list("v", "n")[:TOP_VALUES])
    return {"top": [(str(v)[:80], n) for v, n in top], "distinct_shown": len(top)}


def table_stats(version, table: str) -> list[dict]:
    key = f"console:stats:v1:{version.pk}:{version.updated_at.timestamp()}:{table}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    columns = version.spec_snapshot.get("tables", {}).get(table, {}).get("columns", {})
    rows = Record.objects.filter(version=version, table_name=table)
    total = rows.count()
    stats = []
    for name, column in columns.items():
        kind = column_kind(column if isinstance(column, dict) else {})
        present = rows.annotate(v=KeyTextTransform(name, "data")).exclude(v__isnull=True).count()
        entry = {"column": name, "kind": kind, "type": column.get("type") if isinstance(column, dict) else "",
                 "total": total, "nulls": total - present,
                 "null_share": round(100 * (total - present) / total, 1) if total else 0.0}
        if present:
            try:
                with transaction.atomic():  # a value the cast cannot read must not abort the request's transaction
                    entry.update(_numbers(rows, name) if kind == "number" else _dates(rows, name)
                                 if kind == "date" else _top(rows, name))
            except DatabaseError:
                entry.update(kind="text", **_top(rows, name))
        stats.append(entry)
    cache.set(key, stats, CACHE_SECONDS)
    return stats
