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
