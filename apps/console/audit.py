"""The audit trail of the teams a member administers, with filters (read-only: events are append-only)."""

from django.contrib import admin

from apps.audit.models import AuditEvent
from apps.tenants.models import Role

from .base import ConsoleModelAdmin
from .filters import TenantFilter
from .site import console_site


class ActionPrefixFilter(admin.SimpleListFilter):
    title = "area"
    parameter_name = "area"

    def lookups(self, request, model_admin):
        return [(p, p) for p in ("dataset", "version", "record", "job", "export", "push", "target", "membership",
                                 "token", "tenant", "trash")]

    def queryset(self, request, queryset):
        return queryset.filter(action__startswith=f"{self.value()}.") if self.value() else queryset


@admin.register(AuditEvent, site=console_site)
class AuditConsole(ConsoleModelAdmin):
    view_role = Role.ADMIN
    list_display = ["created_at", "action", "actor_label", "target_type", "target_label", "ip"]
    list_filter = [ActionPrefixFilter, TenantFilter, "created_at"]
    search_fields = ["action", "actor_label", "target_label", "=target_id"]
    date_hierarchy = "created_at"
    fields = ["created_at", "action", "actor_label", "target_type", "target_id", "target_label", "before", "after",
              "request_id", "ip", "hash"]
    readonly_fields = fields
