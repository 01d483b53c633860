"""Masking jobs: a source database's tables masked into a new dataset version, on the generation jobs' rails.

A masking job is a `GenerationJob` whose parameters say `kind: masking`, with one chunk per source table, so
it is dispatched, claimed, leased, reaped, cancelled and retried exactly as generation jobs are
(docs/jobs.md), and its progress is the tables and rows done. Its chunk (`masking_write_chunk`) reads the
table read-only through a server-side cursor, masks it chunk by chunk under the rules and the tenant key the
job was started with, and writes the version's records (COPY on PostgreSQL) in the chunk's transaction.

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
from django.conf import settings
from django.db import transaction

from apps.audit.services import audit_record
from apps.core.errors import ServiceValidationError
from apps.datasets import services as dataset_services
from apps.datasets.models import VersionStatus
from apps.datasets.persistence import records_write_chunk
from apps.exports.models import TargetConnection
from apps.generation.dispatch import dispatch_on_commit
from apps.generation.models import GenerationJob, JobChunk

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


def masking_job_start(*, tenant, actor, rules, source, name: str = "") -> GenerationJob:
    """Check the rules against the source, then create the dataset, its version, the job and one chunk per
    table; nothing is written when anything is refused (400 with paths)."""
    parsed = rules_parse_or_400(rules)
    key = selectors.active_key(tenant=tenant)
    if key is None:
        raise ServiceValidationError([("key", "this tenant has no masking key yet: make one first")])
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
    try:
        parsed.check_source({table: info["columns"] for table, info in described.items()})
    except RulesError as exc:
        raise ServiceValidationError(rules_problems(exc)) from None
    order = [t for t in parsed.table_order() if t in described] + [t for t in tables if t not in parsed.tables]
    name = (name or "").strip() or f"masked {target.name} {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M:%S.%f}"
    return _create(tenant=tenant, actor=actor, parsed=parsed, rules=rules, described=described, order=order,
                   target=target, key=key, name=name)


@transaction.atomic
def _create(*, tenant, actor, parsed, rules, described, order, target, key, name) -> GenerationJob:
    spec = _spec(parsed, described)
    dataset = dataset_services.dataset_create(tenant=tenant, actor=actor, name=name, spec=spec)
    version, _plan = dataset_services.version_create(dataset=dataset, actor=actor, chunk_size=10**10)
    version.status = VersionStatus.GENERATING
    version.save(update_fields=["status", "updated_at"])
    job = GenerationJob.objects.create(
        tenant=tenant, dataset=dataset, version=version, requested_by=actor,
        parameters={"kind": KIND, "rules": rules_document_mapping(rules),
                    "source": {"target": target.pk, "tables": order},
                    "primary_keys": {t: described[t]["primary_key"] for t in order}, "key_id": key.key_id},
        rows_total=sum(described[t]["rows"] for t in order), chunks_total=len(order),
    )
    JobChunk.objects.bulk_create(JobChunk(job=job, table_name=t, start=0, stop=described[t]["rows"]) for t in order)
    audit_record(action="masking.start", actor=actor, tenant=tenant, target=job,
                 after={"version": version.number, "target": target.pk, "tables": order, "key_id": key.key_id,
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


def _replay_keys(run: MaskingRun, connection, table: str, primary_keys: dict) -> None:
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
        for chunk in sources.read_chunks(connection, ref_table, [ref_column], primary_keys.get(ref_table) or [],
                                         READ_CHUNK_ROWS):
            masker.mask(chunk)


def masking_write_chunk(chunk: JobChunk) -> int:
    """Mask one source table into the version's records (called by the generation chunk runner)."""
    job = chunk.job
    params = job.parameters
    rules = rules_parse_or_400(params["rules"])
    key = selectors.key_by_id(tenant=job.tenant, key_id=params["key_id"])
    if key is None:
        raise RuntimeError("the masking key this job was started with is gone")
    target = TargetConnection.objects.get(tenant=job.tenant, pk=params["source"]["target"])
    connection = sources.open_source(target)
    try:
        with connection.transaction():
            columns = [name for name, _ in sources.table_columns(connection, chunk.table_name)]
            run = MaskingRun(rules, masking_key_bytes(key))
            _replay_keys(run, connection, chunk.table_name, params.get("primary_keys", {}))
            masker = run.table(chunk.table_name, columns)
            order = params.get("primary_keys", {}).get(chunk.table_name) or []
            batches = (_json_rows(masker.mask(part), columns)
                       for part in sources.read_chunks(connection, chunk.table_name, columns, order,
                                                       settings.SYNTHHUB_MASKING_CHUNK_ROWS))
            return records_write_chunk(version_id=job.version_id, table=chunk.table_name, start=chunk.start,
                                       stop=chunk.stop, batches=batches)
    finally:
        connection.close()
