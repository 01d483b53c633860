"""Reads of samples and profiles, and the tables other features compare against (the quality reports).

Public, for the quality and privacy reports (they take objects the caller's access was checked on):

- `sample_arrow(sample, typed=True) -> pyarrow.Table`: the whole sample table; with `typed` its text columns
  are converted to the types the profiler infers (int64, float64, bool, date32, timestamp[us, UTC]), the same
  conversion the profile used. `sample_batches(sample, typed=True)` streams it in record batches.
- `sample_dataframe(sample, typed=True)`: the same as a pandas DataFrame (needs pandas installed).
- `samples_by_table(profile) -> dict[str, Sample]`: a profile's samples under the table names of its spec.
- `version_arrow(version, table) -> pyarrow.Table`: the live records of one table of a version, in row order,
  typed by the version's spec (dates and datetimes as date32 / timestamp[us, UTC]); `version_dataframe` is its
  pandas form.
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pyarrow as pa
from django.core.files.storage import default_storage
from django.http import Http404

from .column_kinds import column_types_of, convert_batch
from .models import Profile, Sample
from .permissions import profiles_allowed, sample_allowed_filter, user_may_sample
from .readers import iter_stored


def samples_visible(*, user, tenant, action: str = "view"):
    return Sample.objects.filter(tenant=tenant).filter(sample_allowed_filter(user=user, action=action))


def sample_for(*, user, tenant, pk, action: str = "view") -> Sample:
    """The sample if the user may view it (else 404) and holds `action` on it (else 403)."""
    from rest_framework.exceptions import PermissionDenied

    try:
        sample = samples_visible(user=user, tenant=tenant).filter(pk=pk).first()
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    if sample is None:
        raise Http404
    if action != "view" and not user_may_sample(user=user, sample=sample, action=action):
        raise PermissionDenied(f"You do not have the '{action}' permission on this sample.")
    return sample


def profiles_visible(*, user, tenant):
    return profiles_allowed(Profile.objects.all(), user=user, tenant=tenant)


def profile_for(*, user, tenant, pk) -> Profile:
    try:
        profile = profiles_visible(user=user, tenant=tenant).filter(pk=pk).first()
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    if profile is None:
        raise Http404
    return profile


def samples_by_table(profile: Profile) -> dict[str, Sample]:
    return {sample.table_name: sample for sample in profile.samples.all().order_by("pk")}


def _stored(sample: Sample):
    return default_storage.open(sample.file.name, "rb")


def sample_batches(sample: Sample, *, typed: bool = True, batch_rows: int = 65_536) -> Iterator[pa.RecordBatch]:
    """The sample's rows in record batches (bounded memory); `typed`: text columns converted as profiled."""
    types = None
    if typed:
        with _stored(sample) as handle:
            types = column_types_of(iter_stored(handle, batch_rows=batch_rows))
    with _stored(sample) as handle:
        for batch in iter_stored(handle, batch_rows=batch_rows):
            yield convert_batch(batch, types) if types else batch


def sample_arrow(sample: Sample, *, typed: bool = True) -> pa.Table:
    batches = list(sample_batches(sample, typed=typed))
    if not batches:
        return pa.table({name: pa.array([], pa.string()) for name in sample.columns})
    return pa.Table.from_batches(batches)


def sample_dataframe(sample: Sample, *, typed: bool = True):
    return sample_arrow(sample, typed=typed).to_pandas()


def version_arrow(version, table: str) -> pa.Table:
    """One table of a generated version as Arrow columns, typed from the version's spec snapshot."""
    from apps.exports.selectors import record_rows

    rows = [orjson.loads(data) for data in record_rows(version_id=version.pk, table=table)]
    spec_columns = list(((version.spec_snapshot or {}).get("tables", {}).get(table, {}) or {}).get("columns", {}))
    names = spec_columns or (list(rows[0]) if rows else [])
    arrays = {name: pa.array([row.get(name) for row in rows]) for name in names}
    raw = pa.table(arrays) if arrays else pa.table({})
    if not raw.num_columns:
        return raw
    text = pa.table({name: pa.array([None if v is None else str(v) for v in column.to_pylist()], pa.string())
                     if pa.types.is_string(column.type) else column for name, column in zip(
                         raw.column_names, raw.columns, strict=True)})
    types = column_types_of(text.to_batches())
    return pa.Table.from_batches([convert_batch(batch, types) for batch in text.to_batches()], schema=None) \
        if text.num_rows else text


def version_dataframe(version, table: str):
    return version_arrow(version, table).to_pandas()
