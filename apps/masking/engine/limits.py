"""Every bound of the masking rules document, in one place (docs/masking.md quotes them)."""

from __future__ import annotations

MAX_DOCUMENT_CHARS = 500_000
MAX_TABLES = 100
MAX_COLUMNS_PER_TABLE = 500
MAX_HASH_LENGTH = 64  # characters of a `hash` output
MAX_SHIFT_DAYS = 36_500  # `shift_date` days: a century either way
MAX_CONSTANT_CHARS = 10_000
MAX_TEMPLATE_CHARS = 1_000
MAX_PREFIX_KEEP = 32  # characters `format_preserving` may keep at the start of a value
MAX_UNIQUE_ATTEMPTS = 32  # re-masks of one colliding value before the table is refused
MAX_INTEGER_DIGITS = 18  # integers masked by `format_preserving` stay inside int64
MIN_KEY_BYTES = 32
