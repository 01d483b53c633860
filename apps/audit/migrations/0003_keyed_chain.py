"""The keyed chain: events carry their algorithm and key id; signed checkpoints of the head.

Events written before keep their unkeyed sha256 digest and are marked "sha256": they stay verifiable as the
oldest part of the trail, and are never rewritten (re-signing them would turn whatever was true of them, an
edit included, into a signed fact). Their chain is checked here; when it is intact, a checkpoint signed with
the current key pins its head, which is what lets audit_verify accept them. When it is broken nothing is
signed, so audit_verify keeps reporting the break.
"""

import django.utils.timezone
from django.db import migrations, models


def pin_legacy_head(apps, schema_editor):
    from apps.audit.chain import GENESIS_HASH, checkpoint_mac, event_digest
    from apps.audit.keys import key_ring

    AuditEvent = apps.get_model("audit", "AuditEvent")
    AuditCheckpoint = apps.get_model("audit", "AuditCheckpoint")
    expected_prev, count, head = GENESIS_HASH, 0, None
    for event in AuditEvent.objects.using(schema_editor.connection.alias).order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != expected_prev or event_digest(event, event.prev_hash) != event.hash:
            print(f"\n  The audit chain is broken at event {event.id}; its events are left unsigned.")
            return
        expected_prev, count, head = event.hash, count + 1, event
    if head is None:
        return
    ring = key_ring()
    checkpoint = AuditCheckpoint(event_id=head.id, head_hash=head.hash, event_count=count, key_id=ring.signing_id,
                                 prev_mac="", created_at=django.utils.timezone.now())
    checkpoint.mac = checkpoint_mac(event_id=checkpoint.event_id, head_hash=checkpoint.head_hash,
                                    event_count=count, created_at=checkpoint.created_at, prev_mac="",
                                    key_id=checkpoint.key_id, key=ring.signing_key)
    checkpoint.save(using=schema_editor.connection.alias)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="algorithm",
            field=models.CharField(default="sha256", max_length=16),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="key_id",
            field=models.CharField(blank=True, default="", max_length=16),
            preserve_default=False,
        ),
        migrations.CreateModel(
            name="AuditCheckpoint",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("event_id", models.BigIntegerField()),
                ("head_hash", models.CharField(max_length=64)),
                ("event_count", models.BigIntegerField()),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("key_id", models.CharField(max_length=16)),
                ("prev_mac", models.CharField(blank=True, max_length=64)),
                ("mac", models.CharField(max_length=64, unique=True)),
            ],
            options={
                "ordering": ["-id"],
            },
        ),
        migrations.RunPython(pin_legacy_head, migrations.RunPython.noop),
    ]
