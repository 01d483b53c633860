"""Cursor pagination whose cursors are checked before they reach the database.

A cursor is client input: base64 of `o=<offset>&r=<reverse>&p=<position>`. DRF answers a cursor it cannot
decode with 404, but passes the position straight into `<ordering field>__gt=<position>`, so a position that
is not a value of the ordering field was a 500 (a ValueError for an integer field, a DataError on PostgreSQL
for an out-of-range time zone or a NUL character). Here every bad cursor is a 400 naming `cursor`, and a
`page_size` that is not a positive integer is a 400 naming `page_size` (DRF silently used the default);
a larger one than the list allows is cut to its maximum, as documented.
"""

from datetime import UTC, datetime

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination

from .errors import ServiceValidationError

MAX_POSITION_LENGTH = 1000
# The query parameters of DefaultCursorPagination: a list asked for nothing else is neither filtered, searched
# nor ordered otherwise (lists read through a prepared statement then).
PAGING_PARAMETERS = frozenset({"cursor", "page_size"})


def invalid_cursor(reason: str = "not a cursor this list gave out") -> ServiceValidationError:
    return ServiceValidationError([("cursor", reason)], message="Invalid cursor.")


def _ordering_field(model, path: str):
    field = None
    for part in path.split("__"):
        if model is None:
            return None
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        model = field.related_model
    return field


def clean_position(model, ordering_path: str, position: str) -> str:
    """The position as the ordering field can compare it; ServiceValidationError when it is not one."""
    if len(position) > MAX_POSITION_LENGTH or "\x00" in position:
        raise invalid_cursor()
    field = _ordering_field(model, ordering_path) if model is not None else None
    if field is None:
        return position
    try:
        value = field.to_python(position)
        if isinstance(value, datetime) and value.tzinfo is not None:
            # PostgreSQL accepts offsets up to about 16 hours; Python up to 24. UTC is always storable.
            return value.astimezone(UTC).isoformat()
    except (DjangoValidationError, ValueError, TypeError, OverflowError) as exc:
        raise invalid_cursor() from exc
    return position


class SafeCursorMixin:
    """Mix into any CursorPagination: undecodable cursors and positions of the wrong type are 400s."""

    def paginate_queryset(self, queryset, request, view=None):
        self._model = getattr(queryset, "model", None)
        return super().paginate_queryset(queryset, request, view)

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param) if self.page_size_query_param else None
        if not raw:  # absent or empty, like every optional query parameter
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or not raw.lstrip("0"):
            raise ServiceValidationError([(self.page_size_query_param, "must be a positive integer")],
                                         message="Invalid page size.")
        size = int(raw) if len(raw) <= 18 else None  # longer than any page: the most a page holds
        if self.max_page_size:
            return min(size or self.max_page_size, self.max_page_size)
        return size or self.page_size

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound as exc:
            raise invalid_cursor() from exc
        if cursor is None or cursor.position is None:
            return cursor
        ordering_path = self.ordering[0].lstrip("-")
        position = clean_position(getattr(self, "_model", None), ordering_path, cursor.position)
        return Cursor(offset=cursor.offset, reverse=cursor.reverse, position=position)


class DefaultCursorPagination(SafeCursorMixin, CursorPagination):
    """Cursor pagination: stable pages while rows are added, and no OFFSET scans on deep pages."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
