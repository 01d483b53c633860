"""django-rest-knox's own migrations create `knox_authtoken` even though SynthHub swaps the token model for
`tenants.ApiToken`. The unused table holds a foreign key to users that blocks TRUNCATE of the user table
(and would confuse anyone reading the schema), so it goes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("tenants", "0001_initial"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [
        migrations.RunSQL("DROP TABLE IF EXISTS knox_authtoken", reverse_sql=migrations.RunSQL.noop),
    ]
