"""Tenant-scoped reads of the masking app."""

from __future__ import annotations

from .models import MaskingKey, MaskingRuleSet


def active_key(*, tenant) -> MaskingKey | None:
    return MaskingKey.objects.filter(tenant=tenant, active=True).first()


def key_by_id(*, tenant, key_id: str) -> MaskingKey | None:
    return MaskingKey.objects.filter(tenant=tenant, key_id=key_id).first()


def rule_sets(*, tenant):
    return MaskingRuleSet.objects.filter(tenant=tenant).order_by("name")


def keys(*, tenant):
    return MaskingKey.objects.filter(tenant=tenant).order_by("-id")


def rules_suggested(*, tenant, user, profile, locale: str = "en_US") -> tuple[dict, list[dict]]:
    """A draft rules document from a profile's PII findings, keys and foreign keys (apps/masking/suggest.py),
    checked like a saved one and against the columns of the profile's samples; nothing is saved.

    `profile` is an id from a request body: a missing one, another tenant's and one whose samples the user may
    not view all get the same 400. A profile that has not succeeded yet is a 400 too. The draft holds no sample
    value: the suggestion reads only column kinds, findings and keys."""
    from faker.config import AVAILABLE_LOCALES

    from apps.core.errors import ServiceValidationError
    from apps.profiling.models import ProfileStatus
    from apps.profiling.selectors import profiles_visible

    from .engine import RulesError, parse_rules
    from .services import rules_problems
    from .suggest import suggest_rules

    if locale not in AVAILABLE_LOCALES:
        raise ServiceValidationError([("locale", f"Faker has no locale {locale}")])
    found = None
    if isinstance(profile, int) and not isinstance(profile, bool):
        found = profiles_visible(user=user, tenant=tenant).filter(pk=profile).prefetch_related("samples").first()
    if found is None:
        raise ServiceValidationError([("profile", "no such profile in this tenant")])
    if found.status != ProfileStatus.SUCCEEDED:
        raise ServiceValidationError([("profile", f"the profile is not ready (it is {found.status})")])
    document, reasons = suggest_rules(found.result or {}, locale=locale)
    try:
        parsed = parse_rules(document)
        parsed.check_source({sample.table_name: list(sample.columns) for sample in found.samples.all()})
    except RulesError as exc:
        raise ServiceValidationError(rules_problems(exc, "suggestion")) from None
    return document, [reason.as_dict() for reason in reasons]
