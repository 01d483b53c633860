"""A version 1.1 document with bounds from other columns, date expressions and draws, shared by the tests."""

import copy

from .helpers import generate_table

COHERENT = {
    "version": 1.1,
    "name": "coherent",
    "seed": 11,
    "tables": {
        "signers": {
            "rows": 30,
            "primary_key": "id",
            "columns": {
                "id": {"type": "sequence"},
                "valid_from": {"type": "date", "start": "2012-01-01", "end": "2022-01-01"},
                "valid_to": {"type": "date", "start": "valid_from + 1y", "end": "valid_from + 3y"},
                "max_tokens": {"type": "integer", "min": 10, "max": 500},
            },
        },
        "passports": {
            "rows": 400,
            "columns": {
                # Listed before the columns they read: the engine orders columns by their dependencies.
                "expiry_date": {"type": "date", "start": "issue_date + 5y", "end": "issue_date + 10y - 1d"},
                "issue_date": {"type": "date", "start": "max(birth_date + 16y, signer.valid_from)",
                               "end": "min(today, signer.valid_to)", "on_empty": "null"},
                "birth_date": {"type": "date", "start": "-90y", "end": "-18y"},
                "signer": {"type": "reference", "table": "signers"},
                "signed_at": {"type": "datetime", "start": "issue_date", "end": "issue_date + 1d - 1s"},
                "tokens": {"type": "integer", "min": 1, "max": "signer.max_tokens",
                           "distribution": {"normal": {"std": 40}}},
                "score": {"type": "float", "min": "tokens / 2", "max": "tokens", "precision": 1},
                "age_at_issue": {"type": "expression", "expr": "years_between(birth_date, issue_date)"},
                "valid_days": {"type": "expression", "expr": "expiry_date - issue_date"},
                "adult": {"type": "expression", "expr": "age_at_issue >= 18 and not (valid_days < 0)"},
                "noisy": {"type": "expression", "expr": "valid_days + normal(0, 5)"},
            },
        },
    },
}


def coherent(**changes) -> dict:
    """A copy of COHERENT with passports columns replaced or added."""
    doc = copy.deepcopy(COHERENT)
    doc["tables"]["passports"]["columns"].update(copy.deepcopy(changes))
    return doc


def passports(doc=None, **kwargs) -> list[dict]:
    return generate_table(doc or COHERENT, "passports", **kwargs)
