"""Masking jobs: a source database's tables, or uploaded samples, masked into a new dataset version, on the
generation jobs' rails.

A masking job is a `GenerationJob` whose parameters say `kind: masking`, with one chunk per source table, so
it is dispatched, claimed, leased, reaped, cancelled and retried exactly as generation jobs are
(docs/jobs.md), and its progress is the tables and rows done (and, inside a running table, the rows read so
far: apps/generation/live.py). Its chunk (`masking_write_chunk`) reads the table read-only (a server-side cursor in one
REPEATABLE READ snapshot, or the sample's stored Parquet copy in record batches), masks it chunk by chunk
under the rules and the tenant key the job was started with, and writes the version's records (COPY on
PostgreSQL) in the chunk's transaction. A table's rows are estimated when the job starts and counted exactly
by its chunk, which corrects the job's total.

Chunks are independent: a table whose foreign keys follow a unique key column first replays that key
column's masking (it reads only that column), so a re-masked key value is followed without any state
passed between tasks, and without storing an original value anywhere.

The version's dataset gets a schema document naming the tables, their columns and their row counts (what
exports and pushes need); its values come from the masking, never from that document.
"""

from __future__ import annotations

import datetime
import decimal
import uuid

import orjson
import psycopg
from django.conf import settings
from django.db import transaction
from django.db.models import F

from apps.audit.services import audit_record
from apps.core.errors import ServiceValidationError
from apps.datasets import services as dataset_services
from apps.datasets.models import VersionStatus
from apps.datasets.persistence import records_write_chunk
from apps.exports.models import TargetConnection
from apps.generation import live
from apps.generation.dispatch import dispatch_on_commit
from apps.generation.models import GenerationJob, JobChunk
from apps.observability import events
from apps.observability.models import EventType, JobKind

from . import selectors, sources
from .engine import MaskingRules, MaskingRun, RulesError
from .services import masking_key_bytes, rules_document_mapping, rules_parse_or_400, rules_problems

KIND = "masking"
READ_CHUNK_ROWS = 20_000

# Column descriptions for the version's schema document: wide enough domains that a primary key of any
# size passes the document's own checks. They describe types; no value is ever drawn from them.
_SPEC_TYPES = {
    "integer": {"type": "integer", "min": 0, "max": 10**15},
    "float": {"type": "float", "min": 0, "max": 1},
    "boolean": {"type": "boolean"},
    "date": {"type": "date", "start": "1900-01-01", "end": "2100-12-31"},
    "datetime": {"type": "datetime", "start": "1900-01-01T00:00:00Z", "end": "2100-12-31T00:00:00Z"},
    "string": {"type": "string", "pattern": "[a-z]{24}"},
}


def is_masking_job(job: GenerationJob) -> bool:
    return (job.parameters or {}).get("kind") == KIND


def _spec(rules: MaskingRules, described: dict[str, dict]) -> dict:
    tables = {}
    for table, info in described.items():
        columns = rules.effective(table, info["columns"])
        tables[table] = {
            "rows": info["rows"],
            "columns": {column: dict(_SPEC_TYPES[rule.type]) for column, rule in columns.items()},
        }
        if info["primary_key"]:
            tables[table]["primary_key"] = info["primary_key"][0]
    return {"version": 1, "name": "masked", "description": "Masked from a source database.", "tables": tables}


def _target(tenant, source) -> tuple[TargetConnection, list[str]]:
    if not isinstance(source, dict):
        raise ServiceValidationError([("source", "{target: id, tables: [names]}")])
    target = TargetConnection.objects.filter(tenant=tenant, pk=source.get("target")).first() if isinstance(
        source.get("target"), int) else None
    if target is None:
        raise ServiceValidationError([("source.target", "no such target connection in this tenant")])
    tables = source.get("tables")
    if not isinstance(tables, list) or not tables or not all(isinstance(t, str) and t for t in tables) \
            or len(set(tables)) != len(tables) or len(tables) > 100:
        raise ServiceValidationError([("source.tables", "a list of distinct table names (1 to 100)")])
    return target, tables


def _samples(tenant, actor, source) -> dict:
    """The samples a job masks, by table name: ids of this tenant's samples the caller may view (a missing one,
    another tenant's and one the caller may not view are the same 400)."""
    from apps.profiling.selectors import samples_visible

    ids = source.get("samples")
    if not isinstance(ids, list) or not ids or len(ids) > 100 or len(set(map(str, ids))) != len(ids) \
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise ServiceValidationError([("source.samples", "a list of distinct sample ids (1 to 100)")])
    visible = {s.pk: s for s in samples_visible(user=actor, tenant=tenant).filter(pk__in=ids)}
    problems, by_table = [], {}
    for index, pk in enumerate(ids):
        sample = visible.get(pk)
        if sample is None:
            problems.append((f"source.samples.{index}", "no such sample in this tenant"))
        elif not sample.file:
            problems.append((f"source.samples.{index}", "the sample has no stored rows yet"))
        elif sample.table_name in by_table:
            problems.append((f"source.samples.{index}", f"another sample of this job is table {sample.table_name}"))
        else:
            by_table[sample.table_name] = sample
    if problems:
        raise ServiceValidationError(problems)
    return by_table


def masking_job_start(*, tenant, actor, rules, source, name: str = "") -> GenerationJob:
    """Check the rules against the source (a target connection's tables, or uploaded samples), then create the
    dataset, its version, the job and one chunk per table; nothing is written when anything is refused (400
    with paths)."""
    parsed = rules_parse_or_400(rules)
    key = selectors.active_key(tenant=tenant)
    if key is None:
        raise ServiceValidationError([("key", "this tenant has no masking key yet: make one first")])
    if isinstance(source, dict) and "samples" in source:
        samples = _samples(tenant, actor, source)
        described = {table: {"columns": list(sample.columns), "primary_key": [], "rows": sample.row_count}
                     for table, sample in samples.items()}
        tables, origin, label = list(samples), {"samples": {t: s.pk for t, s in samples.items()}}, "samples"
    else:
        target, tables = _target(tenant, source)
        try:
            connection = sources.open_source(target)
        except sources.SourceProblem as exc:
            raise ServiceValidationError([(exc.path, str(exc))]) from None
        try:
            with connection.transaction():
                described = sources.describe(connection, tables)
        except sources.SourceProblem as exc:
            raise ServiceValidationError([(exc.path, str(exc))]) from None
        finally:
            connection.close()
        origin, label = {"target": target.pk}, target.name
    try:
        parsed.check_source({table: info["columns"] for table, info in described.items()})
    except RulesError as exc:
        raise ServiceValidationError(rules_problems(exc)) from None
    order = [t for t in parsed.table_order() if t in described] + [t for t in tables if t not in parsed.tables]
    name = (name or "").strip() or f"masked {label} {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M:%S.%f}"
    return _create(tenant=tenant, actor=actor, parsed=parsed, rules=rules, described=described, order=order,
                   origin=origin, key=key, name=name)


@transaction.atomic
def _create(*, tenant, actor, parsed, rules, described, order, origin, key, name) -> GenerationJob:
    spec = _spec(parsed, described)
    dataset = dataset_services.dataset_create(tenant=tenant, actor=actor, name=name, spec=spec)
    version, _plan = dataset_services.version_create(dataset=dataset, actor=actor, chunk_size=10**10)
    version.status = VersionStatus.GENERATING
    version.save(update_fields=["status", "updated_at"])
    job = GenerationJob.objects.create(
        tenant=tenant, dataset=dataset, version=version, requested_by=actor,
        parameters={"kind": KIND, "rules": rules_document_mapping(rules),
                    "source": {**origin, "tables": order},
                    "primary_keys": {t: described[t]["primary_key"] for t in order}, "key_id": key.key_id},
        rows_total=sum(described[t]["rows"] for t in order), chunks_total=len(order),
    )
    JobChunk.objects.bulk_create(JobChunk(job=job, table_name=t, start=0, stop=described[t]["rows"]) for t in order)
    # Its timeline is a generation job's (claims, tables done, retries, failure, cancel: apps.generation.services).
    source = f"target {origin['target']}" if "target" in origin else f"{len(origin['samples'])} samples"
    events.record(kind=JobKind.GENERATION, job_id=job.pk, tenant_id=tenant.pk, type=EventType.QUEUED,
                  message=f"queued: masking {len(order)} tables of {source}, {job.rows_total} rows, "
                          f"requested by {events.actor_name(actor)}", rows=job.rows_total)
    audit_record(action="masking.start", actor=actor, tenant=tenant, target=job,
                 after={"version": version.number, **origin, "tables": order, "key_id": key.key_id,
                        "rows_total": job.rows_total})
    dispatch_on_commit()
    return job


# ------------------------------------------------------------------------------------------ the chunk
def _json_default(value):
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).hex()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    raise TypeError(type(value).__name__)


def _json_rows(chunk: dict[str, list], columns: list[str]) -> list[bytes]:
    dumps = orjson.dumps
    return [dumps(dict(zip(columns, row, strict=True)), default=_json_default)
            for row in zip(*(chunk[c] for c in columns), strict=True)]


class _TargetReader:
    """A target connection's tables, read in one REPEATABLE READ snapshot: the count and the rows agree."""

    def __init__(self, connection, primary_keys: dict):
        self.connection, self.primary_keys = connection, primary_keys

    def columns(self, table: str) -> list[str]:
        return [name for name, _ in sources.table_columns(self.connection, table)]

    def count(self, table: str) -> int:
        return sources.row_count(self.connection, table)

    def chunks(self, table: str, columns: list[str], chunk_rows: int):
        return sources.read_chunks(self.connection, table, columns, self.primary_keys.get(table) or [], chunk_rows)


class _SampleReader:
    """Uploaded samples (their stored Parquet copy), streamed in record batches in file order, typed as the
    profiler types them."""

    def __init__(self, samples: dict):
        self.samples = samples

    def columns(self, table: str) -> list[str]:
        return list(self.samples[table].columns)

    def count(self, table: str) -> int:
        return self.samples[table].row_count

    def chunks(self, table: str, columns: list[str], chunk_rows: int):
        from apps.profiling.selectors import sample_batches

        for batch in sample_batches(self.samples[table], typed=True, batch_rows=chunk_rows):
            names = batch.schema.names
            yield {name: batch.column(names.index(name)).to_pylist() for name in columns}


def _replay_keys(run: MaskingRun, reader, table: str) -> None:
    """Replay the masking of every unique key column this table's foreign keys follow (only that column)."""
    done = set()
    for column in run.rules.tables.get(table, {}).values():
        if not column.references:
            continue
        ref_table, ref_column = column.references
        key = run.rules.tables[ref_table][ref_column]
        if not key.unique or (ref_table, ref_column) in done or ref_table == table:
            continue
        done.add((ref_table, ref_column))
        masker = run.table(ref_table, [ref_column])
        for chunk in reader.chunks(ref_table, [ref_column], READ_CHUNK_ROWS):
            masker.mask(chunk)


def _job_samples(job: GenerationJob) -> dict:
    """The job's samples by table, still live and still viewable by whoever started the job."""
    from apps.profiling.selectors import samples_visible

    wanted = job.parameters["source"]["samples"]
    if job.requested_by is None:
        raise RuntimeError("the member who started this masking job is gone")
    found = {s.pk: s for s in samples_visible(user=job.requested_by, tenant=job.tenant).filter(
        pk__in=list(wanted.values()))}
    if len(found) != len(wanted):
        raise RuntimeError("a sample of this job was deleted, or its starter may no longer view it")
    return {table: found[pk] for table, pk in wanted.items()}


def _mask_table(job: GenerationJob, chunk: JobChunk, reader, key: bytes) -> int:
    rules = rules_parse_or_400(job.parameters["rules"])
    columns = reader.columns(chunk.table_name)
    run = MaskingRun(rules, key)
    _replay_keys(run, reader, chunk.table_name)
    masker = run.table(chunk.table_name, columns)
    exact = reader.count(chunk.table_name)
    done = 0
    reporter = live.ChunkReporter(chunk)
    reporter.start(exact)

    def batches():
        nonlocal done
        for part in reader.chunks(chunk.table_name, columns, settings.SYNTHHUB_MASKING_CHUNK_ROWS):
            rows = _json_rows(masker.mask(part), columns)
            done += len(rows)
            reporter.report(done, exact)
            yield rows

    try:
        written = records_write_chunk(version_id=job.version_id, table=chunk.table_name, start=chunk.start,
                                      stop=chunk.start + exact, batches=batches())
    except BaseException:
        reporter.close()
        reporter.clear()
        raise
    reporter.close()
    expected = chunk.stop - chunk.start
    if exact != expected:  # the job started with an estimate: the chunk and the job's total take the count
        JobChunk.objects.filter(pk=chunk.pk).update(stop=chunk.start + exact)
        GenerationJob.objects.filter(pk=job.pk).update(rows_total=F("rows_total") + (exact - expected))
    transaction.on_commit(reporter.clear)  # until then the report stands for the uncommitted rows
    return written


def masking_write_chunk(chunk: JobChunk) -> int:
    """Mask one source table into the version's records (called by the generation chunk runner)."""
    job = chunk.job
    params = job.parameters
    key = selectors.key_by_id(tenant=job.tenant, key_id=params["key_id"])
    if key is None:
        raise RuntimeError("the masking key this job was started with is gone")
    if "samples" in params["source"]:
        return _mask_table(job, chunk, _SampleReader(_job_samples(job)), masking_key_bytes(key))
    target = TargetConnection.objects.get(tenant=job.tenant, pk=params["source"]["target"])
    connection = sources.open_source(target)
    connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
    try:
        with connection.transaction():
            reader = _TargetReader(connection, params.get("primary_keys", {}))
            return _mask_table(job, chunk, reader, masking_key_bytes(key))
    finally:
        connection.close()
