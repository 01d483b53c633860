"""One HTTP POST to a webhook endpoint, at an address checked just before (apps/webhooks/addresses.py).

The connection goes to the checked address; TLS still verifies the certificate for the URL's host name (SNI
and hostname check), and the Host header names it. Redirects are not followed. At most a short excerpt of
the response body is read: the rest is never looked at.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from .addresses import Endpoint, EndpointNotAllowed, EndpointUnresolved, checked_addresses
from .models import ErrorCategory

TIMEOUT_SECONDS = 10
EXCERPT_BYTES = 200
ADDRESSES_TRIED = 3


@dataclass
class SendResult:
    status_code: int | None
    duration_ms: int
    error_category: str
    excerpt: str

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host, port, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, *, address: str, timeout: float):
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self):
        raw = socket.create_connection((self._address, self.port), self.timeout)
        try:
            self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


def _post(endpoint: Endpoint, address: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    cls = _PinnedHTTPSConnection if endpoint.scheme == "https" else _PinnedHTTPConnection
    connection = cls(endpoint.host, endpoint.port, address=address, timeout=TIMEOUT_SECONDS)
    try:
        connection.request("POST", endpoint.target, body=body, headers=headers)
        response = connection.getresponse()
        excerpt = response.read(EXCERPT_BYTES).decode("utf-8", "replace")
        return response.status, excerpt
    finally:
        connection.close()


def _category(exc: BaseException) -> str:
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return ErrorCategory.TIMEOUT
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return ErrorCategory.TLS_FAILED
    if isinstance(exc, (OSError, http.client.HTTPException)):
        return ErrorCategory.CONNECTION
    return ErrorCategory.INTERNAL


def send(*, url: str, body: bytes, headers: dict[str, str]) -> SendResult:
    """POST `body` to `url`; never raises: a failure is a result with an error category."""
    started = time.monotonic()

    def result(status_code=None, category="", excerpt="") -> SendResult:
        return SendResult(status_code=status_code, duration_ms=int((time.monotonic() - started) * 1000),
                          error_category=category, excerpt=excerpt[:EXCERPT_BYTES])

    try:
        endpoint, addresses = checked_addresses(url)
    except EndpointNotAllowed:
        return result(category=ErrorCategory.NOT_ALLOWED)
    except EndpointUnresolved:
        return result(category=ErrorCategory.DNS_FAILED)
    category = ErrorCategory.CONNECTION
    for address in addresses[:ADDRESSES_TRIED]:
        try:
            status_code, excerpt = _post(endpoint, str(address), body, headers)
        except Exception as exc:  # noqa: BLE001 - every failure is categorised; the next address may answer
            category = _category(exc)
            if category in (ErrorCategory.TLS_FAILED, ErrorCategory.INTERNAL):
                break  # another address of the same name would present the same certificate
            continue
        return result(status_code, "" if 200 <= status_code < 300 else ErrorCategory.HTTP_STATUS, excerpt)
    return result(category=category)
