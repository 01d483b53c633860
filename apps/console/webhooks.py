"""Webhook endpoints and their delivery log in the console: admins and owners of a team, as on the API.

Every write goes through apps.webhooks.services (the address checks, the event list, the limit, the audit):
create (the signing secret is shown once, on the answer's page), change, enable and disable, rotate the secret
(the new one shown once), send a test delivery, delete (as the API deletes: the endpoint with its log). The
delivery log is read only: status, attempts, each attempt's response code and a truncated excerpt of the
answer, and when the next retry is due; never the payload."""

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from apps.tenants.models import Role
from apps.webhooks import services
from apps.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint, WebhookEvent

from .base import AdminRoleWrites, ConsoleModelAdmin, form_for_user
from .filters import TenantFilter
from .scoping import member_tenants
from .site import console_site

RECENT_DELIVERIES = 20
EXCERPT_CHARS = 80


class WebhookForm(forms.ModelForm):
    tenant = forms.ModelChoiceField(queryset=None, label="Team")
    events = forms.MultipleChoiceField(choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple,
                                       help_text="The events sent to this endpoint.")
    active = forms.BooleanField(required=False, initial=True, help_text="Disabled endpoints get no deliveries.")

    class Meta:
        model = WebhookEndpoint
        fields = ["tenant", "url", "events", "description", "active"]
        help_texts = {"url": "An https:// URL whose host resolves to public addresses only."}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if "tenant" in self.fields:
            self.fields["tenant"].queryset = member_tenants(user, at_least=Role.ADMIN)

    def _post_clean(self):
        """The service checks the endpoint (with paths shown on the form)."""


class DeliveryEndpointFilter(admin.SimpleListFilter):
    """The member's own endpoints only (a filter on the relation would name every tenant's)."""

    title = "endpoint"
    parameter_name = "endpoint"

    def lookups(self, request, model_admin):
        endpoints = WebhookEndpoint.objects.filter(tenant__in=member_tenants(request.user, at_least=Role.ADMIN))
        return [(str(e.pk), e.description or e.url) for e in endpoints.order_by("id")]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(endpoint_id=int(self.value()))
        return queryset


def _deliveries_url(endpoint_id: int) -> str:
    return f"{reverse('console:webhooks_webhookdelivery_changelist')}?endpoint={endpoint_id}"


def _next_retry(delivery) -> str:
    if delivery.status != DeliveryStatus.PENDING:
        return "-"
    return delivery.next_attempt_at.strftime("%Y-%m-%d %H:%M:%S")


def _last_attempt(delivery):
    attempts = list(delivery.attempt_log.all())
    return attempts[-1] if attempts else None


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_CHARS else f"{text[:EXCERPT_CHARS]}…"


@admin.register(WebhookEndpoint, site=console_site)
class WebhookConsole(AdminRoleWrites, ConsoleModelAdmin):
    view_role = Role.ADMIN
    form = WebhookForm
    list_display = ["__str__", "tenant", "event_list", "active", "created_at"]
    list_filter = ["active", TenantFilter]
    list_select_related = ["tenant"]
    actions = ["enable_selected", "disable_selected"]
    change_form_template = "console/webhooks/change_form.html"

    def get_queryset(self, request):
        return self.scoped(request, WebhookEndpoint.objects.select_related("tenant", "created_by"))

    @admin.display(description="events")
    def event_list(self, obj) -> str:
        return ", ".join(obj.events)

    @admin.display(description="Recent deliveries")
    def recent_deliveries(self, obj):
        deliveries = list(obj.deliveries.prefetch_related("attempt_log").order_by("-id")[:RECENT_DELIVERIES])
        if not deliveries:
            return "No deliveries yet."
        rows = []
        for delivery in deliveries:
            last = _last_attempt(delivery)
            rows.append((reverse("console:webhooks_webhookdelivery_change", args=[delivery.pk]), delivery.pk,
                         delivery.created_at.strftime("%Y-%m-%d %H:%M:%S"), delivery.event,
                         delivery.get_status_display(), delivery.attempts,
                         last.status_code if last and last.status_code else "-",
                         _excerpt(last.response_excerpt) if last else "", _next_retry(delivery)))
        body = format_html_join("", "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                                    "<td>{}</td><td>{}</td><td>{}</td></tr>", rows)
        return format_html('<table class="webhook-deliveries"><thead><tr><th>#</th><th>created (UTC)</th>'
                           "<th>event</th><th>status</th><th>attempts</th><th>response code</th><th>response</th>"
                           '<th>next retry (UTC)</th></tr></thead><tbody>{}</tbody></table><p><a href="{}">'
                           "The whole delivery log</a></p>", body, _deliveries_url(obj.pk))

    # ----- permissions: admins and owners of the endpoint's team write (AdminRoleWrites), as on the API
    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one at a time, from the endpoint's page (audited by the service)
        return actions

    # ----- forms
    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        return form_for_user(form, request.user)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["tenant", "url", "events", "description", "active"]
        return ["url", "events", "description", "active", "tenant", "created_by", "created_at", "recent_deliveries"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["tenant", "created_by", "created_at", "recent_deliveries"]

    # ----- writes, through the services
    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            endpoint, secret = services.webhook_create(tenant=data["tenant"], actor=request.user, url=data["url"],
                                                       events=list(data["events"]),
                                                       description=data.get("description") or "")
            if not data.get("active"):
                endpoint = services.webhook_update(endpoint=endpoint, actor=request.user, active=False)
            obj.__dict__.update({k: v for k, v in endpoint.__dict__.items() if not k.startswith("_")})
            request._webhook_secret = secret
            return
        endpoint = WebhookEndpoint.objects.get(pk=obj.pk)
        services.webhook_update(endpoint=endpoint, actor=request.user, url=data["url"], events=list(data["events"]),
                                description=data.get("description") or "", active=bool(data.get("active")))

    def save_related(self, request, form, formsets, change):
        """Nothing related is saved by the form: the service wrote everything."""

    def delete_model(self, request, obj):
        services.webhook_delete(endpoint=obj, actor=request.user)

    def _secret_page(self, request, endpoint, secret, title):
        # The secret exists only in this answer: never stored in clear, logged or put in a message cookie.
        context = {**self.admin_site.each_context(request), "endpoint": endpoint, "secret": secret,
                   "opts": self.opts, "title": title}
        return TemplateResponse(request, "console/webhooks/secret.html", context)

    def response_add(self, request, obj, post_url_continue=None):
        return self._secret_page(request, obj, request._webhook_secret, "Webhook endpoint added")

    # ----- buttons and list actions
    def get_urls(self):
        wrap = self.admin_site.admin_view
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("<path:object_id>/rotate-secret/", wrap(require_POST(self.rotate_view)), name=f"{prefix}_rotate"),
            path("<path:object_id>/test/", wrap(require_POST(self.test_view)), name=f"{prefix}_test"),
            *super().get_urls(),
        ]

    def _endpoint(self, request, object_id) -> WebhookEndpoint:
        if not self.has_role(request, Role.ADMIN):  # as the change page: 403 to members who are admin nowhere
            raise PermissionDenied
        endpoint = self.get_queryset(request).filter(pk=int(object_id) if str(object_id).isdigit() else -1).first()
        if endpoint is None:
            raise Http404
        if not self.has_change_permission(request, endpoint):
            raise PermissionDenied
        return endpoint

    def rotate_view(self, request, object_id):
        endpoint = self._endpoint(request, object_id)
        endpoint, secret = services.webhook_rotate_secret(endpoint=endpoint, actor=request.user)
        return self._secret_page(request, endpoint, secret, "Webhook secret rotated")

    def test_view(self, request, object_id):
        endpoint = self._endpoint(request, object_id)
        self.run_service(request, lambda: services.webhook_test(endpoint=endpoint, actor=request.user),
                         "A test delivery is queued; the delivery log below shows how it went.")
        return redirect("console:webhooks_webhookendpoint_change", endpoint.pk)

    def _set_active(self, request, queryset, active: bool):
        for endpoint in queryset.filter(active=not active):
            self.run_service(request, lambda e=endpoint: services.webhook_update(endpoint=e, actor=request.user,
                                                                                  active=active),
                             f"{endpoint} is {'enabled' if active else 'disabled'}.")

    @admin.action(description="Enable selected endpoints")
    def enable_selected(self, request, queryset):
        self._set_active(request, queryset, True)

    @admin.action(description="Disable selected endpoints")
    def disable_selected(self, request, queryset):
        self._set_active(request, queryset, False)


@admin.register(WebhookDelivery, site=console_site)
class WebhookDeliveryConsole(ConsoleModelAdmin):
    """The delivery log, read only (admins and owners): never the payload, at most an excerpt of the answer."""

    view_role = Role.ADMIN
    list_display = ["__str__", "endpoint", "status", "attempts", "response_code", "next_retry", "created_at"]
    list_filter = ["status", "event", DeliveryEndpointFilter, TenantFilter]
    list_select_related = ["endpoint"]
    fields = ["endpoint", "event", "status", "attempts", "next_retry", "delivered_at", "created_at", "attempt_table"]
    readonly_fields = fields
    actions = None

    def get_queryset(self, request):
        return self.scoped(request, WebhookDelivery.objects.select_related("endpoint").prefetch_related("attempt_log"))

    @admin.display(description="response code")
    def response_code(self, obj):
        last = _last_attempt(obj)
        return last.status_code if last and last.status_code else "-"

    @admin.display(description="next retry (UTC)")
    def next_retry(self, obj) -> str:
        return _next_retry(obj)

    @admin.display(description="Attempts")
    def attempt_table(self, obj):
        attempts = list(obj.attempt_log.all())
        if not attempts:
            return "Not sent yet."
        rows = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", (
            (a.number, a.started_at.strftime("%Y-%m-%d %H:%M:%S"), a.duration_ms, a.status_code or "-",
             a.get_error_category_display() if a.error_category else "", a.response_excerpt) for a in attempts))
        return format_html('<table class="webhook-attempts"><thead><tr><th>#</th><th>started (UTC)</th><th>ms</th>'
                           "<th>response code</th><th>error</th><th>response (first 200 bytes)</th></tr></thead>"
                           "<tbody>{}</tbody></table>", rows)
