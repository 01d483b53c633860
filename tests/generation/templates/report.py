"""Collects rule failures over generated tables, naming template, table, rule, how many rows and which."""

from __future__ import annotations

from collections.abc import Callable, Iterable

FIRST_IDS = 5


class Report:
    """One template's generated rows and the rules broken in them.

    `tables` maps each table to its rows (dicts); `keys` each table to its primary-key column, whose values
    name offending rows. A rule that cannot even be evaluated (a column the template lacks, a null where a
    value must be) is a failure too, with the error in its message.
    """

    def __init__(self, template: str, tables: dict[str, list[dict]], keys: dict[str, str]):
        self.template = template
        self.tables = tables
        self.keys = keys
        self.failures: list[str] = []
        self.rules_checked = 0
        self._indexes: dict[str, dict] = {}

    def rows(self, table: str) -> list[dict]:
        if table not in self.tables:
            raise KeyError(f"no table {table!r}")
        return self.tables[table]

    def by_key(self, table: str) -> dict:
        """The table's rows by primary key."""
        if table not in self._indexes:
            key = self.keys[table]
            self._indexes[table] = {row[key]: row for row in self.rows(table)}
        return self._indexes[table]

    def rule(self, table: str, rule: str, broken: Callable[[dict], bool], rows: Iterable[dict] | None = None):
        """Every row (of `rows`, or of the whole table) for which `broken(row)` is true breaks the rule."""
        self.rules_checked += 1
        try:
            chosen = self.rows(table) if rows is None else list(rows)
            key = self.keys[table]
            offending = [row[key] for row in chosen if broken(row)]
        except Exception as error:  # noqa: BLE001 - any error means the template does not have what the rule needs
            self._fail(table, rule, f"cannot be checked: {type(error).__name__}: {error}")
            return
        if offending:
            self._fail(table, rule, f"{len(offending)} of {len(chosen)} rows break it, first ids "
                                    f"{offending[:FIRST_IDS]}")

    def fact(self, table: str, rule: str, check: Callable[[], str | None]):
        """A rule over the table as a whole: `check()` returns what is wrong, or None."""
        self.rules_checked += 1
        try:
            problem = check()
        except Exception as error:  # noqa: BLE001
            problem = f"cannot be checked: {type(error).__name__}: {error}"
        if problem:
            self._fail(table, rule, problem)

    def _fail(self, table: str, rule: str, detail: str):
        self.failures.append(f"{self.template}: {table}: {rule}: {detail}")

    def message(self) -> str:
        return f"{len(self.failures)} of {self.rules_checked} rules broken:\n" + "\n".join(self.failures)
