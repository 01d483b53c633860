"""Mask table files under a rules document and a key into a directory, without a database.

Each input file is a table named after the file (customers.csv is table `customers`); the output directory
gets one file per table under the same name. Tables are masked keys first, so foreign keys follow their
keys. The rules and every file's header are checked before anything is written; a value that cannot be
masked stops the command and the output directory keeps nothing of this run.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.masking.engine import MaskingError, MaskingKeyError, MaskingRun, RulesError, parse_rules
from apps.masking.files import FORMATS, FileProblem, TableWriter, file_format, read_chunks, read_header


def problems_message(what: str, problems) -> str:
    return "\n".join([f"{what}:"] + [f"  {problem}" for problem in problems])


class Command(BaseCommand):
    help = ("Mask .csv/.jsonl table files (one table per file, named after it) under a rules document and a "
            "masking key into --out. Needs no database.")
    requires_system_checks = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("inputs", nargs="+", help="table files (.csv with a header row, or .jsonl)")
        parser.add_argument("--rules", required=True, help="path of the masking rules document (YAML or JSON)")
        key = parser.add_mutually_exclusive_group(required=True)
        key.add_argument("--key-file", help="file holding the masking key (32 characters or more)")
        key.add_argument("--key-env", help="environment variable holding the masking key")
        parser.add_argument("--format", choices=FORMATS, help="output format (default: each input's own)")
        parser.add_argument("--chunk-rows", type=int, default=50_000, help="rows masked per step (default 50000)")
        parser.add_argument("--out", required=True, help="output directory (created if missing)")

    def handle(self, *args, **options):
        key = self._key(options)
        if not 1 <= options["chunk_rows"] <= 1_000_000:
            raise CommandError("--chunk-rows must be from 1 to 1000000")
        rules_path = Path(options["rules"])
        try:
            rules = parse_rules(rules_path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"cannot read rules file {rules_path}: {exc.strerror or exc}") from None
        except RulesError as exc:
            raise CommandError(problems_message(f"rules file {rules_path} is not valid", exc.problems)) from None

        inputs: dict[str, Path] = {}
        headers: dict[str, list[str]] = {}
        for name in options["inputs"]:
            path = Path(name)
            table = path.stem
            if table in inputs:
                raise CommandError(f"two input files for table {table!r}")
            try:
                file_format(path)
                headers[table] = read_header(path)
            except FileProblem as exc:
                raise CommandError(str(exc)) from None
            except OSError as exc:
                raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
            inputs[table] = path
        try:
            rules.check_source(headers)
        except RulesError as exc:
            raise CommandError(problems_message("the rules do not fit the input files", exc.problems)) from None

        out = Path(options["out"])
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CommandError(f"cannot create output directory {out}: {exc.strerror or exc}") from None
        order = [t for t in rules.table_order() if t in inputs] + [t for t in inputs if t not in rules.tables]
        run = MaskingRun(rules, key)
        staging = Path(tempfile.mkdtemp(prefix=".masking-", dir=out))
        try:
            counts = {}
            for table in order:
                path = inputs[table]
                fmt = options["format"] or file_format(path)
                writer = TableWriter(staging / f"{table}.{fmt}", headers[table], fmt)
                try:
                    masker = run.table(table, headers[table])
                    for chunk in read_chunks(path, headers[table], options["chunk_rows"]):
                        writer.write(masker.mask(chunk))
                finally:
                    writer.close()
                counts[table] = (writer.rows, f"{table}.{fmt}")
            for _rows, name in counts.values():
                os.replace(staging / name, out / name)
        except MaskingError as exc:
            raise CommandError(problems_message("cannot mask the input", exc.problems)) from None
        except FileProblem as exc:
            raise CommandError(str(exc)) from None
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        for rows, name in counts.values():
            self.stdout.write(f"{name}: {rows} rows")
        self.stdout.write(self.style.SUCCESS(f"Masked {sum(r for r, _ in counts.values())} rows into {out}"))

    def _key(self, options) -> bytes:
        if options["key_file"]:
            try:
                text = Path(options["key_file"]).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise CommandError(f"cannot read key file: {exc.strerror or exc}") from None
        else:
            text = os.environ.get(options["key_env"], "").strip()
        try:
            from apps.masking.engine.keyed import check_key

            return check_key(text.encode())
        except MaskingKeyError as exc:
            raise CommandError(str(exc)) from None
