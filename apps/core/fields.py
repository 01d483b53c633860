"""Model fields shared by the apps."""

import json

import orjson
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


def loads(text):
    """JSON text as Python objects, keys in their written order: orjson, several times faster than json on a
    schema document; what orjson refuses and json reads (NaN, Infinity, integers beyond 64 bits, which
    `json.dumps` writes) goes through json."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


class OrderedJSONField(models.TextField):
    """JSON stored as text, so the order of keys survives a round trip.

    PostgreSQL's JSONB sorts object keys; a schema document's column and table order is part of its
    meaning (it orders the columns of every row and file), so documents are kept as written.
    """

    description = "JSON kept as text, key order preserved"

    def from_db_value(self, value, expression, connection):
        return None if value is None else loads(value)

    def to_python(self, value):
        if isinstance(value, str):
            return json.loads(value)
        return value

    def get_prep_value(self, value):
        if value is None:
            return None
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)

    def value_to_string(self, obj):
        return self.get_prep_value(self.value_from_object(obj))
