"""Where a webhook may be sent: public addresses, or hosts the operator allows.

An endpoint's URL is checked when it is saved and again before every attempt: the host is resolved, every
address it resolves to must be public (not loopback, private, link-local, shared, reserved or multicast)
unless the operator lists the host or its network in SYNTHHUB_WEBHOOK_ALLOWED_HOSTS, and the request goes to
an address checked just then, so a name that resolves elsewhere a moment later (DNS rebinding) changes
nothing. Plain http:// is taken only for hosts on that list (a receiver inside the operator's network).
The name and address rules are the target connections' (apps/exports/targets.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from apps.exports.targets import Address, TargetNameUnresolved, allowed_by_list, host_syntax_problem, resolve

MAX_URL_LENGTH = 500


class EndpointNotAllowed(Exception):
    """The platform's rules refuse this URL; the message is the platform's own, safe to store and show."""


class EndpointUnresolved(Exception):
    """The endpoint's host name did not resolve."""


@dataclass(frozen=True)
class Endpoint:
    scheme: str
    host: str
    port: int
    target: str  # path and query, as sent in the request line


def _public(address: Address) -> bool:
    return address.is_global and not address.is_multicast


def _operator_allows(host: str, addresses: list[Address]) -> bool:
    return allowed_by_list(host, addresses, settings.SYNTHHUB_WEBHOOK_ALLOWED_HOSTS)


def parse_url(url: str) -> Endpoint:
    """The URL's parts; EndpointNotAllowed when it is not one absolute http(s) URL without credentials."""
    if not isinstance(url, str) or not url or len(url) > MAX_URL_LENGTH:
        raise EndpointNotAllowed(f"must be an https:// URL of at most {MAX_URL_LENGTH} characters")
    if any(ord(char) < 33 or ord(char) == 127 for char in url):
        raise EndpointNotAllowed("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise EndpointNotAllowed("is not a valid URL") from exc
    if parts.scheme not in ("https", "http"):
        raise EndpointNotAllowed("must be an https:// URL")
    if parts.username is not None or parts.password is not None:
        raise EndpointNotAllowed("must not carry a user name or password; the payload is signed instead")
    if parts.fragment:
        raise EndpointNotAllowed("must not have a #fragment")
    host = parts.hostname or ""
    problem = host_syntax_problem(host) if host else "names no host"
    if problem:
        raise EndpointNotAllowed(f"host {problem}")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Endpoint(scheme=parts.scheme, host=host, port=port or (443 if parts.scheme == "https" else 80),
                    target=target)


def checked_addresses(url: str) -> tuple[Endpoint, list[Address]]:
    """The endpoint and the addresses it resolves to now, every one of them allowed.

    Raises EndpointNotAllowed or EndpointUnresolved."""
    endpoint = parse_url(url)
    try:
        addresses = resolve(endpoint.host, endpoint.port)
    except TargetNameUnresolved as exc:
        raise EndpointUnresolved(endpoint.host) from exc
    operator_allowed = _operator_allows(endpoint.host, addresses)
    if endpoint.scheme == "http" and not operator_allowed:
        raise EndpointNotAllowed("must be an https:// URL (http:// only for hosts the operator allows in "
                                 "SYNTHHUB_WEBHOOK_ALLOWED_HOSTS)")
    if not operator_allowed and not all(_public(address) for address in addresses):
        raise EndpointNotAllowed(f"'{endpoint.host}' resolves to a loopback, private, link-local or reserved "
                                 "address; the operator may allow it in SYNTHHUB_WEBHOOK_ALLOWED_HOSTS")
    return endpoint, addresses


def url_problem(url: str) -> str | None:
    """Why the platform would not send to `url` now (the check made when an endpoint is saved)."""
    try:
        checked_addresses(url)
    except EndpointNotAllowed as exc:
        return str(exc)
    except EndpointUnresolved:
        # The same answer whether the name does not resolve or resolves to a refused address: no DNS oracle.
        return "does not resolve to an address the platform may call"
    return None
