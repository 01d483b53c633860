"""The recurring tasks every installation needs, created here so nobody has to add them by hand."""

from django.db import migrations

SCHEDULES = [
    # (name, function, schedule type, minutes)
    ("synthhub: reap stalled generation jobs", "apps.generation.tasks.reap_jobs", "I", 1),
    ("synthhub: purge the trash", "apps.generation.tasks.purge_trash", "D", None),
]


def create_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    for name, func, schedule_type, minutes in SCHEDULES:
        Schedule.objects.update_or_create(
            name=name, defaults={"func": func, "schedule_type": schedule_type, "minutes": minutes, "repeats": -1}
        )


def remove_schedules(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    Schedule.objects.filter(name__in=[name for name, *_ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("generation", "0001_initial"),
        ("django_q", "0018_task_success_index"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
