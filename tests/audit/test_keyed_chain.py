"""The keyed audit chain and its signed checkpoints: what a tamperer without the key can no longer hide."""

import importlib
import logging

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from apps.audit.chain import ALGORITHM_HMAC, ALGORITHM_LEGACY, GENESIS_HASH, event_digest, event_mac
from apps.audit.keys import key_id_of, key_ring
from apps.audit.models import AuditCheckpoint, AuditEvent
from apps.audit.services import audit_checkpoint_write, audit_record

pytestmark = pytest.mark.django_db

KEY_A = "a" * 40
KEY_B = "b" * 40
EVENTS = AuditEvent._meta.db_table
CHECKPOINTS = AuditCheckpoint._meta.db_table


@pytest.fixture(autouse=True)
def _no_automatic_checkpoints(settings):
    settings.SYNTHHUB_AUDIT_CHECKPOINT_EVERY = 0  # each test writes the checkpoints it needs


def _events():
    return list(AuditEvent.objects.order_by("id"))


def _set_chain(event, *, prev_hash, digest, algorithm, key_id=""):
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {EVENTS} SET prev_hash = %s, hash = %s, algorithm = %s, key_id = %s WHERE id = %s",
                       [prev_hash, digest, algorithm, key_id, event.id])


def _verify_fails_at(event_id: int, reason: str = ""):
    with pytest.raises(CommandError, match=f"broken at event {event_id}: .*{reason}") as raised:
        call_command("audit_verify")
    return str(raised.value)


def test_new_events_are_keyed_and_verify(tenant_a, capsys):
    events = _events()
    assert events and {(e.algorithm, e.key_id) for e in events} == {(ALGORITHM_HMAC, key_ring().signing_id)}
    # The keyed hash is not the public digest: nobody without the key can recompute it.
    assert events[0].hash != event_digest(events[0], events[0].prev_hash)
    call_command("audit_verify")
    assert f"{len(events)} events verified" in capsys.readouterr().out


def test_rewriting_every_event_with_the_apps_digest_function_is_detected(tenant_a):
    events = _events()
    audit_checkpoint_write()
    # The attacker edits the second event and re-chains the whole trail with the app's own (public) digest.
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {EVENTS} SET action = 'nothing.happened' WHERE id = %s", [events[1].id])
    prev = GENESIS_HASH
    for event in _events():
        digest = event_digest(event, prev)
        _set_chain(event, prev_hash=prev, digest=digest, algorithm=ALGORITHM_HMAC, key_id=event.key_id)
        prev = digest
    _verify_fails_at(events[0].id, "keyed hash")

    # Passing them off as events from before the chain was keyed does not help either.
    prev = GENESIS_HASH
    for event in _events():
        digest = event_digest(event, prev)
        _set_chain(event, prev_hash=prev, digest=digest, algorithm=ALGORITHM_LEGACY)
        prev = digest
    _verify_fails_at(events[-1].id, "does not match checkpoint")
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {CHECKPOINTS}")
    _verify_fails_at(events[0].id, "no signed checkpoint covers")


def test_rewriting_with_another_key_is_detected(tenant_a, settings):
    events = _events()
    forger = b"f" * 40
    prev = GENESIS_HASH
    for event in events:
        digest = event_mac(event, prev, key_id=key_ring().signing_id, key=forger)
        _set_chain(event, prev_hash=prev, digest=digest, algorithm=ALGORITHM_HMAC, key_id=key_ring().signing_id)
        prev = digest
    _verify_fails_at(events[0].id, "keyed hash")


def test_truncating_the_newest_events_is_detected(tenant_a, capsys):
    audit_record(action="custom.one")
    call_command("audit_checkpoint")
    checkpoint = AuditCheckpoint.objects.get()
    assert f"Checkpoint {checkpoint.pk}: event {checkpoint.event_id}" in capsys.readouterr().out
    newest = _events()[-3:]
    assert checkpoint.event_id == newest[-1].id
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {EVENTS} WHERE id >= %s", [newest[0].id])
    message = _verify_fails_at(checkpoint.event_id, "newest events were removed")
    assert f"the trail ends at event {newest[0].id - 1}" in message


def test_an_append_after_truncation_is_logged_at_once(tenant_a, caplog):
    checkpoint = audit_checkpoint_write()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {EVENTS} WHERE id = %s", [checkpoint.event_id])
    with caplog.at_level(logging.CRITICAL, logger="apps.audit.services"):
        audit_record(action="custom.after")
    assert "audit trail truncated" in caplog.text
    _verify_fails_at(checkpoint.event_id, "it is missing")


def test_checkpoints_are_written_every_n_events_and_a_forged_one_is_detected(tenant_a, settings):
    settings.SYNTHHUB_AUDIT_CHECKPOINT_EVERY = 3
    for n in range(7):
        audit_record(action="custom.n", after={"n": n})
    checkpoints = list(AuditCheckpoint.objects.order_by("id"))
    assert len(checkpoints) >= 2
    assert [c.prev_mac for c in checkpoints[1:]] == [c.mac for c in checkpoints[:-1]]
    call_command("audit_verify")
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {CHECKPOINTS} SET event_count = event_count - 1 WHERE id = %s", [checkpoints[0].id])
    _verify_fails_at(checkpoints[0].event_id, "signature")


def test_rotation_keeps_old_events_verifiable(tenant_a, settings, capsys):
    # The events so far were signed with the key derived from SECRET_KEY; moving to a key of its own keeps them.
    settings.SYNTHHUB_AUDIT_KEYS = f"{KEY_A},derived"
    audit_record(action="custom.signed-with-a")
    first_a = AuditEvent.objects.get(action="custom.signed-with-a")
    assert first_a.key_id == key_id_of(KEY_A.encode())
    settings.SYNTHHUB_AUDIT_KEYS = f"{KEY_B}, {KEY_A}, derived"
    audit_record(action="custom.signed-with-b")
    assert AuditEvent.objects.get(action="custom.signed-with-b").key_id == key_id_of(KEY_B.encode())
    call_command("audit_verify")
    assert "intact" in capsys.readouterr().out
    settings.SYNTHHUB_AUDIT_KEYS = f"{KEY_B},{KEY_A}"  # the derived key dropped too early
    _verify_fails_at(_events()[0].id, "no configured key")
    settings.SYNTHHUB_AUDIT_KEYS = f"{KEY_B},derived"  # key A dropped too early
    _verify_fails_at(first_a.id, "no configured key")


def test_rotating_secret_key_keeps_the_derived_key_through_fallbacks(tenant_a, settings):
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-secret-key-" + "x" * 40, [old]
    audit_record(action="custom.after-rotation")
    call_command("audit_verify")
    settings.SECRET_KEY_FALLBACKS = []
    _verify_fails_at(_events()[0].id, "no configured key")


def test_short_keys_are_refused(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.SYNTHHUB_AUDIT_KEYS = "short"
    with pytest.raises(ImproperlyConfigured, match="32 characters"):
        key_ring()


def test_events_from_before_the_keyed_chain_verify_as_a_pinned_prefix(tenant_a, settings):
    # As the trail was before the upgrade: plain sha256 events, no checkpoint.
    prev = GENESIS_HASH
    for event in _events():
        digest = event_digest(event, prev)
        _set_chain(event, prev_hash=prev, digest=digest, algorithm=ALGORITHM_LEGACY)
        prev = digest
    legacy = _events()
    _verify_fails_at(legacy[0].id, "no signed checkpoint covers")
    migration = importlib.import_module("apps.audit.migrations.0003_keyed_chain")
    from django.apps import apps

    migration.pin_legacy_head(apps, type("Editor", (), {"connection": connection})())
    call_command("audit_verify")
    audit_record(action="custom.keyed")
    call_command("audit_verify")
    # Editing an old event is still found, and an unkeyed event after keyed ones is refused.
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {EVENTS} SET action = 'nothing' WHERE id = %s", [legacy[1].id])
    _verify_fails_at(legacy[1].id, "edited")


def test_an_unkeyed_event_after_keyed_ones_is_refused(tenant_a):
    audit_checkpoint_write()
    last = _events()[-1]
    audit_record(action="custom.later")
    later = AuditEvent.objects.get(action="custom.later")
    audit_checkpoint_write()
    _set_chain(later, prev_hash=last.hash, digest=event_digest(later, last.hash), algorithm=ALGORITHM_LEGACY)
    _verify_fails_at(later.id, "after keyed events")


def test_the_upgrade_signs_nothing_over_a_broken_legacy_chain(tenant_a):
    prev = GENESIS_HASH
    for event in _events():
        digest = event_digest(event, prev)
        _set_chain(event, prev_hash=prev, digest=digest, algorithm=ALGORITHM_LEGACY)
        prev = digest
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {EVENTS} SET action = 'nothing' WHERE id = %s", [_events()[1].id])
    migration = importlib.import_module("apps.audit.migrations.0003_keyed_chain")
    from django.apps import apps

    migration.pin_legacy_head(apps, type("Editor", (), {"connection": connection})())
    assert not AuditCheckpoint.objects.exists()
