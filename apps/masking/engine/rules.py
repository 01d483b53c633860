"""The masking rules document: parsing and validation, every problem with its dotted path.

A document names, per table, each column's type and rule::

    version: "1"
    locale: en_US
    unlisted: error          # a source column without a rule: error (default), keep or null
    tables:
      customers:
        columns:
          id:    {type: integer, rule: format_preserving, unique: true}
          name:  {rule: fake, provider: name}
          email: {rule: derive, template: "{name}@example.com", slug: true, unique: true}
      orders:
        columns:
          customer_id: {type: integer, references: customers.id}

A column that `references` another is masked with that column's rule, so keys still join. Nothing here
reads data: `check_source` compares the document with the columns a source really has.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from apps.generation.engine.errors import Problem

from . import limits

TYPES = ("string", "integer", "float", "date", "datetime", "boolean")
RULES = (
    "keep", "null", "constant", "hash", "fake", "format_preserving", "shift_date", "generalise",
    "redact_text", "derive",
)
# Which column types each rule can mask.
RULE_TYPES = {
    "keep": set(TYPES),
    "null": set(TYPES),
    "constant": set(TYPES),
    "hash": {"string", "integer"},
    "fake": {"string"},
    "format_preserving": {"string", "integer"},
    "shift_date": {"date", "datetime"},
    "generalise": {"integer", "float", "date", "datetime"},
    "redact_text": {"string"},
    "derive": {"string"},
}
HASH_FORMATS = ("hex", "digits", "base32")
FP_FORMATS = ("plain", "card", "iban", "vin", "nl_bsn", "se_personnummer", "fi_hetu", "fr_nir", "es_dni",
              "it_codice_fiscale", "de_steuer_id")
FAKE_PROVIDERS = (
    "name", "first_name", "last_name", "email", "phone_number", "street_address", "address", "city", "postcode",
    "company", "user_name", "ssn", "job", "country", "sentence", "ipv4",
)
UNIQUE_RULES = ("hash", "fake", "format_preserving", "derive")
GENERALISE_DATE_UNITS = ("month", "year")
REDACT_KINDS = ("email", "phone", "card", "iban")
# Options each rule accepts besides the common ones.
_COMMON = {"type", "rule", "unique", "references", "locale"}
RULE_OPTIONS = {
    "keep": set(),
    "null": set(),
    "constant": {"value"},
    "hash": {"length", "format", "prefix"},
    "fake": {"provider"},
    "format_preserving": {"format", "keep_prefix"},
    "shift_date": {"days", "entity"},
    "generalise": {"bin", "to"},
    "redact_text": {"kinds"},
    "derive": {"template", "slug"},
}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_ .-]{0,62}$")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class RulesError(Exception):
    """A rules document cannot be used; `problems` lists every reason with its path."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("; ".join(str(p) for p in self.problems) or "invalid masking rules")


@dataclass(frozen=True)
class ColumnRule:
    table: str
    name: str
    type: str
    rule: str
    options: dict[str, Any] = field(default_factory=dict)
    unique: bool = False
    references: tuple[str, str] | None = None
    locale: str = "en_US"

    @property
    def path(self) -> str:
        return f"tables.{self.table}.columns.{self.name}"

    def function_tag(self) -> str:
        """What the keyed function of this column is: equal tags mask equal inputs to equal outputs, in any
        table. The column's name is not part of it, so a key and its foreign keys share one function."""
        # Column names inside options (the entity of shift_date) are not part of it either: the entity's value
        # keys the shift, so a customer's dates move alike in every table.
        named = {k: v for k, v in self.options.items() if k != "entity"}
        options = json.dumps(named, sort_keys=True, default=str)
        return f"{self.rule}|{self.type}|{self.locale}|{options}"


@dataclass(frozen=True)
class MaskingRules:
    version: str
    locale: str
    unlisted: str
    tables: dict[str, dict[str, ColumnRule]]

    def table_order(self) -> list[str]:
        """Tables with every referenced table before the tables that reference it (cycles keep document order)."""
        order: list[str] = []
        visiting: set[str] = set()

        def visit(name: str) -> None:
            if name in order or name in visiting:
                return
            visiting.add(name)
            for column in self.tables[name].values():
                if column.references and column.references[0] != name and column.references[0] in self.tables:
                    visit(column.references[0])
            visiting.discard(name)
            order.append(name)

        for name in self.tables:
            visit(name)
        return order

    def check_source(self, source_columns: dict[str, list[str]]) -> None:
        """Refuse the rules against the tables a run masks: a rule for a column the table lacks, a column or a
        table without a rule when `unlisted` is `error`. Tables of the document that the run does not mask are
        left alone."""
        problems: list[Problem] = []
        for table, columns in self.tables.items():
            if table not in source_columns:
                continue  # a document may cover more tables than one run masks
            present = set(source_columns[table])
            for name in columns:
                if name not in present:
                    problems.append(Problem(f"tables.{table}.columns.{name}",
                                            "unknown column: the source table has no such column"))
            if self.unlisted == "error":
                for name in source_columns[table]:
                    if name not in columns:
                        problems.append(Problem(f"tables.{table}.columns.{name}",
                                                "no rule for this source column (give one, or set unlisted)"))
        if self.unlisted == "error":
            for table in source_columns:
                if table not in self.tables:
                    problems.append(Problem(f"tables.{table}", "no rules for this source table (give them, or set "
                                                               "unlisted)"))
        if problems:
            raise RulesError(problems)

    def effective(self, table: str, source_columns: list[str]) -> dict[str, ColumnRule]:
        """The rule of every source column, unlisted ones included (as `unlisted` says)."""
        declared = self.tables.get(table, {})
        out: dict[str, ColumnRule] = {}
        for name in source_columns:
            out[name] = declared.get(name) or ColumnRule(table, name, "string", self.unlisted, locale=self.locale)
        return out


def load_rules_text(text: str) -> Any:
    if len(text) > limits.MAX_DOCUMENT_CHARS:
        raise RulesError([Problem("", f"the document is longer than {limits.MAX_DOCUMENT_CHARS} characters")])
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise RulesError([Problem("", f"not valid YAML or JSON{where}")]) from None


def parse_rules(document: Any) -> MaskingRules:
    """Validate a rules document (text, or the mapping it holds) and return it resolved."""
    if isinstance(document, (str, bytes)):
        document = load_rules_text(document.decode() if isinstance(document, bytes) else document)
    problems: list[Problem] = []
    if not isinstance(document, dict):
        raise RulesError([Problem("", "the document must be a mapping with `tables`")])
    for key in document:
        if key not in ("version", "locale", "unlisted", "tables"):
            problems.append(Problem(str(key), "unknown key"))
    version = str(document.get("version", "1"))
    if version != "1":
        problems.append(Problem("version", "only version \"1\" exists"))
    locale = document.get("locale", "en_US")
    if not isinstance(locale, str) or not re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2})?", locale):
        problems.append(Problem("locale", "a locale such as en_US"))
        locale = "en_US"
    unlisted = document.get("unlisted", "error")
    if unlisted not in ("error", "keep", "null"):
        problems.append(Problem("unlisted", "one of error, keep, null"))
        unlisted = "error"
    tables_doc = document.get("tables")
    if not isinstance(tables_doc, dict) or not tables_doc:
        problems.append(Problem("tables", "a mapping of table names to their columns"))
        raise RulesError(problems)
    if len(tables_doc) > limits.MAX_TABLES:
        raise RulesError([Problem("tables", f"at most {limits.MAX_TABLES} tables")])

    tables: dict[str, dict[str, ColumnRule]] = {}
    for table, table_doc in tables_doc.items():
        path = f"tables.{table}"
        if not isinstance(table, str) or not _IDENT.match(table):
            problems.append(Problem(path, "a table name: letters, digits, _ . - (at most 63)"))
            continue
        if not isinstance(table_doc, dict) or not isinstance(table_doc.get("columns"), dict):
            problems.append(Problem(f"{path}.columns", "a mapping of column names to their rules"))
            continue
        for key in table_doc:
            if key != "columns":
                problems.append(Problem(f"{path}.{key}", "unknown key"))
        columns_doc = table_doc["columns"]
        if len(columns_doc) > limits.MAX_COLUMNS_PER_TABLE:
            problems.append(Problem(f"{path}.columns", f"at most {limits.MAX_COLUMNS_PER_TABLE} columns"))
            continue
        tables[table] = {}
        for name, column_doc in columns_doc.items():
            column = _parse_column(table, name, column_doc, locale, problems)
            if column is not None:
                tables[table][name] = column
    _resolve_references(tables, problems)
    _check_cross_column(tables, problems)
    if problems:
        raise RulesError(problems)
    return MaskingRules(version=version, locale=locale, unlisted=unlisted, tables=tables)


def _parse_column(table: str, name: Any, doc: Any, locale: str, problems: list[Problem]) -> ColumnRule | None:
    path = f"tables.{table}.columns.{name}"
    if not isinstance(name, str) or not _IDENT.match(name):
        problems.append(Problem(path, "a column name: letters, digits, _ . - (at most 63)"))
        return None
    if isinstance(doc, str):
        doc = {"rule": doc}
    if not isinstance(doc, dict):
        problems.append(Problem(path, "a rule name or a mapping with `rule`"))
        return None
    column_type = doc.get("type", "string")
    if column_type not in TYPES:
        problems.append(Problem(f"{path}.type", f"one of {', '.join(TYPES)}"))
        return None
    references = None
    if "references" in doc:
        target = doc["references"]
        if not isinstance(target, str) or target.count(".") != 1:
            problems.append(Problem(f"{path}.references", "`table.column` of the key this column refers to"))
        else:
            references = tuple(target.split("."))
    rule = doc.get("rule", "inherit" if references else None)
    if rule not in RULES and not (rule == "inherit" and references):
        problems.append(Problem(f"{path}.rule", f"one of {', '.join(RULES)}"))
        return None
    column_locale = doc.get("locale", locale)
    if not isinstance(column_locale, str) or not re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2})?", column_locale):
        problems.append(Problem(f"{path}.locale", "a locale such as en_US"))
        column_locale = locale
    unique = doc.get("unique", False)
    if not isinstance(unique, bool):
        problems.append(Problem(f"{path}.unique", "true or false"))
        unique = False
    options = {key: value for key, value in doc.items() if key not in _COMMON}
    if rule == "inherit":
        for key in options:
            problems.append(Problem(f"{path}.{key}", "a foreign key takes its key's rule and options"))
        return ColumnRule(table, name, column_type, rule, {}, unique, references, column_locale)
    if rule not in RULE_TYPES or column_type not in RULE_TYPES[rule]:
        fits = ", ".join(sorted(RULE_TYPES[rule]))
        problems.append(Problem(f"{path}.rule", f"{rule} cannot mask a {column_type} column (it masks {fits})"))
        return None
    for key in options:
        if key not in RULE_OPTIONS[rule]:
            problems.append(Problem(f"{path}.{key}", f"unknown option for rule {rule}"))
    if unique and rule not in UNIQUE_RULES:
        problems.append(Problem(f"{path}.unique", f"only {', '.join(UNIQUE_RULES)} can keep a column unique"))
    if rule == "fake" and not _faker_locale(column_locale):
        problems.append(Problem(f"{path}.locale", f"Faker has no locale {column_locale}"))
    before = len(problems)
    options = _check_options(path, rule, column_type, options, problems)
    if len(problems) > before:
        return None
    return ColumnRule(table, name, column_type, rule, options, unique, references, column_locale)


def _faker_locale(locale: str) -> bool:
    from faker.config import AVAILABLE_LOCALES

    return locale in AVAILABLE_LOCALES


def _int_option(path: str, options: dict, key: str, default: int | None, low: int, high: int,
                problems: list[Problem]) -> int | None:
    value = options.get(key, default)
    if value is None:
        problems.append(Problem(f"{path}.{key}", "required"))
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.append(Problem(f"{path}.{key}", f"an integer from {low} to {high}"))
        return None
    return value


def _check_options(path: str, rule: str, column_type: str, options: dict, problems: list[Problem]) -> dict:
    out: dict[str, Any] = {}
    if rule == "constant":
        if "value" not in options:
            problems.append(Problem(f"{path}.value", "required"))
        value = options.get("value")
        if isinstance(value, str) and len(value) > limits.MAX_CONSTANT_CHARS:
            problems.append(Problem(f"{path}.value", f"at most {limits.MAX_CONSTANT_CHARS} characters"))
        elif isinstance(value, (dict, list)):
            problems.append(Problem(f"{path}.value", "a scalar value"))
        out["value"] = value
    elif rule == "hash":
        fmt = options.get("format", "hex")
        if fmt not in HASH_FORMATS:
            problems.append(Problem(f"{path}.format", f"one of {', '.join(HASH_FORMATS)}"))
        if column_type == "integer" and fmt != "digits":
            problems.append(Problem(f"{path}.format", "an integer column is hashed to digits"))
        high = 18 if column_type == "integer" else limits.MAX_HASH_LENGTH
        out["length"] = _int_option(path, options, "length", 16 if high > 16 else 12, 4, high, problems)
        out["format"] = fmt
        prefix = options.get("prefix", "")
        if not isinstance(prefix, str) or len(prefix) > 32 or column_type == "integer" and prefix:
            problems.append(Problem(f"{path}.prefix", "a string of at most 32 characters (strings only)"))
        out["prefix"] = prefix
    elif rule == "fake":
        provider = options.get("provider")
        if provider not in FAKE_PROVIDERS:
            problems.append(Problem(f"{path}.provider", f"one of {', '.join(FAKE_PROVIDERS)}"))
        out["provider"] = provider
    elif rule == "format_preserving":
        fmt = options.get("format", "plain")
        if fmt not in FP_FORMATS:
            problems.append(Problem(f"{path}.format", f"one of {', '.join(FP_FORMATS)}"))
        if column_type == "integer" and fmt != "plain":
            problems.append(Problem(f"{path}.format", "integers keep their digit count; formats are for strings"))
        out["format"] = fmt
        out["keep_prefix"] = _int_option(path, options, "keep_prefix", 0, 0, limits.MAX_PREFIX_KEEP, problems)
        if column_type == "integer" and out["keep_prefix"]:
            problems.append(Problem(f"{path}.keep_prefix", "strings only"))
    elif rule == "shift_date":
        out["days"] = _int_option(path, options, "days", None, 1, limits.MAX_SHIFT_DAYS, problems)
        entity = options.get("entity")
        if entity is not None and not isinstance(entity, str):
            problems.append(Problem(f"{path}.entity", "the name of the column whose value identifies the entity"))
        out["entity"] = entity
    elif rule == "generalise":
        if column_type in ("date", "datetime"):
            if options.get("to") not in GENERALISE_DATE_UNITS:
                problems.append(Problem(f"{path}.to", f"one of {', '.join(GENERALISE_DATE_UNITS)}"))
            if "bin" in options:
                problems.append(Problem(f"{path}.bin", "dates generalise with `to`"))
            out["to"] = options.get("to")
        else:
            width = options.get("bin")
            if isinstance(width, bool) or not isinstance(width, (int, float)) or not 0 < width <= 1e15:
                problems.append(Problem(f"{path}.bin", "a positive bin width (at most 1e15)"))
            elif column_type == "integer" and not isinstance(width, int):
                problems.append(Problem(f"{path}.bin", "an integer bin width for an integer column"))
            if "to" in options:
                problems.append(Problem(f"{path}.to", "numbers generalise with `bin`"))
            out["bin"] = width
    elif rule == "redact_text":
        kinds = options.get("kinds", list(REDACT_KINDS))
        if not isinstance(kinds, list) or not kinds or any(kind not in REDACT_KINDS for kind in kinds):
            problems.append(Problem(f"{path}.kinds", f"a list of {', '.join(REDACT_KINDS)}"))
            kinds = []
        out["kinds"] = sorted(set(kinds))
    elif rule == "derive":
        template = options.get("template")
        if not isinstance(template, str) or not template or len(template) > limits.MAX_TEMPLATE_CHARS:
            problems.append(Problem(f"{path}.template", "a template naming other columns as {column} "
                                                        f"(at most {limits.MAX_TEMPLATE_CHARS} characters)"))
        slug = options.get("slug", False)
        if not isinstance(slug, bool):
            problems.append(Problem(f"{path}.slug", "true or false"))
        out["template"] = template
        out["slug"] = slug
    return out


def _resolve_references(tables: dict[str, dict[str, ColumnRule]], problems: list[Problem]) -> None:
    """A foreign key takes its key's rule; a masked foreign key of a kept key, or a different rule, is refused."""
    for table, columns in tables.items():
        for name, column in list(columns.items()):
            if not column.references:
                continue
            path = column.path
            ref_table, ref_column = column.references
            key = tables.get(ref_table, {}).get(ref_column)
            if key is None:
                problems.append(Problem(f"{path}.references", f"{ref_table}.{ref_column} has no rule in this document"))
                continue
            if key.references:
                problems.append(Problem(f"{path}.references", "refer to the key itself, not to another foreign key"))
                continue
            if key.type != column.type:
                problems.append(Problem(f"{path}.type", f"the key {ref_table}.{ref_column} is a {key.type}"))
                continue
            if column.rule == "inherit":
                columns[name] = ColumnRule(table, name, key.type, key.rule, key.options, column.unique,
                                           column.references, key.locale)
                continue
            if key.rule == "keep" and column.rule != "keep":
                problems.append(Problem(f"{key.path}.rule",
                                        f"the key is left unmasked while its foreign key {table}.{name} is masked"))
            elif (column.rule, column.options, column.locale) != (key.rule, key.options, key.locale):
                problems.append(Problem(f"{path}.rule",
                                        f"a foreign key is masked with its key's rule ({key.rule}) so that joins hold"))


def _check_cross_column(tables: dict[str, dict[str, ColumnRule]], problems: list[Problem]) -> None:
    for columns in tables.values():
        for column in columns.values():
            if column.rule == "derive" and isinstance(column.options.get("template"), str):
                for ref in _PLACEHOLDER.findall(column.options["template"]):
                    other = columns.get(ref)
                    if other is None:
                        problems.append(Problem(f"{column.path}.template", f"{{{ref}}}: no such column in this table"))
                    elif other.rule in ("keep", "derive"):
                        problems.append(Problem(f"{column.path}.template",
                                                f"{{{ref}}}: derive from masked columns only (it is {other.rule})"))
            entity = column.options.get("entity") if column.rule == "shift_date" else None
            if entity and entity not in columns:
                problems.append(Problem(f"{column.path}.entity", "no such column in this table"))
