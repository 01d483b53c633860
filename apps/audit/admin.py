from django.contrib import admin

from apps.core.admin import TenantScopedAdmin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(TenantScopedAdmin):
    list_display = ["created_at", "tenant", "action", "actor_label", "target_type", "target_label", "ip"]
    list_filter = ["action", "target_type", ("created_at", admin.DateFieldListFilter)]
    search_fields = ["action", "actor_label", "target_label", "target_id", "request_id"]
    date_hierarchy = "created_at"
    list_select_related = ["tenant"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    # Append-only for everyone, operators too: an event written here would be outside the hash chain that
    # `audit_record` keeps.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
