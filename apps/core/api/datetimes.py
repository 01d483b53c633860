"""Date-time query filters that accept only values every database can compare.

django-filter's IsoDateTimeFilter passes an aware value on as written. An offset Python accepts can still be
out of range for the database (PostgreSQL refuses offsets beyond about 16 hours), and converting a value near
year 1 or 9999 to UTC overflows (a 500 on SQLite). Here the value is converted to UTC while it is parsed, so
such input is a 400 naming the parameter, and the database only ever sees UTC.
"""

from datetime import UTC

from django.core.exceptions import ValidationError
from django_filters import IsoDateTimeFilter
from django_filters.fields import IsoDateTimeField


class UtcIsoDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        result = super().to_python(value)
        if result is None or result.tzinfo is None:
            return result
        try:
            return result.astimezone(UTC)
        except OverflowError as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc


class UtcIsoDateTimeFilter(IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField
