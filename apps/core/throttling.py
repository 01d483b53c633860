"""Request throttles and the failed-token limiter. Both count in Django's default cache (Redis when
SYNTHHUB_CACHE_URL names one, so every worker shares the counts) and read their rates from
SYNTHHUB_THROTTLE_RATES at request time. Clients are told apart by the same address the audit trail records.
"""

import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from .middleware import client_ip

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# Failed tokens are aggregated in windows of this length when their limit is turned off.
_DEFAULT_WINDOW_SECONDS = 60


def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """'10/minute' -> (10, 60); None or '' -> None (no limit)."""
    if not rate:
        return None
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period[:1]]


class _SettingsRateMixin:
    # DRF binds its rates dict when it is first imported; reading the setting per request follows overrides.
    def get_rate(self):
        return settings.SYNTHHUB_THROTTLE_RATES.get(self.scope)

    def get_ident(self, request):
        return client_ip(request) or "unknown"


class AnonIPThrottle(_SettingsRateMixin, AnonRateThrottle):
    """Unauthenticated requests, per client IP."""

    scope = "anon"


class UserThrottle(_SettingsRateMixin, UserRateThrottle):
    """Requests per signed-in user (per IP for anonymous ones)."""

    scope = "user"


class FailedTokenLimiter:
    """Failed token attempts per client IP, counted in fixed windows (one cache counter per IP and window).

    At the limit the IP is blocked until its window ends: its token requests get 429 before the token is
    looked at. The counter also drives the audit aggregation: the caller writes one event at the first failure
    of a window and one at the failure that reaches the limit; attempts after that only count, and their total
    is reported by the first event of the IP's next window (`previous_window_attempts`).
    """

    scope = "auth_failure"

    def __init__(self, request, *, now: float | None = None):
        self.ident = client_ip(request) or "unknown"
        parsed = parse_rate(settings.SYNTHHUB_THROTTLE_RATES.get(self.scope))
        self.limit, self.window_seconds = parsed if parsed else (None, _DEFAULT_WINDOW_SECONDS)
        now = time.time() if now is None else now
        self.window = int(now // self.window_seconds)
        self.seconds_left = max(1, int((self.window + 1) * self.window_seconds - now))

    def _key(self, window: int) -> str:
        return f"throttle:{self.scope}:{self.ident}:{window}"

    def attempts(self, window: int | None = None) -> int:
        return cache.get(self._key(self.window if window is None else window), 0)

    def blocked(self) -> bool:
        return self.limit is not None and self.attempts() >= self.limit

    def count(self) -> int:
        """One more attempt in this window; returns the window's total (atomic, also on Redis)."""
        key = self._key(self.window)
        # Kept for two windows, so the next window's first event can still read this one's total.
        timeout = 2 * self.window_seconds
        cache.add(key, 0, timeout=timeout)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=timeout)
            return 1
