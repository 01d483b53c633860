"""Every area of the console, imported once so each registers its pages on the console site."""

from . import audit, datasets, documents, exports, jobs, masking, members, schedules, tokens, versions  # noqa: F401
