"""`manage.py bench <benchmark> [options]`: run one of the registered benchmarks and print its figures."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.generation.benchmarks import BENCHMARKS


class Command(BaseCommand):
    help = "Run a benchmark and print its figures against their targets: " + ", ".join(BENCHMARKS)

    # Benchmarks measure the engine, not the site: no database, no system or migration checks.
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        subparsers = parser.add_subparsers(dest="benchmark", metavar="BENCHMARK", required=True)
        for name, benchmark in BENCHMARKS.items():
            benchmark.add_arguments(subparsers.add_parser(name, help=benchmark.help))

    def handle(self, *args, **options):
        name = options["benchmark"]
        if name not in BENCHMARKS:
            raise CommandError(f"unknown benchmark {name!r} (available: {', '.join(BENCHMARKS)})")
        try:
            BENCHMARKS[name].run(options, self.stdout.write)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
