"""The API's router: path parameters match only values their field can hold, so anything else is a 404.

DRF's default lookup pattern (`[^/.]+`) hands `abc`, `%00` or a 30-digit number to the view, where the
database layer turns them into 500s (a ValueError for a non-integer id, a DataError for NUL on PostgreSQL,
an OverflowError on SQLite). Here an integer key matches 1 to 19 digits and a slug matches slug characters;
a route whose key is neither says what its key looks like (`register(..., lookup_value=...)` or the
viewset's `lookup_value_regex`), or the router refuses it when the URL conf loads.
"""

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import models
from rest_framework.routers import SimpleRouter

# Up to 19 digits: every bigint (and int) fits, and longer values never reach the database. A 19-digit value
# above the bigint range matches, and Django's integer lookups treat it as "no such row" (404).
ID_PATTERN = r"[0-9]{1,19}"
SLUG_PATTERN = r"[-a-zA-Z0-9_]{1,100}"


def id_segment(name: str) -> str:
    """A named integer path segment for a router prefix, e.g. `datasets/{id_segment("dataset_pk")}/versions`."""
    return rf"(?P<{name}>{ID_PATTERN})"


def _lookup_model_field(viewset, lookup_field: str):
    queryset = getattr(viewset, "queryset", None)
    model = getattr(queryset, "model", None)
    if model is None:
        return None
    try:
        return model._meta.pk if lookup_field == "pk" else model._meta.get_field(lookup_field)
    except FieldDoesNotExist:
        return None


def lookup_pattern(viewset, declared: str | None = None) -> str:
    """The regular expression a viewset's lookup value must match."""
    declared = declared or getattr(viewset, "lookup_value_regex", None)
    if declared:
        return declared
    lookup_field = getattr(viewset, "lookup_field", "pk")
    field = _lookup_model_field(viewset, lookup_field)
    if isinstance(field, (models.AutoField, models.IntegerField)) or (field is None and lookup_field in ("pk", "id")):
        return ID_PATTERN
    if isinstance(field, models.SlugField) or (field is None and lookup_field == "slug"):
        return SLUG_PATTERN
    raise ImproperlyConfigured(
        f"{viewset.__name__}: the lookup '{lookup_field}' is not an integer or slug field; "
        "register it with lookup_value=<regex> so that malformed values are a 404, not a database error"
    )


class Router(SimpleRouter):
    """SimpleRouter whose default lookup value is typed by the viewset's model field (see the module doc)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._lookup_values: dict[type, str] = {}

    def register(self, prefix, viewset, basename=None, *, lookup_value: str | None = None):
        super().register(prefix, viewset, basename)
        if lookup_value:
            self._lookup_values[viewset] = lookup_value

    def get_lookup_regex(self, viewset, lookup_prefix=""):
        lookup_field = getattr(viewset, "lookup_field", "pk")
        lookup_url_kwarg = getattr(viewset, "lookup_url_kwarg", None) or lookup_field
        return self._base_pattern.format(
            lookup_prefix=lookup_prefix, lookup_url_kwarg=lookup_url_kwarg,
            lookup_value=lookup_pattern(viewset, self._lookup_values.get(viewset)),
        )
