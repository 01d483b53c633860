"""Where a target connection may lead, and opening it: the operator's host allow-list, never the platform.

A target is a database outside the platform. Its host must be on the operator's list
(`SYNTHHUB_TARGET_ALLOWED_HOSTS`: host names and CIDRs; empty allows none), it must not be the platform's
own database (same address, port and name as one of settings.DATABASES; loopback addresses and Unix sockets
count as one host), and it must not hold SynthHub's tables (a copy of the platform, or the platform reached
under another name). The host is checked when a target is saved and again when it connects: the name is
resolved then, every address it resolves to is checked, and the connection goes to the checked address
(libpq's `hostaddr`), so a name that resolves differently a moment later (DNS rebinding) changes nothing.
"""

from __future__ import annotations

import ipaddress
import logging
import re
import socket
from collections.abc import Iterable

import psycopg
from django.apps import apps
from django.conf import settings
from django.db import connections
from psycopg import sql

from .encryption import decrypt_secret
from .target_tables import MANAGED_MARK

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 10
# A push must end well inside the queue's task timeout: a statement (one table's upsert) may take five
# minutes, waiting for a lock held by someone else in the target ten seconds.
STATEMENT_TIMEOUT_MS = 300_000
LOCK_TIMEOUT_MS = 10_000
# A silent network (a peer that vanished) is noticed in about a minute instead of the kernel's two hours.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}
# Every address a name resolves to is checked; connections are tried on the first few only, so a name with
# many addresses cannot hold a worker for many connect timeouts.
ADDRESSES_TRIED = 3

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?$")
# Relations that only a SynthHub database has (model tables of the platform's own apps).
_PLATFORM_APP_PREFIX = "apps."

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetNotAllowed(Exception):
    """The platform's rules refuse this target. The message is the platform's own, safe to store and show."""

    def __init__(self, message: str, *, path: str = "host"):
        super().__init__(message)
        self.path = path


class TargetNameUnresolved(Exception):
    """The target's host name did not resolve."""


class TargetUnreachable(Exception):
    """No address of the target accepted the connection; the driver's error is the cause (for the log)."""


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) is not part of it
    except ValueError:
        return None


def host_syntax_problem(host: str) -> str | None:
    """Why `host` is not one host name or IP address (libpq also reads lists and socket directories)."""
    if _address(host.strip("[]")) is not None or _HOSTNAME.match(host):
        return None
    return "must be one host name or IP address (no lists, ports or socket directories)"


def _allow_list(entries) -> tuple[frozenset[str], tuple]:
    if isinstance(entries, str):
        entries = entries.split(",")
    names, networks = set(), []
    for entry in (item.strip() for item in entries):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            names.add(entry.lower().rstrip("."))
    return frozenset(names), tuple(networks)


def resolve(host: str, port: int) -> list[Address]:
    """Every address `host` resolves to now, in the resolver's order."""
    literal = _address(host.strip("[]"))
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise TargetNameUnresolved(host) from exc
    found: list[Address] = []
    for *_, sockaddr in infos:
        address = _address(str(sockaddr[0]))
        if address is not None and address not in found:
            found.append(address)
    if not found:
        raise TargetNameUnresolved(host)
    return found


def allowed_by_list(host: str, addresses: Iterable[Address], entries) -> bool:
    """Whether an operator's allow-list (host names and CIDRs) lets `host`, resolved to `addresses`, in: its name
    is listed, or every address is inside a listed network. Webhook endpoints use it with their own list."""
    names, networks = _allow_list(entries)
    if host.lower().rstrip(".") in names:
        return True  # the operator trusts this name, whatever it resolves to
    addresses = list(addresses)
    return bool(addresses) and all(any(address in network for network in networks) for address in addresses)


def _allowed(host: str, addresses: Iterable[Address]) -> bool:
    return allowed_by_list(host, addresses, settings.SYNTHHUB_TARGET_ALLOWED_HOSTS)


def _not_allowed_host(host: str) -> TargetNotAllowed:
    return TargetNotAllowed(f"'{host}' is not among the hosts the operator allows for target databases "
                            "(SYNTHHUB_TARGET_ALLOWED_HOSTS)", path="host")


def _platform_message() -> TargetNotAllowed:
    return TargetNotAllowed("this is the platform's own database; pushes never write into it", path="host")


def _is_loopback(address: Address) -> bool:
    return any(address in network for network in LOOPBACK)


def _platform_databases() -> list[tuple[set[Address], bool, str, int, str]]:
    """(addresses, is local, host text, port, database name) of every PostgreSQL database of the platform."""
    found = []
    for alias in connections:
        params = connections[alias].settings_dict
        if "postgresql" not in params.get("ENGINE", ""):
            continue
        host = str(params.get("HOST") or "")
        local = not host or host.startswith("/")
        addresses: set[Address] = set()
        if not local:
            try:
                addresses = set(resolve(host, int(params.get("PORT") or 5432)))
            except TargetNameUnresolved:
                addresses = set()
        found.append((addresses, local or any(_is_loopback(a) for a in addresses), host.lower(),
                      int(params.get("PORT") or 5432), str(params.get("NAME") or "")))
    return found


def is_platform_database(*, host: str, addresses: Iterable[Address], port: int, dbname: str) -> bool:
    addresses = set(addresses)
    local = any(_is_loopback(address) for address in addresses) or host.lower() == "localhost"
    for platform_addresses, platform_local, platform_host, platform_port, platform_name in _platform_databases():
        if port != platform_port or dbname.casefold() != platform_name.casefold():
            continue
        if (local and platform_local) or addresses & platform_addresses or host.lower() == platform_host:
            return True
    return False


def check_target(*, host: str, port: int, dbname: str) -> None:
    """What is checked when a target is saved; raises TargetNotAllowed with the field's path."""
    problem = host_syntax_problem(host)
    if problem:
        raise TargetNotAllowed(problem, path="host")
    try:
        addresses = resolve(host, port)
    except TargetNameUnresolved:
        addresses = []
    if not _allowed(host, addresses):
        # The same answer whether the name does not resolve or resolves elsewhere: no DNS oracle.
        raise _not_allowed_host(host)
    if is_platform_database(host=host, addresses=addresses, port=port, dbname=dbname):
        raise _platform_message()


def connect(target) -> psycopg.Connection:
    """A connection to the target at an address checked just now; refuses before any byte is sent to it.

    Raises TargetNotAllowed, TargetNameUnresolved or TargetUnreachable (from the driver's last error).
    """
    problem = host_syntax_problem(target.host)
    if problem:
        raise TargetNotAllowed(problem)
    addresses = resolve(target.host, target.port)
    if not _allowed(target.host, addresses):
        raise _not_allowed_host(target.host)
    if is_platform_database(host=target.host, addresses=addresses, port=target.port, dbname=target.dbname):
        raise _platform_message()
    options = f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c lock_timeout={LOCK_TIMEOUT_MS}"
    last_error: Exception | None = None
    for address in addresses[:ADDRESSES_TRIED]:
        try:
            connection = psycopg.connect(
                host=target.host, hostaddr=str(address), port=target.port, dbname=target.dbname,
                user=target.user, password=decrypt_secret(target.password_encrypted) or None,
                sslmode=target.sslmode, connect_timeout=CONNECT_TIMEOUT_SECONDS, application_name="synthhub-push",
                options=options, **KEEPALIVES,
            )
        except psycopg.OperationalError as exc:
            last_error = exc
            continue
        try:
            refuse_platform_tables(connection)
        except BaseException:
            connection.close()
            raise
        return connection
    raise TargetUnreachable(target.host) from last_error


def platform_table_names() -> list[str]:
    """The tables of the platform's own apps: a database holding any of them (unmarked) is SynthHub's."""
    return sorted({model._meta.db_table for config in apps.get_app_configs()
                   if config.name.startswith(_PLATFORM_APP_PREFIX) for model in config.get_models()})


def refuse_platform_tables(connection: psycopg.Connection) -> None:
    """Refuse a database that holds SynthHub's own tables, in any schema, or SynthHub's migration history.

    A push may have created a table of the same name itself (it carries the mark): that one does not count.
    Runs in its own transaction, before the push writes anything.
    """
    with connection.transaction():
        row = connection.execute(
            "SELECT c.relname FROM pg_catalog.pg_class c "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relname = ANY(%s) "
            "AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
            "AND coalesce(obj_description(c.oid, 'pg_class'), '') NOT LIKE %s LIMIT 1",
            [platform_table_names(), MANAGED_MARK.replace("%", r"\%") + "%"],
        ).fetchone()
        if row is None:
            row = _platform_migrations(connection)
    if row is not None:
        raise TargetNotAllowed("this database holds SynthHub's own tables; pushes never write into it")


def _platform_migrations(connection: psycopg.Connection):
    """A row when a readable django_migrations table records one of the platform's apps."""
    labels = sorted({config.label for config in apps.get_app_configs()
                     if config.name.startswith(_PLATFORM_APP_PREFIX)})
    tables = connection.execute(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relname = 'django_migrations' AND c.relkind IN ('r', 'p', 'v') "
        "AND has_table_privilege(c.oid, 'SELECT')"
    ).fetchall()
    for (qualified,) in tables:
        row = connection.execute(
            sql.SQL("SELECT app FROM {} WHERE app = ANY(%s) LIMIT 1").format(
                sql.SQL(qualified)),  # quoted by quote_ident above
            [labels],
        ).fetchone()
        if row is not None:
            return row
    return None
