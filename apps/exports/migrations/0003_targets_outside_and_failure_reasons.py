"""Whether pushes may go into databases with production-looking names is an operator setting now
(SYNTHHUB_TARGET_ALLOW_NON_TEST_NAMES), not a field a tenant sets; failures keep a reason category."""

from django.db import migrations, models

FAILURE_REASONS = [
    ("refused", "The target refused the connection"),
    ("auth_failed", "The target did not accept the user or password"),
    ("timeout", "The target did not answer in time"),
    ("not_allowed", "Not allowed by the platform's rules for targets"),
    ("dns_failed", "The target's host name could not be resolved"),
    ("tls_failed", "The TLS handshake with the target failed"),
    ("target_error", "The target answered with an error"),
    ("database_error", "Reading the version's records failed"),
    ("storage_error", "Writing the file failed"),
    ("stalled", "Its worker stopped before it finished"),
    ("internal_error", "An unexpected error (see the server log)"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("exports", "0002_schedules"),
    ]

    operations = [
        migrations.RemoveField(model_name="targetconnection", name="allow_non_test_name"),
        migrations.AddField(
            model_name="export",
            name="error_code",
            field=models.CharField(blank=True, choices=FAILURE_REASONS, max_length=20),
        ),
        migrations.AddField(
            model_name="push",
            name="error_code",
            field=models.CharField(blank=True, choices=FAILURE_REASONS, max_length=20),
        ),
        migrations.AlterField(
            model_name="export",
            name="error",
            field=models.TextField(blank=True, help_text="Why it failed, in the platform's own words."),
        ),
        migrations.AlterField(
            model_name="push",
            name="error",
            field=models.TextField(blank=True, help_text="Why it failed, in the platform's own words."),
        ),
    ]
