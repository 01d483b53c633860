"""Every column type, collected from the modules of this package (one module per type, each with an `ENTRY`).

Modules whose name starts with `_` hold helpers shared by several types; `base` and `registry` are the
machinery. Types are listed in ORDER (the order error messages and docs name them), then any other type
module in name order, so a new type needs only its module.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from .base import ColumnType

ORDER = (
    "sequence", "integer", "float", "boolean", "choice", "string", "uuid", "date", "datetime", "time", "faker",
    "template", "expression", "reference", "lookup", "array", "object", "timeseries", "series_time", "constant",
    "vin", "credit_card", "iban", "national_id", "mrz_td3", "document_mrz", "x509_certificate", "crl", "master_list",
    "sod", "mdoc", "dtc", "test_private_key",
)
_MACHINERY = frozenset({"base", "registry"})


@cache
def _entries() -> dict[str, ColumnType]:
    package = __name__.rsplit(".", 1)[0]
    found: dict[str, ColumnType] = {}
    for module in pkgutil.iter_modules(importlib.import_module(package).__path__):
        if module.name.startswith("_") or module.name in _MACHINERY:
            continue
        entry = importlib.import_module(f"{package}.{module.name}").ENTRY
        if entry.name != module.name:
            raise ValueError(f"types/{module.name}.py declares type {entry.name!r}; a type's module is named after it")
        found[entry.name] = entry
    ranked = {name: i for i, name in enumerate(ORDER)}
    return {name: found[name] for name in sorted(found, key=lambda n: (ranked.get(n, len(ORDER)), n))}


def get(name: str) -> ColumnType | None:
    """The entry of a column type, None for an unknown name."""
    return _entries().get(name) if isinstance(name, str) else None


def names() -> tuple[str, ...]:
    """Every column type name."""
    return tuple(_entries())


def entries() -> tuple[ColumnType, ...]:
    return tuple(_entries().values())
