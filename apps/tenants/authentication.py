"""Token authentication (hashed, expiring tokens from django-rest-knox) that audits failed attempts."""

from knox.auth import TokenAuthentication
from rest_framework import exceptions

from apps.audit.services import audit_record


class AuditedTokenAuthentication(TokenAuthentication):
    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed as exc:
            header = request.META.get("HTTP_AUTHORIZATION", "")
            # Only the key prefix is recorded: enough to tell tokens apart, useless to an attacker.
            key = header.split(" ", 1)[1][:8] if " " in header else ""
            audit_record(action="auth.token_failed", actor_label="anonymous", target_type="tenants.apitoken",
                         target_id=key, target_label=str(exc.detail)[:255])
            raise
