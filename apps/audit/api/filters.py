import django_filters

from apps.core.api.datetimes import UtcIsoDateTimeFilter

from ..models import AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.CharFilter(help_text="Exact action, e.g. membership.add; a trailing * matches a prefix.",
                                       method="filter_action")
    actor = django_filters.CharFilter(field_name="actor_label", lookup_expr="iexact",
                                      help_text="The actor's username.")
    target_type = django_filters.CharFilter()
    target_id = django_filters.CharFilter()
    since = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    until = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["action", "actor", "target_type", "target_id", "since", "until"]

    def filter_action(self, queryset, name, value):
        if value.endswith("*"):
            return queryset.filter(action__startswith=value[:-1])
        return queryset.filter(action=value)
