"""Token authentication (hashed, expiring tokens from django-rest-knox), limited and audited per client IP.

A failed token attempt counts against the caller's IP (apps.core.throttling.FailedTokenLimiter); past the limit,
token requests from that IP get 429 before the token is looked at. The audit trail gets one event at the first
failure of a window and one at the failure that reaches the limit, with counts, not one row per attempt.
"""

import binascii
from hmac import compare_digest

from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.settings import CONSTANTS, knox_settings
from rest_framework import exceptions

from apps.audit.services import audit_record
from apps.core.sql import Statement, load, width
from apps.core.throttling import FailedTokenLimiter

from .models import ApiToken


def _token_statement(n) -> str:
    user = get_user_model()
    return (
        f"SELECT {n.columns(ApiToken, 'k')}, {n.columns(user, 'u')} FROM {n.table(ApiToken)} k "  # noqa: S608
        f"INNER JOIN {n.table(user)} u ON u.{n.quote(user._meta.pk.column)} = {n.column(ApiToken, 'user', 'k')} "
        f"WHERE {n.column(ApiToken, 'token_key', 'k')} = %s"
    )


# The tokens with the presented key and their users, read on every token request (never cached, so a revoked
# token fails at once on every worker): knox's filter(token_key=...).select_related("user") as one prepared
# statement.
_TOKENS_BY_KEY = Statement(_token_statement)


def _raw_authorization(request) -> bytes | None:
    """The header as bytes; None when it cannot be (characters beyond Latin-1 never form a token)."""
    header = request.META.get("HTTP_AUTHORIZATION", b"")
    if isinstance(header, bytes):
        return header
    try:
        return header.encode("iso-8859-1")
    except UnicodeEncodeError:
        return None


class AuditedTokenAuthentication(TokenAuthentication):
    def authenticate(self, request):
        raw = _raw_authorization(request)
        parts = raw.split() if raw is not None else request.META.get("HTTP_AUTHORIZATION", "").encode().split()
        prefix = self.authenticate_header(request).encode().lower()
        if not parts or parts[0].lower() != prefix:
            return None  # not a token: another scheme (or none) answers
        limiter = FailedTokenLimiter(request)
        if limiter.blocked():
            limiter.count()
            raise exceptions.Throttled(wait=limiter.seconds_left,
                                       detail="Too many failed token attempts from this address.")
        try:
            if raw is None or not raw.isascii():
                # Tokens are ASCII; anything else is a bad token, not a server error.
                raise exceptions.AuthenticationFailed("Invalid token header: a token is ASCII text.")
            return super().authenticate(request)
        except exceptions.AuthenticationFailed as exc:
            self._record_failure(limiter, parts, str(exc.detail))
            raise

    def authenticate_credentials(self, token):
        """knox's check (the digest of every token with the presented key, expiry, an active user) on the rows of
        one prepared statement instead of a queryset built per request."""
        message = _("Invalid token.")
        token = token.decode("utf-8")
        if "\x00" in token:
            raise exceptions.AuthenticationFailed(message)  # no token has one; PostgreSQL refuses it in text
        split = width(ApiToken)
        for row in _TOKENS_BY_KEY.rows([token[: CONSTANTS.TOKEN_KEY_LENGTH]]):
            auth_token = load(ApiToken, row[:split])
            auth_token.user = load(get_user_model(), row[split:])
            if self._cleanup_token(auth_token):
                continue
            try:
                digest = hash_token(token)
            except (TypeError, binascii.Error) as exc:
                raise exceptions.AuthenticationFailed(message) from exc
            if compare_digest(digest, auth_token.digest):
                if knox_settings.AUTO_REFRESH and auth_token.expiry:
                    self.renew_token(auth_token)
                return self.validate_user(auth_token)
        raise exceptions.AuthenticationFailed(message)

    def _cleanup_token(self, auth_token) -> bool:
        """Whether the presented token has expired (it is then deleted and refused).

        knox's own version also loads every other token of the user on every request, to delete the expired
        ones: a second query per request whose rows grow with the user's tokens. Expired tokens are refused
        (and deleted) when presented and left out of token listings (ApiTokenViewSet), so
        nothing depends on removing them early.
        """
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            auth_token.delete()
            return True
        return False

    @staticmethod
    def _record_failure(limiter: FailedTokenLimiter, parts: list[bytes], reason: str) -> None:
        attempts = limiter.count()
        # Only the key prefix is recorded: enough to tell tokens apart, useless to an attacker.
        # NUL is replaced as non-ASCII bytes are: PostgreSQL refuses it in text.
        key = parts[1][:8].decode("ascii", "replace").replace("\x00", "\ufffd") if len(parts) > 1 else ""
        window = {"window_seconds": limiter.window_seconds}
        if attempts == 1:
            audit_record(action="auth.token_failed", actor_label="anonymous", target_type="tenants.apitoken",
                         target_id=key, target_label=reason[:255],
                         after={**window, "failures": 1,
                                "previous_window_attempts": limiter.attempts(limiter.window - 1)})
        elif attempts == limiter.limit:
            audit_record(action="auth.token_failed_burst", actor_label="anonymous",
                         target_type="tenants.apitoken", target_id=key, target_label=reason[:255],
                         after={**window, "failures": attempts, "blocked_for_seconds": limiter.seconds_left})
