"""Every area of the console, imported once so each registers its pages on the console site."""

from . import (  # noqa: F401
    audit,
    datasets,
    documents,
    exports,
    jobs,
    masking,
    members,
    profiles,
    samples,
    schedules,
    tokens,
    versions,
    webhooks,
)
