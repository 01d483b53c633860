"""Every write of the masking app: keys (make, rotate), rules documents (save). Audited, never with a secret.

The masking key is the UTF-8 bytes of the secret text, so the secret shown at creation works as it is with
`mask_file --key-file` and gives the same outputs as the platform's jobs.
"""

from __future__ import annotations

import hashlib
import secrets

from django.db import IntegrityError, transaction

from apps.audit.services import audit_record
from apps.core.errors import Conflict, ServiceValidationError
from apps.exports.encryption import decrypt_secret, encrypt_secret

from .engine import RulesError, parse_rules
from .models import MaskingKey, MaskingRuleSet


def key_id_of(secret: str) -> str:
    # A one-way id of the secret (salted sha256, 64 bits): tells keys apart in lists and the audit trail.
    return hashlib.sha256(b"synthhub-masking-key-id\x00" + secret.encode()).hexdigest()[:16]


@transaction.atomic
def masking_key_rotate(*, tenant, actor) -> tuple[MaskingKey, str]:
    """Make the tenant's new active masking key (the first one, or a rotation); returns it and its secret,
    which is never readable again through the platform."""
    previous = MaskingKey.objects.select_for_update().filter(tenant=tenant, active=True).first()
    if previous is not None:
        previous.active = False
        previous.save(update_fields=["active", "updated_at"])
    secret = secrets.token_urlsafe(32)  # 43 characters, 256 bits
    try:
        key = MaskingKey.objects.create(tenant=tenant, secret_encrypted=encrypt_secret(secret),
                                        key_id=key_id_of(secret), created_by=actor)
    except IntegrityError as exc:
        raise Conflict("Another rotation happened at the same moment; try again.") from exc
    audit_record(action="masking_key.rotate" if previous else "masking_key.create", actor=actor, tenant=tenant,
                 target=key, before={"key_id": previous.key_id} if previous else None, after={"key_id": key.key_id})
    return key, secret


def masking_key_bytes(key: MaskingKey) -> bytes:
    """The key material for the engine (workers only; never returned by the API or logged)."""
    return decrypt_secret(key.secret_encrypted).encode()


def rules_problems(exc: RulesError, prefix: str = "rules") -> list[tuple[str, str]]:
    return [(f"{prefix}.{p.path}" if p.path else prefix, p.message) for p in exc.problems]


def rules_parse_or_400(document, prefix: str = "rules"):
    try:
        return parse_rules(document)
    except RulesError as exc:
        raise ServiceValidationError(rules_problems(exc, prefix)) from None


def rules_document_mapping(document) -> dict:
    rules_parse_or_400(document, "document")
    if isinstance(document, (str, bytes)):
        from .engine.rules import load_rules_text

        document = load_rules_text(document.decode() if isinstance(document, bytes) else document)
    return document


@transaction.atomic
def rule_set_create(*, tenant, actor, name: str, document) -> MaskingRuleSet:
    mapping = rules_document_mapping(document)
    if MaskingRuleSet.objects.filter(tenant=tenant, name=name).exists():
        raise ServiceValidationError([("name", "a rules document of this name exists")])
    rule_set = MaskingRuleSet.objects.create(tenant=tenant, name=name, document=mapping, created_by=actor)
    audit_record(action="masking_rules.create", actor=actor, tenant=tenant, target=rule_set,
                 after={"name": name, "tables": sorted(mapping.get("tables", {}))})
    return rule_set


@transaction.atomic
def rule_set_update(*, rule_set: MaskingRuleSet, actor, name: str | None = None, document=None) -> MaskingRuleSet:
    before = {"name": rule_set.name, "tables": sorted(rule_set.document.get("tables", {}))}
    if document is not None:
        rule_set.document = rules_document_mapping(document)
    if name is not None and name != rule_set.name:
        if MaskingRuleSet.objects.filter(tenant=rule_set.tenant, name=name).exclude(pk=rule_set.pk).exists():
            raise ServiceValidationError([("name", "a rules document of this name exists")])
        rule_set.name = name
    rule_set.save()
    audit_record(action="masking_rules.update", actor=actor, tenant=rule_set.tenant, target=rule_set, before=before,
                 after={"name": rule_set.name, "tables": sorted(rule_set.document.get("tables", {}))})
    return rule_set


@transaction.atomic
def rule_set_delete(*, rule_set: MaskingRuleSet, actor) -> None:
    audit_record(action="masking_rules.delete", actor=actor, tenant=rule_set.tenant, target=rule_set,
                 before={"name": rule_set.name})
    rule_set.delete()


def masking_stream(*, tenant, actor, source, destination, rules, tables: list[str], progress=None):
    """Streaming mode (apps/masking/streaming.py) under the tenant's active key, audited with row counts only."""
    from . import selectors, sources, streaming

    parsed = rules_parse_or_400(rules)
    key = selectors.active_key(tenant=tenant)
    if key is None:
        raise ServiceValidationError([("key", "this tenant has no masking key yet: make one first")])
    if source.tenant_id != tenant.pk or destination.tenant_id != tenant.pk:
        raise ServiceValidationError([("source", "both connections must be this tenant's")])
    if source.pk == destination.pk:
        raise ServiceValidationError([("destination", "the destination must be another connection than the source")])
    try:
        result = streaming.stream_mask(source_target=source, destination_target=destination, rules=parsed,
                                       key=masking_key_bytes(key), tables=tables, progress=progress)
    except RulesError as exc:
        raise ServiceValidationError(rules_problems(exc)) from None
    except sources.SourceProblem as exc:
        raise ServiceValidationError([(exc.path, str(exc))]) from None
    audit_record(action="masking.stream", actor=actor, tenant=tenant, target=destination,
                 after={"source": source.pk, "destination": destination.pk, "rows": result.rows,
                        "key_id": key.key_id})
    return result
