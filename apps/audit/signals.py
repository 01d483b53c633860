"""Login success and failure go to the audit trail."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from .services import audit_record


@receiver(user_logged_in, dispatch_uid="audit_login_success")
def _login_success(sender, request, user, **kwargs):
    audit_record(action="auth.login", actor=user, target=user)


@receiver(user_login_failed, dispatch_uid="audit_login_failure")
def _login_failure(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    audit_record(action="auth.login_failed", actor_label=username or "unknown", target_type="auth.user",
                 target_label=username)
