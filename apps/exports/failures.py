"""Why an export or a push failed, as a category and a sentence of the platform's own.

The driver's text is never stored or shown: it names internal hosts, users and databases (a target that
answers "role x does not exist" or "no route to host" turns pushes into a network probe), and a library's
message can quote a value. The full exception goes to the server log, at WARNING, without row values.
"""

from __future__ import annotations

import psycopg
from django.db import DatabaseError

from .models import FailureReason
from .push import PlatformReadFailed
from .target_tables import UnmanagedTable
from .targets import TargetNameUnresolved, TargetNotAllowed, TargetUnreachable

# PostgreSQL's SQLSTATE classes (the first two characters): the class name is all a target error keeps.
SQLSTATE_CLASSES = {
    "00": "successful_completion", "01": "warning", "02": "no_data", "03": "sql_statement_not_yet_complete",
    "08": "connection_exception", "09": "triggered_action_exception", "0A": "feature_not_supported",
    "0B": "invalid_transaction_initiation", "0F": "locator_exception", "0L": "invalid_grantor",
    "0P": "invalid_role_specification", "0Z": "diagnostics_exception", "20": "case_not_found",
    "21": "cardinality_violation", "22": "data_exception", "23": "integrity_constraint_violation",
    "24": "invalid_cursor_state", "25": "invalid_transaction_state", "26": "invalid_sql_statement_name",
    "27": "triggered_data_change_violation", "28": "invalid_authorization_specification",
    "2B": "dependent_privilege_descriptors_still_exist", "2D": "invalid_transaction_termination",
    "2F": "sql_routine_exception", "34": "invalid_cursor_name", "38": "external_routine_exception",
    "39": "external_routine_invocation_exception", "3B": "savepoint_exception", "3D": "invalid_catalog_name",
    "3F": "invalid_schema_name", "40": "transaction_rollback", "42": "syntax_error_or_access_rule_violation",
    "44": "with_check_option_violation", "53": "insufficient_resources", "54": "program_limit_exceeded",
    "55": "object_not_in_prerequisite_state", "57": "operator_intervention", "58": "system_error",
    "72": "snapshot_failure", "F0": "config_file_error", "HV": "fdw_error", "P0": "plpgsql_error",
    "XX": "internal_error",
}
# Connection failures carry no SQLSTATE (libpq reports them as text): recognised by libpq's own wording,
# only to choose the category.
_CONNECT_PATTERNS = (
    (FailureReason.TIMEOUT, ("timeout expired", "timed out")),
    (FailureReason.TLS_FAILED, ("ssl", "tls", "certificate")),
    (FailureReason.AUTH_FAILED, ("authentication failed", "password", "no pg_hba.conf entry",
                                 "role \"", "permission denied for database", "not permitted to log in")),
    (FailureReason.DNS_FAILED, ("could not translate host name", "failed to resolve host")),
    (FailureReason.REFUSED, ("connection refused", "no route to host", "network is unreachable",
                             "could not connect", "server closed the connection")),
)
_MESSAGES = {
    FailureReason.REFUSED: "the target refused the connection",
    FailureReason.AUTH_FAILED: "the target did not accept the user or password",
    FailureReason.TIMEOUT: "the target did not answer in time",
    FailureReason.DNS_FAILED: "the target's host name could not be resolved",
    FailureReason.TLS_FAILED: "the TLS handshake with the target failed",
    FailureReason.DATABASE_ERROR: "reading the version's records failed",
    FailureReason.STORAGE_ERROR: "writing the file failed",
    FailureReason.STALLED: "its worker stopped before it finished",
    FailureReason.INTERNAL_ERROR: "an unexpected error; the server log has the details",
}


def failure(code: FailureReason, detail: str | None = None) -> tuple[str, str]:
    return code.value, detail or _MESSAGES[code]


def _sqlstate_class(sqlstate: str | None) -> str:
    return SQLSTATE_CLASSES.get((sqlstate or "")[:2], "unknown")


def _classify_connect(cause: BaseException | None) -> tuple[str, str]:
    text = str(cause or "").lower()  # read to choose a category, never stored
    for code, patterns in _CONNECT_PATTERNS:
        if any(pattern in text for pattern in patterns):
            return failure(code)
    return failure(FailureReason.REFUSED)


def classify_push(exc: BaseException) -> tuple[str, str]:
    """(category, message) of a push that raised `exc`."""
    if isinstance(exc, (TargetNotAllowed, UnmanagedTable)):
        return failure(FailureReason.NOT_ALLOWED, str(exc))
    if isinstance(exc, TargetNameUnresolved):
        return failure(FailureReason.DNS_FAILED)
    if isinstance(exc, TargetUnreachable):
        return _classify_connect(exc.__cause__)
    if isinstance(exc, PlatformReadFailed):
        return failure(FailureReason.DATABASE_ERROR)
    if isinstance(exc, psycopg.errors.QueryCanceled | psycopg.errors.LockNotAvailable):
        return failure(FailureReason.TIMEOUT, "a statement on the target ran past its time limit")
    if isinstance(exc, psycopg.Error):
        sqlstate = getattr(exc, "sqlstate", None)
        if sqlstate and sqlstate.startswith("28"):
            return failure(FailureReason.AUTH_FAILED)
        if sqlstate:
            return failure(FailureReason.TARGET_ERROR,
                           f"the target answered with an error of class {_sqlstate_class(sqlstate)}")
        return failure(FailureReason.TARGET_ERROR, "the connection to the target was lost or failed")
    if isinstance(exc, DatabaseError):
        return failure(FailureReason.DATABASE_ERROR)
    if isinstance(exc, TimeoutError):
        return failure(FailureReason.TIMEOUT)
    return failure(FailureReason.INTERNAL_ERROR)


def classify_export(exc: BaseException) -> tuple[str, str]:
    if isinstance(exc, DatabaseError | psycopg.Error):
        return failure(FailureReason.DATABASE_ERROR)
    if isinstance(exc, OSError):
        return failure(FailureReason.STORAGE_ERROR)
    return failure(FailureReason.INTERNAL_ERROR)


def log_failure(logger, *, what: str, pk: int, code: str, exc: BaseException) -> None:
    """The failure in the server log at WARNING: category, exception type, SQLSTATE and the stack.

    The exception's own text is left out except where the platform wrote it or it comes from the
    connection attempt (an operator needs that one): a driver's or a writer's message can quote a row value.
    """
    import traceback

    parts = [f"{type(exc).__module__}.{type(exc).__qualname__}"]
    if isinstance(exc, (TargetNotAllowed, UnmanagedTable, TargetNameUnresolved)):
        parts.append(str(exc))
    elif isinstance(exc, TargetUnreachable) and exc.__cause__ is not None:
        parts.append(f"cause: {str(exc.__cause__).strip()}")
    sqlstate = getattr(exc, "sqlstate", None) or getattr(exc.__cause__, "sqlstate", None)
    if sqlstate:
        parts.append(f"sqlstate {sqlstate} ({_sqlstate_class(sqlstate)})")
    stack = "".join(traceback.format_tb(exc.__traceback__))
    logger.warning("%s %s failed (%s): %s\n%s", what, pk, code, "; ".join(parts), stack)
